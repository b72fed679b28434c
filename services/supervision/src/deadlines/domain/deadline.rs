//! A deadline (法定期限) as the law states it — start, period, unit, clock stops (中止计时),
//! approved extensions (延期), or a date fixed by another body — and its projection (`due_date`,
//! `explanation`), kept so that a newly published holiday calendar can re-project it. The changes
//! allowed to a live deadline are checked here.

use chrono::NaiveDate;
use uuid::Uuid;
use xinfang_calendar::{
    compute_due, CalendarError, ClockStop, DeadlineSpec, Extension, HolidayCalendar, PeriodUnit,
};

use crate::{
    configuration::Limits,
    deadlines::domain::kind::{extension_policy, DeadlineKind},
    domain::error::SupervisionError,
};

/// A stored deadline, enough to re-project it.
#[derive(Debug, Clone)]
pub struct StoredDeadline {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    pub kind: DeadlineKind,
    pub unit_code: String,
    pub start_date: NaiveDate,
    pub period: i32,
    pub period_unit: String,
    pub fixed_due: Option<NaiveDate>,
    pub stops: Vec<ClockStop>,
    pub extensions: Vec<Extension>,
    pub due_date: Option<NaiveDate>,
    pub explanation: Vec<String>,
    pub status: String,
    pub paused_since: Option<NaiveDate>,
    pub paused_reason: Option<String>,
}

impl StoredDeadline {
    /// The calendar computation this deadline stands for (None for a date fixed by another body).
    pub fn spec(&self) -> Option<DeadlineSpec> {
        if self.fixed_due.is_some() {
            return None;
        }
        let unit = self
            .period_unit
            .parse::<PeriodUnit>()
            .unwrap_or(PeriodUnit::CalendarDays);
        Some(DeadlineSpec {
            start: self.start_date,
            period: self.period.max(0) as u32,
            unit,
            stops: self.stops.clone(),
            extensions: self.extensions.clone(),
        })
    }

    /// Compute the due date and its explanation with the given calendar.
    pub fn project(&self, calendar: &HolidayCalendar) -> (Option<NaiveDate>, Vec<String>) {
        match (self.fixed_due, self.spec()) {
            (Some(fixed), _) => (Some(fixed), fixed_explanation(self.start_date, fixed)),
            (None, Some(spec)) => project(calendar, &spec),
            (None, None) => (None, vec![]),
        }
    }

    /// The projection as stored after a change: the explanation says when the clock is paused,
    /// and ends with `note` (e.g. why it was re-projected).
    pub fn reprojection(
        &self,
        calendar: &HolidayCalendar,
        note: Option<String>,
    ) -> (Option<NaiveDate>, Vec<String>) {
        let (due, mut explanation) = self.project(calendar);
        if self.status == "paused" {
            if let Some(since) = self.paused_since {
                explanation.push(format!(
                    "自 {since} 起中止计时（{}），恢复计时后重新计算届满日",
                    self.paused_reason.as_deref().unwrap_or("未说明事由")
                ));
            }
        }
        if let Some(note) = note {
            explanation.push(note);
        }
        (due, explanation)
    }

    fn ensure_live(&self) -> Result<(), SupervisionError> {
        match self.status.as_str() {
            "open" | "paused" => Ok(()),
            "met" => Err(SupervisionError::DeadlineNotLive("办结".into())),
            "cancelled" => Err(SupervisionError::DeadlineNotLive("撤销".into())),
            other => Err(SupervisionError::DeadlineNotLive(other.into())),
        }
    }

    /// Approve an extension (延期, art 34): at most the kind's count and days.
    pub fn extend(
        &mut self,
        limits: &Limits,
        days: u32,
        reason: &str,
    ) -> Result<(), SupervisionError> {
        self.ensure_live()?;
        let (max_count, max_days) = extension_policy(self.kind, limits)
            .ok_or(SupervisionError::NotExtendable(self.kind.label_zh()))?;
        if self.extensions.len() >= max_count as usize {
            return Err(SupervisionError::TooManyExtensions {
                kind: self.kind.label_zh(),
                max: max_count,
                used: self.extensions.len(),
            });
        }
        if days == 0 || days > max_days {
            return Err(SupervisionError::ExtensionTooLong { max: max_days });
        }
        self.extensions.push(Extension {
            period: days,
            unit: PeriodUnit::CalendarDays,
            reason: reason.to_string(),
        });
        Ok(())
    }

    /// Stop the clock (中止计时): for a known interval, or open-ended until [`Self::resume`]
    /// (status paused; no timer fires meanwhile).
    pub fn stop(
        &mut self,
        from: NaiveDate,
        to: Option<NaiveDate>,
        reason: &str,
    ) -> Result<(), SupervisionError> {
        self.ensure_live()?;
        if self.fixed_due.is_some() {
            return Err(SupervisionError::FixedDate);
        }
        if self.status == "paused" {
            return Err(SupervisionError::AlreadyPaused);
        }
        if from <= self.start_date {
            return Err(SupervisionError::InvalidStop(format!(
                "中止首日应晚于起算日 {}",
                self.start_date
            )));
        }
        // Stops never overlap (中止期间不得重叠).
        let until = to.unwrap_or(NaiveDate::MAX);
        if let Some(s) = self.stops.iter().find(|s| from <= s.to && s.from <= until) {
            return Err(SupervisionError::InvalidStop(format!(
                "与已有的中止期间 {} 至 {} 重叠",
                s.from, s.to
            )));
        }
        match to {
            Some(to) => {
                if to < from {
                    return Err(SupervisionError::InvalidStop(
                        "中止末日不得早于中止首日".into(),
                    ));
                }
                self.stops.push(ClockStop {
                    from,
                    to,
                    reason: reason.to_string(),
                });
            }
            None => {
                self.status = "paused".into();
                self.paused_since = Some(from);
                self.paused_reason = Some(reason.to_string());
            }
        }
        Ok(())
    }

    /// Only a clock a law stops may be stopped (中止计时须有法律依据).
    pub fn ensure_stoppable(&self) -> Result<&'static str, SupervisionError> {
        self.kind
            .stop_basis()
            .ok_or(SupervisionError::NotStoppable(self.kind.label_zh()))
    }

    /// Resume a paused clock (恢复计时): the stop ends on `to` (its last stopped day, inclusive).
    pub fn resume(&mut self, to: NaiveDate) -> Result<(), SupervisionError> {
        self.ensure_live()?;
        let (Some(since), "paused") = (self.paused_since, self.status.as_str()) else {
            return Err(SupervisionError::NotPaused);
        };
        if to < since {
            return Err(SupervisionError::InvalidStop(format!(
                "中止末日不得早于中止首日 {since}"
            )));
        }
        self.stops.push(ClockStop {
            from: since,
            to,
            reason: self.paused_reason.take().unwrap_or_default(),
        });
        self.status = "open".into();
        self.paused_since = None;
        Ok(())
    }
}

/// The explanation of a date fixed by another body (交办机关确定的期限).
pub fn fixed_explanation(start: NaiveDate, fixed: NaiveDate) -> Vec<String> {
    vec![
        format!("{start} 交办（或转入），交办机关确定的期限为 {fixed}"),
        format!("届满日：{fixed}（以交办机关确定的日期为准，不另行顺延）"),
    ]
}

/// Compute `spec`; a date outside the loaded calendars leaves the due date open with the reason.
pub fn project(
    calendar: &HolidayCalendar,
    spec: &DeadlineSpec,
) -> (Option<NaiveDate>, Vec<String>) {
    match compute_due(calendar, spec) {
        Ok(d) => (Some(d.due), d.explanation),
        Err(e @ CalendarError::OutsideCalendar { .. }) => (
            None,
            vec![e.message_zh(), "待发布相应年度节假日安排后自动计算".into()],
        ),
        Err(e) => (None, vec![e.message_zh()]),
    }
}

/// The note a re-projection after newly loaded calendar years adds to the explanation.
pub fn reprojection_note(
    today: NaiveDate,
    years: &[i32],
    old: Option<NaiveDate>,
    new: Option<NaiveDate>,
) -> String {
    let years_text = years
        .iter()
        .map(|y| y.to_string())
        .collect::<Vec<_>>()
        .join("、");
    let shown = |d: Option<NaiveDate>| {
        d.map(|x| x.to_string())
            .unwrap_or_else(|| "未能计算".into())
    };
    if old.is_some() && old == new {
        return format!(
            "重新计算：{today} 加载 {years_text} 年节假日安排后，暂定届满日 {} 经确认不变",
            shown(new)
        );
    }
    format!(
        "重新计算：{today} 加载 {years_text} 年节假日安排后，届满日由 {} 改为 {}，提醒时间随之调整",
        shown(old),
        shown(new)
    )
}

/// A deadline to open.
#[derive(Debug, Clone)]
pub struct OpenClock<'a> {
    pub case_id: Uuid,
    pub case_number: &'a str,
    pub kind: DeadlineKind,
    pub unit: &'a str,
    pub start: NaiveDate,
    /// A date fixed by another body (交办期限) instead of a period.
    pub fixed_due: Option<NaiveDate>,
    pub source_event_id: Uuid,
}

/// How a deadline stops being live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// 已办结/已履行: the duty was done (maybe late).
    Met,
    /// 已撤销: the duty fell away (an objection returned the matter).
    Cancelled,
}

impl Closing {
    pub fn status(self) -> &'static str {
        match self {
            Closing::Met => "met",
            Closing::Cancelled => "cancelled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn stored(kind: DeadlineKind) -> StoredDeadline {
        StoredDeadline {
            id: Uuid::nil(),
            case_id: Uuid::nil(),
            case_number: "x".into(),
            kind,
            unit_code: "u".into(),
            start_date: d("2025-09-01"),
            period: 0,
            period_unit: "fixed_date".into(),
            fixed_due: Some(d("2025-10-04")),
            stops: vec![],
            extensions: vec![],
            due_date: None,
            explanation: vec![],
            status: "open".into(),
            paused_since: None,
            paused_reason: None,
        }
    }

    #[test]
    fn a_fixed_date_is_not_rolled() {
        let (due, why) = stored(DeadlineKind::Assignment).project(&HolidayCalendar::new());
        assert_eq!(due, Some(d("2025-10-04")));
        assert!(why[0].contains("交办"));
    }

    #[test]
    fn a_fixed_date_cannot_be_stopped_and_only_handling_extends() {
        let mut fixed = stored(DeadlineKind::Assignment);
        assert!(matches!(
            fixed.stop(d("2025-09-05"), None, "听证"),
            Err(SupervisionError::FixedDate)
        ));
        assert!(matches!(
            fixed.extend(&Limits::default(), 10, "复杂"),
            Err(SupervisionError::NotExtendable(_))
        ));
        let mut handling = stored(DeadlineKind::Handling);
        handling.fixed_due = None;
        assert!(handling.extend(&Limits::default(), 30, "复杂").is_ok());
        assert!(matches!(
            handling.extend(&Limits::default(), 10, "再延"),
            Err(SupervisionError::TooManyExtensions { .. })
        ));
    }

    #[test]
    fn stops_need_a_law_and_never_overlap() {
        for kind in DeadlineKind::ALL {
            let stoppable = stored(kind).ensure_stoppable();
            if kind == DeadlineKind::ReReview {
                // The one clock a law stops: a re-review hearing (art 36 ¶2).
                assert!(stoppable.is_ok());
            } else {
                assert!(
                    matches!(stoppable, Err(SupervisionError::NotStoppable(_))),
                    "{kind:?}"
                );
            }
        }
        let mut handling = stored(DeadlineKind::Handling);
        handling.fixed_due = None;
        handling
            .stop(d("2025-09-05"), Some(d("2025-09-10")), "听证")
            .unwrap();
        let e = handling
            .stop(d("2025-09-08"), Some(d("2025-09-12")), "再次")
            .unwrap_err();
        assert!(e.to_string().contains("重叠"), "{e}");
        assert!(handling.stop(d("2025-09-03"), None, "未完").is_err());
        assert!(handling
            .stop(d("2025-09-11"), Some(d("2025-09-12")), "相邻")
            .is_ok());
    }

    #[test]
    fn a_paused_clock_resumes_into_a_stop() {
        let mut handling = stored(DeadlineKind::Handling);
        handling.fixed_due = None;
        assert!(matches!(
            handling.resume(d("2025-09-10")),
            Err(SupervisionError::NotPaused)
        ));
        handling.stop(d("2025-09-05"), None, "听证").unwrap();
        assert_eq!(handling.status, "paused");
        handling.resume(d("2025-09-10")).unwrap();
        assert_eq!(handling.status, "open");
        assert_eq!(handling.stops.len(), 1);
        assert_eq!(handling.stops[0].reason, "听证");
    }
}
