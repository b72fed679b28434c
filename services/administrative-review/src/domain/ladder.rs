//! The ladder (三级办理: 办理 → 复查 → 复核) as a state machine: each level goes in progress →
//! opinion issued → delivered; a delivered opinion opens the petitioner's window to go one level up;
//! the re-review's delivery, or a window that lapses, makes the case final (art 36); a handling
//! closed on procedure stops the ladder.

use chrono::NaiveDate;
use xinfang_contracts::review::levels;

use crate::domain::error::ReviewError;

/// 层级.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// 办理 (信访处理意见书)
    Handling,
    /// 复查 (复查意见书)
    Review,
    /// 复核 (复核意见书)
    ReReview,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Handling => levels::HANDLING,
            Level::Review => levels::REVIEW,
            Level::ReReview => levels::RE_REVIEW,
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        [Level::Handling, Level::Review, Level::ReReview]
            .into_iter()
            .find(|l| l.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Level::Handling => "办理",
            Level::Review => "复查",
            Level::ReReview => "复核",
        }
    }

    /// The level a petitioner may ask for after this one's opinion is delivered.
    pub fn next(self) -> Option<Level> {
        match self {
            Level::Handling => Some(Level::Review),
            Level::Review => Some(Level::ReReview),
            Level::ReReview => None,
        }
    }

    /// The supervision clock of this level's duty (办理期限, 复查期限, 复核期限).
    pub fn clock_kind(self) -> &'static str {
        match self {
            Level::Handling => "handling",
            Level::Review => "review",
            Level::ReReview => "re_review",
        }
    }

    /// The supervision clock of the petitioner's window to ask for this level (复查 / 复核请求期限).
    pub fn window_kind(self) -> Option<&'static str> {
        match self {
            Level::Handling => None,
            Level::Review => Some("review_window"),
            Level::ReReview => Some("re_review_window"),
        }
    }

    /// The article that sets this level's request window.
    pub fn article(self) -> &'static str {
        match self {
            Level::ReReview => "三十六",
            _ => "三十五",
        }
    }

    /// The notice template of this level's opinion.
    pub fn opinion_template(self) -> &'static str {
        use xinfang_contracts::notices::templates;
        match self {
            Level::Handling => templates::HANDLING_OPINION,
            Level::Review => templates::REVIEW_OPINION,
            Level::ReReview => templates::RE_REVIEW_OPINION,
        }
    }

    /// The outcomes an opinion of this level may have (art 32; 维持/撤销/变更 for review levels).
    pub fn outcomes(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Level::Handling => &[
                ("support", "支持"),
                ("explain", "解释说明"),
                ("reject", "不予支持"),
            ],
            _ => &[("uphold", "维持"), ("revoke", "撤销"), ("modify", "变更")],
        }
    }

    /// The Chinese label of an outcome of this level.
    pub fn outcome_zh(self, outcome: &str) -> Option<&'static str> {
        self.outcomes()
            .iter()
            .find(|(code, _)| *code == outcome)
            .map(|(_, zh)| *zh)
    }
}

/// Where a level stands (步骤).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// 办理中 (no opinion issued yet)
    InProgress,
    /// 意见书已出具，待送达
    Issued,
    /// 已送达 (the petitioner's window runs, or nothing is left at the last level)
    Delivered,
    /// 终结 (art 36)
    Final,
    /// 程序性或调解办结, no opinion to contest
    Closed,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Step::InProgress => "in_progress",
            Step::Issued => "issued",
            Step::Delivered => "delivered",
            Step::Final => "final",
            Step::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Step> {
        [
            Step::InProgress,
            Step::Issued,
            Step::Delivered,
            Step::Final,
            Step::Closed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// Closure kinds (办结方式).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closure {
    /// 实体性办结
    Substantive,
    /// 程序性办结
    Procedural,
}

impl Closure {
    pub fn as_str(self) -> &'static str {
        match self {
            Closure::Substantive => "substantive",
            Closure::Procedural => "procedural",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Closure::Substantive => "实体性办结",
            Closure::Procedural => "程序性办结",
        }
    }
}

/// Grounds of a closure by hand (办结事由): the substantive ones not reached by an opinion, and the
/// procedural ones.
pub fn closure_of_ground(ground: &str) -> Option<(Closure, &'static str)> {
    match ground {
        "settlement" => Some((Closure::Substantive, "和解")),
        "declined" => Some((Closure::Procedural, "不予受理、不予办理")),
        "withdrawn" => Some((Closure::Procedural, "信访人撤回")),
        "referred" => Some((Closure::Procedural, "导入其他法定途径")),
        "unreachable" => Some((Closure::Procedural, "无法联系信访人")),
        _ => None,
    }
}

/// The state of a handled case the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    pub level: Level,
    pub step: Step,
}

impl Position {
    pub fn new(level: &str, step: &str) -> Option<Position> {
        Some(Position {
            level: Level::parse(level)?,
            step: Step::parse(step)?,
        })
    }

    fn live(self) -> Result<(), ReviewError> {
        match self.step {
            Step::Final => Err(ReviewError::not_allowed(
                "该信访事项已终结（《信访工作条例》第三十六条），不能再办理",
            )),
            Step::Closed => Err(ReviewError::not_allowed("该信访事项已办结")),
            _ => Ok(()),
        }
    }

    /// Entries, opinion drafts and hearings: the level must be in progress.
    pub fn ensure_in_progress(self) -> Result<(), ReviewError> {
        self.live()?;
        if self.step != Step::InProgress {
            return Err(ReviewError::not_allowed(format!(
                "本级（{}）意见书已出具，不能再办理",
                self.level.label_zh()
            )));
        }
        Ok(())
    }

    /// Extension and procedural closure belong to the handling level (art 34).
    pub fn ensure_handling(self) -> Result<(), ReviewError> {
        self.ensure_in_progress()?;
        if self.level != Level::Handling {
            return Err(ReviewError::not_allowed("延期和程序性办结只适用于办理阶段"));
        }
        Ok(())
    }

    /// The position after an opinion of the current level is issued.
    pub fn issue(self, level: Level) -> Result<Position, ReviewError> {
        self.ensure_in_progress()?;
        if level != self.level {
            return Err(ReviewError::not_allowed(format!(
                "当前为{}阶段，不能出具{}意见书",
                self.level.label_zh(),
                level.label_zh()
            )));
        }
        Ok(Position {
            level,
            step: Step::Issued,
        })
    }

    /// The position after the opinion of `level` is delivered; `Final` at the last level.
    pub fn deliver(self, level: Level) -> Result<Position, ReviewError> {
        if self.level != level || self.step != Step::Issued {
            return Err(ReviewError::not_allowed(
                "该意见书已送达，或案件已进入下一阶段",
            ));
        }
        Ok(Position {
            level,
            step: if level == Level::ReReview {
                Step::Final
            } else {
                Step::Delivered
            },
        })
    }

    /// The level a request made now would open: the opinion of the current level must be delivered
    /// (the window is anchored on delivery; an undelivered opinion keeps it closed).
    pub fn requestable(self) -> Result<Level, ReviewError> {
        self.live()?;
        match (self.step, self.level.next()) {
            (Step::Delivered, Some(next)) => Ok(next),
            (Step::Issued, _) => Err(ReviewError::not_allowed(
                "意见书尚未送达，请求期限尚未起算（《信访工作条例》第三十五条：自收到书面答复之日起）",
            )),
            _ => Err(ReviewError::not_allowed(
                "当前阶段不能请求复查或复核",
            )),
        }
    }

    /// Whether the window after `level`'s opinion lapsing makes the case final now.
    pub fn lapses(self, window_level: Level) -> bool {
        self.step == Step::Delivered && self.level.next() == Some(window_level)
    }
}

/// Is a request made on `requested_on` within a window whose last day is `last_day`? (A comparison
/// of dates supervision computed; no arithmetic.)
pub fn check_window(
    level: Level,
    requested_on: NaiveDate,
    last_day: Option<NaiveDate>,
) -> Result<(), ReviewError> {
    let Some(last_day) = last_day else {
        return Err(ReviewError::ClockPending {
            what: match level {
                Level::ReReview => "复核请求期限",
                _ => "复查请求期限",
            },
        });
    };
    if requested_on > last_day {
        return Err(ReviewError::LateRequest {
            level_zh: level.label_zh(),
            article: level.article(),
            window_closed_on: last_day,
            requested_on,
        });
    }
    Ok(())
}

/// 第三十四条: one extension of at most `max_days`, requested before the handling clock is due.
pub fn check_extension_request(
    days: u32,
    max_days: u32,
    earlier: usize,
    today: NaiveDate,
    due: Option<NaiveDate>,
) -> Result<(), ReviewError> {
    if earlier > 0 {
        return Err(ReviewError::SecondExtension);
    }
    if days == 0 {
        return Err(ReviewError::invalid("days", "延长期限至少 1 日"));
    }
    if days > max_days {
        return Err(ReviewError::ExtensionTooLong { max: max_days });
    }
    match due {
        None => Err(ReviewError::ClockPending {
            what: "办理期限"
        }),
        Some(due) if today > due => Err(ReviewError::ExtensionAfterDue { due }),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn the_ladder_goes_up_on_delivery_and_ends_at_re_review() {
        let p = Position::new("handling", "in_progress").unwrap();
        let p = p.issue(Level::Handling).unwrap();
        assert!(p.requestable().is_err(), "undelivered: window closed");
        let p = p.deliver(Level::Handling).unwrap();
        assert_eq!(p.requestable().unwrap(), Level::Review);
        assert!(p.lapses(Level::Review));
        let p = Position {
            level: Level::ReReview,
            step: Step::Issued,
        };
        assert_eq!(p.deliver(Level::ReReview).unwrap().step, Step::Final);
        assert!(Position {
            level: Level::ReReview,
            step: Step::Final
        }
        .requestable()
        .is_err());
    }

    #[test]
    fn windows_compare_with_the_projected_last_day() {
        assert!(check_window(Level::Review, d("2026-01-05"), Some(d("2026-01-05"))).is_ok());
        let late = check_window(Level::Review, d("2026-01-06"), Some(d("2026-01-05")));
        assert!(matches!(late, Err(ReviewError::LateRequest { .. })));
        assert!(late.unwrap_err().to_string().contains("2026-01-05"));
        assert!(matches!(
            check_window(Level::ReReview, d("2026-01-06"), None),
            Err(ReviewError::ClockPending { .. })
        ));
    }

    #[test]
    fn extension_rules() {
        let due = Some(d("2026-02-01"));
        assert!(check_extension_request(30, 30, 0, d("2026-01-01"), due).is_ok());
        assert!(matches!(
            check_extension_request(31, 30, 0, d("2026-01-01"), due),
            Err(ReviewError::ExtensionTooLong { max: 30 })
        ));
        assert!(matches!(
            check_extension_request(10, 30, 1, d("2026-01-01"), due),
            Err(ReviewError::SecondExtension)
        ));
        assert!(matches!(
            check_extension_request(10, 30, 0, d("2026-02-02"), due),
            Err(ReviewError::ExtensionAfterDue { .. })
        ));
    }

    #[test]
    fn outcomes_by_level() {
        assert_eq!(Level::Handling.outcome_zh("support"), Some("支持"));
        assert_eq!(Level::Handling.outcome_zh("uphold"), None);
        assert_eq!(Level::Review.outcome_zh("modify"), Some("变更"));
        assert_eq!(
            closure_of_ground("withdrawn").unwrap().0,
            Closure::Procedural
        );
        assert!(closure_of_ground("opinion").is_none());
    }
}
