//! Contracts of administrative review (行政三级办理, 《信访工作条例》第三十一条第六项至第三十七条):
//! handling (办理), extension (延期), opinions (处理意见书, 复查意见书, 复核意见书), delivery (送达),
//! review (复查), re-review (复核), hearings (听证), closure (办结: 实体性 / 程序性), implementation
//! (落实), follow-up (后续工作) and referrals; and the one event supervision sends back about these
//! clocks, [`DeadlineProjectedV1`], so that administrative review shows and checks due dates without
//! computing any itself.
//!
//! Levels (层级) are `handling` (办理), `review` (复查) and `re_review` (复核) everywhere.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::{Event, Producer};

macro_rules! review_event {
    ($ty:ident, $name:literal) => {
        impl Event for $ty {
            const PRODUCER: Producer = Producer::AdministrativeReview;
            const EVENT_TYPE: &'static str = $name;
            const VERSION: u16 = 1;
        }
    };
}

/// Level names (层级).
pub mod levels {
    /// 办理 (信访处理意见书)
    pub const HANDLING: &str = "handling";
    /// 复查 (复查意见书)
    pub const REVIEW: &str = "review";
    /// 复核 (复核意见书)
    pub const RE_REVIEW: &str = "re_review";
}

/// `administrative-review.handling.started.v1`: a unit starts handling a claim (开始办理): accepted
/// for handling, or a transfer / assignment accepted by the receiving unit. Opens the handling clock
/// (办理期限, art 34) from `started_on`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandlingStartedV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    /// 办理单位 (unit code).
    pub unit: String,
    /// 受理之日: the handling clock starts here.
    pub started_on: NaiveDate,
    /// `accepted` (受理), `transferred` (转送后受理), `assigned` (交办后受理).
    pub origin: String,
    /// For a matter assigned from above: the assigning unit, owed a 办结报告 (art 22(3)).
    #[serde(default)]
    pub assigned_by_unit: Option<String>,
    /// The upstream body's reference (上级来文编号), carried back in the completion report.
    #[serde(default)]
    pub upstream_reference: Option<String>,
}
review_event!(HandlingStartedV1, "handling.started");

/// `administrative-review.extension.requested.v1`: a handler asked to extend the handling period
/// (申请延期, art 34).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtensionRequestedV1 {
    pub extension_id: Uuid,
    pub petition_id: Uuid,
    pub case_number: String,
    pub unit: String,
    pub days: u32,
    pub reason: String,
    pub requested_on: NaiveDate,
}
review_event!(ExtensionRequestedV1, "extension.requested");

/// `administrative-review.extension.decided.v1`: the unit head approved or rejected the extension
/// (批准 / 不批准延期). On approval supervision moves the handling clock by `days` and answers with
/// [`DeadlineProjectedV1`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtensionDecidedV1 {
    pub extension_id: Uuid,
    pub petition_id: Uuid,
    pub case_number: String,
    pub unit: String,
    pub approved: bool,
    pub days: u32,
    /// The reason of the request (延期理由), told to the petitioner on approval.
    pub reason: String,
    pub decided_on: NaiveDate,
}
review_event!(ExtensionDecidedV1, "extension.decided");

/// `administrative-review.opinion.issued.v1`: an opinion was issued (出具意见书): the level's clock
/// is met, the delivery clock (送达) opens, and a 支持 opinion with something to do opens the
/// implementation clock (落实期限) on the date the organ set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpinionIssuedV1 {
    pub opinion_id: Uuid,
    pub petition_id: Uuid,
    pub case_number: String,
    /// `handling`, `review`, `re_review`.
    pub level: String,
    /// handling: `support` (支持), `explain` (解释说明), `reject` (不予支持); review and re-review:
    /// `uphold` (维持), `revoke` (撤销), `modify` (变更).
    pub outcome: String,
    /// 出具机关 (unit code).
    pub issuing_unit: String,
    pub issued_on: NaiveDate,
    /// The opinion this one corrects (更正), if any.
    #[serde(default)]
    pub corrects: Option<Uuid>,
    /// 落实期限 set by the organ for a 支持 opinion.
    #[serde(default)]
    pub implement_by: Option<NaiveDate>,
    /// 落实单位.
    #[serde(default)]
    pub implementing_unit: Option<String>,
    /// True when an organ outside this deployment decided and the decision was recorded here.
    #[serde(default)]
    pub external: bool,
}
review_event!(OpinionIssuedV1, "opinion.issued");

/// `administrative-review.opinion.delivered.v1`: the petitioner received the opinion (送达); the
/// petitioner's window (art 35, 36) runs from `delivered_on`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpinionDeliveredV1 {
    pub opinion_id: Uuid,
    pub petition_id: Uuid,
    pub case_number: String,
    pub level: String,
    pub issuing_unit: String,
    pub delivered_on: NaiveDate,
    /// `in_person` (直接送达), `post` (邮寄), `electronic` (电子送达), `left_at_address` (留置),
    /// `public_announcement` (公告).
    pub method: String,
    /// 送达回证: who signed, tracking number, electronic receipt.
    #[serde(default)]
    pub proof: Option<String>,
    /// `handler` (recorded by hand) or `notification` (reported by notification).
    pub recorded_from: String,
}
review_event!(OpinionDeliveredV1, "opinion.delivered");

/// `administrative-review.review.requested.v1`: the petitioner asked for review or re-review in time
/// (请求复查 / 复核): the window is used and the level's clock opens for the organ above.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRequestedV1 {
    pub review_id: Uuid,
    pub petition_id: Uuid,
    pub case_number: String,
    /// `review` or `re_review`.
    pub level: String,
    /// The organ one level above (上一级机关, unit code).
    pub organ_unit: String,
    pub requested_on: NaiveDate,
    /// True when that organ is outside this deployment: the request is forwarded (转交).
    #[serde(default)]
    pub forwarded: bool,
}
review_event!(ReviewRequestedV1, "review.requested");

/// `administrative-review.review.refused.v1`: a review or re-review request came after its window
/// closed (逾期请求, 不予受理).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewRefusedV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    pub level: String,
    pub requested_on: NaiveDate,
    pub window_closed_on: NaiveDate,
}
review_event!(ReviewRefusedV1, "review.refused");

/// `administrative-review.hearing.held.v1`: a hearing (听证) took place from `held_from` to
/// `held_to` (inclusive). At the re-review level those days are not counted (art 36 ¶2); at other
/// levels the clock runs on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HearingHeldV1 {
    pub hearing_id: Uuid,
    pub petition_id: Uuid,
    pub case_number: String,
    pub level: String,
    pub unit: String,
    pub held_from: NaiveDate,
    pub held_to: NaiveDate,
    /// The organ decided to publish the result (向社会公示).
    #[serde(default)]
    pub published: bool,
}
review_event!(HearingHeldV1, "hearing.held");

/// `administrative-review.case.closed.v1`: handling closed (办结), substantively (实体性办结: the
/// demand decided on its merits, by opinion or mediation) or on procedure only (程序性办结: declined,
/// withdrawn, referred, unreachable), with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseClosedV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    pub unit: String,
    /// `substantive` or `procedural`.
    pub closure: String,
    /// substantive: `opinion`, `mediation`, `settlement`; procedural: `declined`, `withdrawn`,
    /// `referred`, `unreachable`.
    pub ground: String,
    pub reason: String,
    pub closed_on: NaiveDate,
    /// The handling opinion's outcome when closed by one.
    #[serde(default)]
    pub outcome: Option<String>,
}
review_event!(CaseClosedV1, "case.closed");

/// `administrative-review.implementation.completed.v1`: what a 支持 opinion required was done
/// (落实完毕).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImplementationCompletedV1 {
    pub opinion_id: Uuid,
    pub petition_id: Uuid,
    pub case_number: String,
    pub unit: String,
    pub completed_on: NaiveDate,
}
review_event!(ImplementationCompletedV1, "implementation.completed");

/// `administrative-review.follow_up.recorded.v1`: follow-up work after finality (后续工作, art 37),
/// or a referral to an outside body on the roadmap (移送) and its reported outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUpRecordedV1 {
    pub follow_up_id: Uuid,
    pub petition_id: Uuid,
    pub case_number: String,
    pub unit: String,
    /// `counselling` (疏导教育), `conflict_resolution` (矛盾化解), `assistance` (帮扶救助),
    /// `referral` (移送), `referral_outcome` (移送结果).
    pub kind: String,
    pub on: NaiveDate,
    /// For referrals: `court`, `procuratorate`, `peoples_congress`, `cppcc`, `discipline_inspection`.
    #[serde(default)]
    pub body: Option<String>,
}
review_event!(FollowUpRecordedV1, "follow_up.recorded");

/// `supervision.deadline.projected.v1`: supervision opened or moved one of administrative review's
/// clocks (办理, 复查, 复核, 申请期限, 送达, 落实) and this is its due date with how it was computed.
/// Administrative review shows it and compares dates against it; it never computes one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadlineProjectedV1 {
    pub deadline_id: Uuid,
    pub petition_id: Uuid,
    pub case_number: String,
    /// `handling`, `opinion_delivery`, `review_window`, `review`, `re_review_window`, `re_review`,
    /// `implementation`.
    pub kind: String,
    pub unit: String,
    pub start_on: NaiveDate,
    /// None while the calendar does not cover the date.
    #[serde(default)]
    pub due_on: Option<NaiveDate>,
    #[serde(default)]
    pub explanation: Vec<String>,
    /// Approved extensions counted in.
    #[serde(default)]
    pub extensions: u32,
}
impl Event for DeadlineProjectedV1 {
    const PRODUCER: Producer = Producer::Supervision;
    const EVENT_TYPE: &'static str = "deadline.projected";
    const VERSION: u16 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DomainEvent, Envelope};

    #[test]
    fn review_events_round_trip_under_their_keys() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let issued = OpinionIssuedV1 {
            opinion_id: Uuid::now_v7(),
            petition_id: Uuid::now_v7(),
            case_number: "140423-2026-000001".into(),
            level: levels::HANDLING.into(),
            outcome: "support".into(),
            issuing_unit: "140423-RSJ".into(),
            issued_on: d,
            corrects: None,
            implement_by: Some(d),
            implementing_unit: Some("140423-RSJ".into()),
            external: false,
        };
        let env = Envelope::new(&issued, Some(issued.petition_id), None, None);
        assert_eq!(env.routing_key(), "administrative-review.opinion.issued.v1");
        assert_eq!(
            DomainEvent::decode(&env).unwrap(),
            DomainEvent::OpinionIssued(issued)
        );
        let projected = DeadlineProjectedV1 {
            deadline_id: Uuid::now_v7(),
            petition_id: Uuid::now_v7(),
            case_number: "c".into(),
            kind: "review_window".into(),
            unit: "u".into(),
            start_on: d,
            due_on: Some(d),
            explanation: vec!["x".into()],
            extensions: 0,
        };
        let env = Envelope::new(&projected, None, None, None);
        assert_eq!(env.routing_key(), "supervision.deadline.projected.v1");
        assert!(matches!(
            DomainEvent::decode(&env),
            Ok(DomainEvent::DeadlineProjected(_))
        ));
    }
}
