//! Procedural decisions (程序性决定) on a registered petition and what each one leads to: accept
//! (受理), decline with the legal channel (不予受理), bar (不再受理), transfer (转送) and assign (交办).
//! A decision is allowed only on a registered or returned case; each kind checks its own fields
//! here and yields a [`Decision`]: the case's new status, the notice the petitioner must receive,
//! the recorded details and what the published event carries.

use chrono::NaiveDate;
use serde_json::{json, Value};
use uuid::Uuid;
use xinfang_calendar::HolidayCalendar;
use xinfang_contracts::events::{Category, FinalOpinion, LegalChannel};
use xinfang_platform::Actor;

use super::{
    error::IntakeError,
    routing::{legal_channel_code, parse_legal_channel, Subject, Suggestion},
};

/// The facts of a case (信访件) that decisions look at.
#[derive(Debug, Clone)]
pub struct CaseFacts {
    pub id: Uuid,
    pub case_number: String,
    pub status: String,
    pub registering_unit: String,
    pub category: Option<Category>,
    pub field: Option<String>,
    pub township: Option<String>,
    pub respondent_unit: Option<String>,
    pub received_on: NaiveDate,
    pub repeat_of: Option<Uuid>,
    pub correlation_id: Uuid,
    /// 办理单位: the unit handling the case, once accepted or handed on.
    pub handling_unit: Option<String>,
}

impl CaseFacts {
    /// What the routing rules look at.
    pub fn subject(&self) -> Subject<'_> {
        Subject {
            category: self.category,
            field: self.field.as_deref(),
            township: self.township.as_deref(),
            respondent_unit: self.respondent_unit.as_deref(),
        }
    }

    /// Only the registering unit or the bureau decides (登记单位或信访局), and only while the case is
    /// registered or returned; `kind` is the decision asked for.
    ///
    /// A case accepted and handed to a handling unit other than the registering organ (受理并交由
    /// 办理单位办理) stays with that organ's routing: it may still be handed on to the unit that
    /// should handle it (转送 or 交办, art 21-23), while a second acceptance, a decline or a bar
    /// are refused (the acceptance stands).
    pub fn ensure_decidable_by(&self, actor: &Actor, kind: &str) -> Result<(), IntakeError> {
        if !(actor.bureau || actor.unit == self.registering_unit) {
            return Err(IntakeError::NotDecidingUnit);
        }
        if matches!(self.status.as_str(), "registered" | "returned")
            || self.handed_on_after_acceptance(kind)
        {
            return Ok(());
        }
        Err(IntakeError::DecisionNotAllowed {
            status_zh: status_zh(&self.status),
        })
    }

    /// Whether `kind` hands on a case accepted with a handling unit of its own (受理后改由其他单位
    /// 办理): only a transfer or an assignment, only from `accepted`.
    pub fn handed_on_after_acceptance(&self, kind: &str) -> bool {
        self.status == "accepted"
            && matches!(kind, "transfer" | "assign")
            && self
                .handling_unit
                .as_deref()
                .is_some_and(|u| u != self.registering_unit)
    }

    /// Accusation material is never routed to the accused unit (art 30, art 46(5)).
    fn refuse_accused(&self, to: Option<&str>, field: &'static str) -> Result<(), IntakeError> {
        if self.category == Some(Category::Accusation)
            && to.is_some()
            && to == self.respondent_unit.as_deref()
        {
            return Err(IntakeError::AccusationToAccused { field });
        }
        Ok(())
    }
}

/// The Chinese name of a case status (办理状态).
pub fn status_zh(status: &str) -> &'static str {
    match status {
        "registered" => "已登记",
        "accepted" => "已受理",
        "declined" => "不予受理",
        "barred" => "不再受理",
        "transferred" => "已转送",
        "assigned" => "已交办",
        "in_handling" => "办理中",
        "returned" => "退回重新分办",
        _ => "未知状态",
    }
}

/// A required free text, trimmed, with a length limit.
pub fn required(
    field: &'static str,
    label: &'static str,
    value: &str,
    max: usize,
) -> Result<String, IntakeError> {
    let t = value.trim();
    if t.is_empty() {
        return Err(IntakeError::Required { field, label });
    }
    if t.chars().count() > max {
        return Err(IntakeError::TooLong { field, label, max });
    }
    Ok(t.to_string())
}

/// A unit code (单位代码): no blanks, at most 50 characters.
pub fn unit_code(field: &'static str, value: &str) -> Result<String, IntakeError> {
    let t = value.trim();
    if t.is_empty() || t.len() > 50 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(IntakeError::InvalidUnitCode { field });
    }
    Ok(t.to_string())
}

/// The statutory working-day limits decisions count (《信访工作条例》第二十三条, 简易办理).
#[derive(Debug, Clone, Copy)]
pub struct WorkingDayLimits {
    pub objection: u32,
    pub simple_accept: u32,
    pub simple_opinion: u32,
}

/// Why an earlier case bars this one (不再受理的依据).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarGround {
    /// Concluded after re-review (办理终结, art 36 ¶3): 不再受理.
    FinalAfterReReview,
    /// Still being handled within its period (art 19): 不予受理.
    EarlierCaseInProgress,
}

impl BarGround {
    pub fn code(self) -> &'static str {
        match self {
            BarGround::FinalAfterReReview => "final_after_re_review",
            BarGround::EarlierCaseInProgress => "earlier_case_in_progress",
        }
    }
}

/// The earlier case a bar cites (前案).
#[derive(Debug, Clone)]
pub struct PriorCase {
    pub id: Uuid,
    pub case_number: String,
    pub status: String,
    pub finalized_on: Option<NaiveDate>,
    /// The opinion it concluded on (终结所依据的意见书), as administrative review reported it.
    pub final_opinion: Option<FinalOpinion>,
    /// When its handling began (the latest 受理、转送 or 交办 decision).
    pub handled_since: Option<NaiveDate>,
    /// The date set for its result by an assignment (交办期限), if any.
    pub due_on: Option<NaiveDate>,
}

/// The longest handling period of a case without its own date (办理期限): 60 日 and the one
/// extension of at most 30 日 (art 34). An earlier case is "within its period" (art 19) until then.
pub const LONGEST_HANDLING_DAYS: u64 = 90;

impl PriorCase {
    /// Whether the earlier case is actually being handled within its period (art 19): accepted,
    /// transferred, assigned or in handling (not merely registered or returned), and its period not
    /// yet over on `today`.
    pub fn in_handling_within_period(&self, today: NaiveDate) -> bool {
        if !matches!(
            self.status.as_str(),
            "accepted" | "transferred" | "assigned" | "in_handling"
        ) {
            return false;
        }
        let end = match (self.due_on, self.handled_since) {
            (Some(due), _) => Some(due),
            (None, Some(since)) => since.checked_add_days(chrono::Days::new(LONGEST_HANDLING_DAYS)),
            (None, None) => None,
        };
        end.is_some_and(|end| today <= end)
    }
}

/// Why a matter is not accepted (不予受理的依据).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeclineGround {
    /// It belongs in a legal channel (导入法定途径, art 31).
    LegalChannel,
    /// It is not within this organ's remit; the petitioner is told to go to the competent organ
    /// (不属于本机关职权范围, art 23).
    OutsideRemit,
}

impl DeclineGround {
    pub fn code(self) -> &'static str {
        match self {
            DeclineGround::LegalChannel => "legal_channel",
            DeclineGround::OutsideRemit => "outside_remit",
        }
    }

    /// The article the notice cites.
    pub fn legal_basis(self) -> &'static str {
        match self {
            DeclineGround::LegalChannel => "《信访工作条例》第三十一条",
            DeclineGround::OutsideRemit => "《信访工作条例》第二十三条",
        }
    }

    pub fn parse(field: &'static str, s: &str) -> Result<DeclineGround, IntakeError> {
        match s {
            "legal_channel" => Ok(DeclineGround::LegalChannel),
            "outside_remit" => Ok(DeclineGround::OutsideRemit),
            _ => Err(IntakeError::InvalidField(super::error::FieldError::new(
                field,
                "不予受理依据无效，应为 legal_channel（导入法定途径，第三十一条）或 outside_remit（不属于本机关职权范围，第二十三条）",
            ))),
        }
    }
}

/// A decision against the routing rules' legal-channel suggestion (偏离法定途径建议): the suggested
/// channel and the recorded reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelOverride {
    pub suggested_channel: String,
    pub reason: String,
}

/// A matter the rules send to a legal channel may be accepted, transferred or assigned as a
/// petition only with an explicit override and its reason (依法分类处理, art 31). A transfer or
/// assignment to the unit the same rule names follows the rule.
pub fn channel_override(
    suggestion: &Suggestion,
    to_unit: Option<&str>,
    to_unit_kind: Option<&str>,
    override_reason: Option<&str>,
) -> Result<Option<ChannelOverride>, IntakeError> {
    let Some(channel) = &suggestion.legal_channel else {
        return Ok(None);
    };
    if to_unit.is_some() && to_unit == suggestion.unit.as_deref() {
        return Ok(None);
    }
    // Handing the matter to an organ of the channel itself follows it (纪检监察机关, 政法部门).
    let organ_of_channel = match channel.as_str() {
        "discipline_inspection" => &["discipline_inspection"][..],
        "political_legal" | "litigation" => &["court", "procuratorate", "public_security"][..],
        _ => &[][..],
    };
    if to_unit_kind.is_some_and(|k| organ_of_channel.contains(&k)) {
        return Ok(None);
    }
    let label = parse_legal_channel("legal_channel", channel)
        .map(LegalChannel::label_zh)
        .unwrap_or("法定途径");
    match override_reason.map(str::trim).filter(|r| !r.is_empty()) {
        None => Err(IntakeError::LegalChannelOverrideMissing { channel_zh: label }),
        Some(r) => Ok(Some(ChannelOverride {
            suggested_channel: channel.clone(),
            reason: required("override_reason", "偏离法定途径的理由", r, 2000)?,
        })),
    }
}

/// What a decision leads to, with what its event carries.
#[derive(Debug, Clone)]
pub enum Outcome {
    Accepted {
        handling_unit: Option<String>,
        simple_track: bool,
        /// 简易办理: accept by, opinion by.
        simple_deadlines: Option<(NaiveDate, NaiveDate)>,
    },
    Declined {
        ground: DeclineGround,
        legal_channel: Option<LegalChannel>,
        guidance: String,
    },
    Barred {
        ground: BarGround,
        prior_petition_id: Uuid,
        prior_case_number: String,
        /// The opinion the earlier case concluded on (art 36 ¶3 only).
        final_opinion: Option<FinalOpinion>,
    },
    Transferred {
        to_unit: String,
        object_by: NaiveDate,
    },
    Assigned {
        to_unit: String,
        due_on: NaiveDate,
        object_by: NaiveDate,
    },
}

/// A decision made (程序性决定): its outcome and the reason given to the petitioner.
#[derive(Debug, Clone)]
pub struct Decision {
    pub outcome: Outcome,
    pub reason: String,
    /// Set when the decision goes against a legal-channel suggestion (偏离法定途径建议).
    pub channel_override: Option<ChannelOverride>,
}

impl Decision {
    pub fn kind(&self) -> &'static str {
        match self.outcome {
            Outcome::Accepted { .. } => "accept",
            Outcome::Declined { .. } => "decline",
            Outcome::Barred { .. } => "bar",
            Outcome::Transferred { .. } => "transfer",
            Outcome::Assigned { .. } => "assign",
        }
    }

    /// The case's status after the decision.
    pub fn status(&self) -> &'static str {
        match self.outcome {
            Outcome::Accepted { .. } => "accepted",
            Outcome::Declined { .. } => "declined",
            Outcome::Barred { .. } => "barred",
            Outcome::Transferred { .. } => "transferred",
            Outcome::Assigned { .. } => "assigned",
        }
    }

    /// The notice (告知书) the petitioner must receive.
    pub fn notice(&self) -> &'static str {
        match &self.outcome {
            Outcome::Accepted { .. } => "受理告知书",
            Outcome::Declined { .. } => "不予受理告知书",
            Outcome::Barred {
                ground: BarGround::FinalAfterReReview,
                ..
            } => "不再受理告知书",
            Outcome::Barred { .. } => "不予受理告知书",
            Outcome::Transferred { .. } => "转送告知书",
            Outcome::Assigned { .. } => "交办通知",
        }
    }

    /// The unit that handles the case afterwards (办理单位), if any.
    pub fn handling_unit(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Accepted { handling_unit, .. } => handling_unit.as_deref(),
            Outcome::Transferred { to_unit, .. } | Outcome::Assigned { to_unit, .. } => {
                Some(to_unit)
            }
            Outcome::Declined { .. } | Outcome::Barred { .. } => None,
        }
    }

    /// The hand-off this decision makes: its kind and receiving unit.
    pub fn hand_off(&self) -> Option<(&'static str, &str, Option<NaiveDate>)> {
        match &self.outcome {
            Outcome::Transferred { to_unit, .. } => Some(("transfer", to_unit, None)),
            Outcome::Assigned {
                to_unit, due_on, ..
            } => Some(("assign", to_unit, Some(*due_on))),
            _ => None,
        }
    }

    /// Whether the decision followed the routing suggestion (for routing and diversion only).
    pub fn followed(&self, suggestion: &Suggestion) -> Option<bool> {
        match &self.outcome {
            Outcome::Transferred { to_unit, .. } | Outcome::Assigned { to_unit, .. } => {
                Some(suggestion.unit.as_deref() == Some(to_unit.as_str()))
            }
            Outcome::Declined { legal_channel, .. } => Some(
                legal_channel.map(legal_channel_code).as_deref()
                    == suggestion.legal_channel.as_deref(),
            ),
            _ => None,
        }
    }

    /// The recorded details of the decision, with its notice and whether it followed the
    /// suggestion.
    pub fn details(&self, suggestion: &Suggestion) -> Value {
        let mut details = match &self.outcome {
            Outcome::Accepted {
                handling_unit,
                simple_track,
                simple_deadlines,
            } => {
                let mut d = json!({ "handling_unit": handling_unit, "simple_track": simple_track });
                if let Some((accept_by, opinion_by)) = simple_deadlines {
                    d["simple_accept_by"] = json!(accept_by);
                    d["simple_opinion_by"] = json!(opinion_by);
                }
                d
            }
            Outcome::Declined {
                ground,
                legal_channel,
                guidance,
            } => {
                json!({ "ground": ground.code(), "legal_basis": ground.legal_basis(), "legal_channel": legal_channel.map(legal_channel_code), "guidance": guidance })
            }
            Outcome::Barred {
                ground,
                prior_petition_id,
                prior_case_number,
                final_opinion,
            } => json!({
                "ground": ground.code(),
                "prior_petition_id": prior_petition_id,
                "prior_case_number": prior_case_number,
                "final_opinion": final_opinion,
            }),
            Outcome::Transferred { to_unit, object_by } => {
                json!({ "to_unit": to_unit, "object_by": object_by })
            }
            Outcome::Assigned {
                to_unit,
                due_on,
                object_by,
            } => json!({ "to_unit": to_unit, "due_on": due_on, "object_by": object_by }),
        };
        if let Some(o) = &self.channel_override {
            details["legal_channel_override"] =
                json!({ "suggested_channel": o.suggested_channel, "reason": o.reason });
        }
        details["notice"] = json!(self.notice());
        details["followed_suggestion"] = json!(self.followed(suggestion));
        details
    }
}

/// 受理, optionally on the simple track (简易办理: first-time matters only, accepted within the
/// working days of receipt; the opinion is then due within its own working days).
pub fn accept(
    case: &CaseFacts,
    reason: &str,
    handling_unit: Option<&str>,
    simple_track: bool,
    today: NaiveDate,
    calendar: &HolidayCalendar,
    limits: WorkingDayLimits,
) -> Result<Decision, IntakeError> {
    let reason = required("reason", "受理理由", reason, 2000)?;
    let handling_unit = handling_unit
        .map(|u| unit_code("handling_unit", u))
        .transpose()?;
    case.refuse_accused(handling_unit.as_deref(), "handling_unit")?;
    let simple_deadlines = if simple_track {
        if case.repeat_of.is_some() {
            return Err(IntakeError::SimpleTrackForRepeat);
        }
        let accept_by =
            xinfang_calendar::add_working_days(calendar, case.received_on, limits.simple_accept)?;
        if today > accept_by {
            return Err(IntakeError::SimpleTrackTooLate {
                working_days: limits.simple_accept,
                accept_by,
            });
        }
        let opinion_by =
            xinfang_calendar::add_working_days(calendar, today, limits.simple_opinion)?;
        Some((accept_by, opinion_by))
    } else {
        None
    };
    Ok(Decision {
        outcome: Outcome::Accepted {
            handling_unit,
            simple_track,
            simple_deadlines,
        },
        reason,
        channel_override: None,
    })
}

/// 不予受理: the petitioner must be told which legal channel to use (导入法定途径), either as given or
/// from the routing rule that suggested the same channel.
pub fn decline(
    reason: &str,
    ground: Option<&str>,
    legal_channel: Option<&str>,
    guidance: Option<&str>,
    suggestion: &Suggestion,
) -> Result<Decision, IntakeError> {
    let reason = required("reason", "不予受理理由", reason, 2000)?;
    let channel = legal_channel
        .map(|c| parse_legal_channel("legal_channel", c))
        .transpose()?;
    let ground = match ground {
        Some(g) => DeclineGround::parse("ground", g)?,
        None if channel.is_some() => DeclineGround::LegalChannel,
        None => DeclineGround::OutsideRemit,
    };
    if ground == DeclineGround::LegalChannel && channel.is_none() {
        return Err(IntakeError::Required {
            field: "legal_channel",
            label: "法定途径",
        });
    }
    let guidance = match guidance.map(str::trim).filter(|g| !g.is_empty()) {
        Some(g) => required("guidance", "告知途径", g, 1000)?,
        None => match (channel, &suggestion.guidance, &suggestion.legal_channel) {
            (Some(c), Some(g), Some(suggested)) if legal_channel_code(c) == *suggested => g.clone(),
            (Some(c), _, _) => format!("请依法通过{}提出", c.label_zh()),
            (None, _, _) => return Err(IntakeError::GuidanceMissing),
        },
    };
    Ok(Decision {
        outcome: Outcome::Declined {
            ground,
            legal_channel: channel,
            guidance,
        },
        reason,
        channel_override: None,
    })
}

/// Check the case a bar cites before reading it: never the case itself.
pub fn ensure_prior_is_other(case: &CaseFacts, prior: Uuid) -> Result<(), IntakeError> {
    if prior == case.id {
        return Err(IntakeError::PriorIsThisCase);
    }
    Ok(())
}

/// 不再受理 / 不予受理 because of an earlier case: it concluded after re-review (art 36 ¶3), or it is
/// still being handled (art 19).
pub fn bar(
    prior: &PriorCase,
    extra_reason: Option<&str>,
    today: NaiveDate,
) -> Result<Decision, IntakeError> {
    let extra = extra_reason
        .map(|r| required("reason", "理由", r, 2000))
        .transpose()?;
    let case_number = &prior.case_number;
    let (ground, mut reason) = if let Some(on) = prior.finalized_on {
        let opinion = prior
            .final_opinion
            .as_ref()
            .map(final_opinion_zh)
            .unwrap_or_default();
        (
            BarGround::FinalAfterReReview,
            format!(
                "您反映的事项已于 {on} 办理终结（前案编号 {case_number}{opinion}），现以同一事实和理由再次提出，依据《信访工作条例》第三十六条第三款，不再受理。"
            ),
        )
    } else if prior.in_handling_within_period(today) {
        (
            BarGround::EarlierCaseInProgress,
            format!(
                "您反映的事项已由有关机关登记办理（前案编号 {case_number}），尚在法定办理期限内，依据《信访工作条例》第十九条，不予受理。"
            ),
        )
    } else {
        return Err(IntakeError::PriorDoesNotBar {
            case_number: case_number.clone(),
            status_zh: status_zh(&prior.status),
        });
    };
    if let Some(extra) = &extra {
        reason.push_str(extra);
    }
    Ok(Decision {
        outcome: Outcome::Barred {
            ground,
            prior_petition_id: prior.id,
            prior_case_number: prior.case_number.clone(),
            final_opinion: prior
                .final_opinion
                .clone()
                .filter(|_| ground == BarGround::FinalAfterReReview),
        },
        reason,
        channel_override: None,
    })
}

/// How a bar cites the final opinion: "，复核意见：维持，2025-01-20 出具".
fn final_opinion_zh(o: &FinalOpinion) -> String {
    let level = match o.level.as_str() {
        "re_review" => "复核意见",
        "review" => "复查意见",
        _ => "处理意见",
    };
    let outcome = match o.outcome.as_str() {
        "support" => "支持",
        "explain" => "解释说明",
        "reject" => "不予支持",
        "uphold" => "维持",
        "revoke" => "撤销",
        "modify" => "变更",
        other => other,
    };
    match o.issued_on {
        Some(d) => format!("，{level}：{outcome}，{d} 出具"),
        None => format!("，{level}：{outcome}"),
    }
}

/// The date of an act (作出之日) entered by a clerk: `requested` or today; never in the future,
/// never before the petition was received, never before the step it follows (`follows`).
pub fn act_date(
    requested: Option<NaiveDate>,
    today: NaiveDate,
    received_on: NaiveDate,
    follows: Option<NaiveDate>,
) -> Result<NaiveDate, IntakeError> {
    let Some(on) = requested else {
        return Ok(today);
    };
    if on > today {
        return Err(IntakeError::ActDateInFuture);
    }
    let earliest = follows.map_or(received_on, |f| f.max(received_on));
    if on < earliest {
        return Err(IntakeError::ActDateBeforeStep { earliest });
    }
    Ok(on)
}

/// The last day the receiving unit may object (异议期限, art 23 ¶3).
pub fn objection_deadline(
    calendar: &HolidayCalendar,
    today: NaiveDate,
    limits: WorkingDayLimits,
) -> Result<NaiveDate, IntakeError> {
    Ok(xinfang_calendar::add_working_days(
        calendar,
        today,
        limits.objection,
    )?)
}

/// 转送 to another organ.
pub fn transfer(
    case: &CaseFacts,
    to_unit: &str,
    reason: &str,
    object_by: NaiveDate,
) -> Result<Decision, IntakeError> {
    let to_unit = unit_code("to_unit", to_unit)?;
    let reason = required("reason", "转送理由", reason, 2000)?;
    case.refuse_accused(Some(&to_unit), "to_unit")?;
    Ok(Decision {
        outcome: Outcome::Transferred { to_unit, object_by },
        reason,
        channel_override: None,
    })
}

/// 交办 to a unit with a deadline after today.
pub fn assign(
    case: &CaseFacts,
    to_unit: &str,
    due_on: NaiveDate,
    instructions: &str,
    today: NaiveDate,
    object_by: NaiveDate,
) -> Result<Decision, IntakeError> {
    let to_unit = unit_code("to_unit", to_unit)?;
    let instructions = required("instructions", "交办要求", instructions, 2000)?;
    if due_on <= today {
        return Err(IntakeError::DueOnNotAfterToday);
    }
    case.refuse_accused(Some(&to_unit), "to_unit")?;
    Ok(Decision {
        outcome: Outcome::Assigned {
            to_unit,
            due_on,
            object_by,
        },
        reason: instructions,
        channel_override: None,
    })
}

/// The route and procedure the written acceptance notice states (处理途径和程序, art 23 ¶3), by the
/// kind of matter.
pub fn acceptance_procedure(category: Option<Category>) -> &'static str {
    match category {
        Some(Category::Claim) => "本单位将依照《信访工作条例》第三十一条办理，自受理之日起60日内办结并出具信访处理意见书；情况复杂的，经批准可延长不超过30日，并告知延期理由。对处理意见不服的，可自收到书面答复之日起30日内请求上一级机关复查。",
        Some(Category::Accusation) => "本单位将依照《信访工作条例》第三十条依规依纪依法处理，并对检举控告人的信息严格保密。",
        Some(Category::Suggestion) => "本单位将依照《信访工作条例》第二十九条研究论证，并将采纳情况告知您。",
        None => "本单位将依照《信访工作条例》的规定办理，并将办理结果告知您。",
    }
}

/// The receiving unit may object only until the objection deadline (异议期限).
pub fn ensure_objection_in_time(object_by: NaiveDate, today: NaiveDate) -> Result<(), IntakeError> {
    if today > object_by {
        return Err(IntakeError::ObjectionTooLate { object_by });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use xinfang_platform::Role;

    fn case(category: Option<Category>, respondent: Option<&str>) -> CaseFacts {
        CaseFacts {
            id: Uuid::now_v7(),
            case_number: "140423-2025-000001".into(),
            status: "registered".into(),
            registering_unit: "XFJ".into(),
            category,
            field: None,
            township: None,
            respondent_unit: respondent.map(Into::into),
            received_on: day(1),
            repeat_of: None,
            correlation_id: Uuid::now_v7(),
            handling_unit: None,
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 9, d).unwrap()
    }

    fn no_suggestion() -> Suggestion {
        Suggestion {
            rule_version: 1,
            rule_index: None,
            unit: None,
            legal_channel: None,
            guidance: None,
            skipped_accused_unit: vec![],
        }
    }

    #[test]
    fn only_the_registering_unit_or_the_bureau_decides_while_open() {
        let actor = |unit: &str, bureau| Actor::person("u", unit, &[Role::Clerk], bureau);
        let mut c = case(None, None);
        assert!(c
            .ensure_decidable_by(&actor("XFJ", false), "accept")
            .is_ok());
        assert!(c.ensure_decidable_by(&actor("RSJ", true), "accept").is_ok());
        assert!(matches!(
            c.ensure_decidable_by(&actor("RSJ", false), "accept"),
            Err(IntakeError::NotDecidingUnit)
        ));
        c.status = "accepted".into();
        let e = c
            .ensure_decidable_by(&actor("XFJ", false), "accept")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "该信访件当前状态为“已受理”，不能再作出此决定"
        );
        // Accepted by the organ itself: nothing to hand on.
        assert!(c
            .ensure_decidable_by(&actor("XFJ", false), "assign")
            .is_err());
        // Accepted and handed to a handling unit: it may be handed on (转送/交办), nothing else.
        c.handling_unit = Some("RSJ".into());
        assert!(c
            .ensure_decidable_by(&actor("XFJ", false), "assign")
            .is_ok());
        assert!(c
            .ensure_decidable_by(&actor("XFJ", false), "transfer")
            .is_ok());
        for kind in ["accept", "decline", "bar"] {
            assert!(
                c.ensure_decidable_by(&actor("XFJ", false), kind).is_err(),
                "{kind}"
            );
        }
        assert!(matches!(
            c.ensure_decidable_by(&actor("RSJ", false), "assign"),
            Err(IntakeError::NotDecidingUnit)
        ));
    }

    #[test]
    fn accusations_are_not_handed_to_the_accused_unit() {
        let c = case(Some(Category::Accusation), Some("ZJJ"));
        let e = transfer(&c, "ZJJ", "转", day(8)).unwrap_err();
        assert_eq!(e.field(), Some("to_unit"));
        let d = transfer(&c, "RSJ", "转", day(8)).unwrap();
        assert_eq!(
            (d.kind(), d.status(), d.notice()),
            ("transfer", "transferred", "转送告知书")
        );
        assert_eq!(d.handling_unit(), Some("RSJ"));
    }

    #[test]
    fn a_decline_names_its_channel_or_guidance() {
        let e = decline("不属于信访事项", None, None, None, &no_suggestion()).unwrap_err();
        assert!(matches!(e, IntakeError::GuidanceMissing));
        let d = decline("诉讼", None, Some("litigation"), None, &no_suggestion()).unwrap();
        let details = d.details(&no_suggestion());
        assert_eq!(details["legal_channel"], "litigation");
        assert_eq!(details["ground"], "legal_channel");
        assert_eq!(details["legal_basis"], "《信访工作条例》第三十一条");
        assert_eq!(details["followed_suggestion"], false);
        assert_eq!(details["notice"], "不予受理告知书");
        // outside the organ's remit: art 23, and the competent organ must be named
        let d = decline(
            "不属于本机关职权",
            None,
            None,
            Some("请向县自然资源局提出"),
            &no_suggestion(),
        )
        .unwrap();
        let details = d.details(&no_suggestion());
        assert_eq!(details["ground"], "outside_remit");
        assert_eq!(details["legal_basis"], "《信访工作条例》第二十三条");
        // a legal-channel ground needs its channel
        let e = decline(
            "x",
            Some("legal_channel"),
            None,
            Some("g"),
            &no_suggestion(),
        )
        .unwrap_err();
        assert_eq!(e.field(), Some("legal_channel"));
        let d = decline(
            "x",
            None,
            Some("administrative_reconsideration"),
            None,
            &no_suggestion(),
        )
        .unwrap();
        assert!(d.details(&no_suggestion())["guidance"]
            .as_str()
            .unwrap()
            .contains("行政复议"));
    }

    #[test]
    fn a_bar_needs_a_finished_or_running_earlier_case() {
        let prior = |status: &str, finalized_on| PriorCase {
            id: Uuid::now_v7(),
            case_number: "140423-2024-000009".into(),
            status: status.into(),
            finalized_on,
            final_opinion: None,
            handled_since: Some(day(1)),
            due_on: None,
        };
        let today = day(20);
        let d = bar(&prior("accepted", Some(day(2))), Some("另查明"), today).unwrap();
        assert_eq!(d.notice(), "不再受理告知书");
        assert!(d.reason.ends_with("另查明"));
        assert!(d.reason.contains("第三十六条"));
        let d = bar(&prior("in_handling", None), None, today).unwrap();
        assert_eq!(d.notice(), "不予受理告知书");
        assert!(d.reason.contains("第十九条"));
        for status in ["declined", "registered", "returned"] {
            assert!(
                matches!(
                    bar(&prior(status, None), None, today),
                    Err(IntakeError::PriorDoesNotBar { .. })
                ),
                "{status}"
            );
        }
        // past its handling period (60 + 30 日), an earlier case no longer bars under art 19
        let late = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        assert!(matches!(
            bar(&prior("in_handling", None), None, late),
            Err(IntakeError::PriorDoesNotBar { .. })
        ));
        // an assignment's own date is its period
        let assigned = PriorCase {
            due_on: Some(day(10)),
            ..prior("assigned", None)
        };
        assert!(bar(&assigned, None, day(10)).is_ok());
        assert!(bar(&assigned, None, day(11)).is_err());
    }

    #[test]
    fn going_against_a_legal_channel_suggestion_needs_a_reason() {
        let suggestion = Suggestion {
            legal_channel: Some("political_legal".into()),
            guidance: Some("请向政法部门提出".into()),
            ..no_suggestion()
        };
        let e = channel_override(&suggestion, None, None, None).unwrap_err();
        assert_eq!(e.field(), Some("override_reason"));
        assert!(e.to_string().contains("政法部门"));
        assert!(channel_override(&suggestion, None, None, Some("  ")).is_err());
        // a court is an organ of the political-legal channel
        assert_eq!(
            channel_override(&suggestion, Some("140423-FY"), Some("court"), None).unwrap(),
            None
        );
        let o = channel_override(
            &suggestion,
            Some("140423-RSJ"),
            Some("department"),
            Some("已终结，转为帮扶"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(o.suggested_channel, "political_legal");
        assert_eq!(
            channel_override(&no_suggestion(), None, None, None).unwrap(),
            None
        );
        // the unit the same rule names follows the rule
        let with_unit = Suggestion {
            unit: Some("140423-JW".into()),
            ..suggestion
        };
        assert_eq!(
            channel_override(&with_unit, Some("140423-JW"), None, None).unwrap(),
            None
        );
    }

    #[test]
    fn the_date_of_an_act_is_checked() {
        assert_eq!(act_date(None, day(20), day(1), None).unwrap(), day(20));
        assert_eq!(
            act_date(Some(day(10)), day(20), day(1), Some(day(5))).unwrap(),
            day(10)
        );
        assert!(matches!(
            act_date(Some(day(21)), day(20), day(1), None),
            Err(IntakeError::ActDateInFuture)
        ));
        let e = act_date(Some(day(4)), day(20), day(1), Some(day(5))).unwrap_err();
        assert_eq!(e.field(), Some("decided_on"));
        assert!(act_date(
            Some(NaiveDate::from_ymd_opt(2025, 8, 31).unwrap()),
            day(20),
            day(1),
            None
        )
        .is_err());
    }

    #[test]
    fn an_assignment_is_due_after_today() {
        let c = case(None, None);
        assert!(matches!(
            assign(&c, "RSJ", day(5), "办", day(5), day(12)),
            Err(IntakeError::DueOnNotAfterToday)
        ));
        let d = assign(&c, "RSJ", day(20), "办", day(5), day(12)).unwrap();
        assert_eq!(d.hand_off(), Some(("assign", "RSJ", Some(day(20)))));
        assert!(ensure_objection_in_time(day(12), day(13)).is_err());
        assert!(ensure_objection_in_time(day(12), day(12)).is_ok());
    }
}
