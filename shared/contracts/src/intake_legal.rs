//! Intake's events of legal fidelity (依法分类处理与转送交办的法定程序): a decision that goes against
//! a legal-channel suggestion (导入法定途径的例外), the transferring organ's ruling on a receiving
//! unit's objection (异议核实, art 23 ¶3), and intake's notice requests (written acceptance notice
//! 书面告知接收情况).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::{Event, Producer};
use crate::notices::NoticeRequest;

/// `intake.legal_channel.overridden.v1`: a matter the routing rules send to a legal channel was
/// nevertheless accepted, transferred or assigned as a petition, with the recorded reason
/// (偏离法定途径建议). Supervision counts these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LegalChannelOverriddenV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    /// The suggested channel's code (e.g. `political_legal`).
    pub suggested_channel: String,
    /// `accept`, `transfer` or `assign`.
    pub decision_kind: String,
    pub reason: String,
    pub decided_on: NaiveDate,
    pub decided_by_unit: String,
    pub decided_by: String,
}
impl Event for LegalChannelOverriddenV1 {
    const PRODUCER: Producer = Producer::Intake;
    const EVENT_TYPE: &'static str = "legal_channel.overridden";
    const VERSION: u16 = 1;
}

/// `intake.assignment.objection_ruled.v1`: the transferring organ verified a receiving unit's
/// objection (核实): `agreed` returns the material (交还相关材料) and the case is re-routed; a
/// rejection leaves the case with the unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentObjectionRuledV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    /// The objecting unit.
    pub unit: String,
    pub agreed: bool,
    pub reason: String,
    pub ruled_on: NaiveDate,
    pub ruled_by_unit: String,
}
impl Event for AssignmentObjectionRuledV1 {
    const PRODUCER: Producer = Producer::Intake;
    const EVENT_TYPE: &'static str = "assignment.objection_ruled";
    const VERSION: u16 = 1;
}

/// `intake.notice.requested.v1`: intake asks for a statutory document (e.g.
/// [`crate::notices::templates::ASSIGNMENT_ACCEPTANCE_NOTICE`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntakeNoticeRequestedV1 {
    #[serde(flatten)]
    pub request: NoticeRequest,
}
impl Event for IntakeNoticeRequestedV1 {
    const PRODUCER: Producer = Producer::Intake;
    const EVENT_TYPE: &'static str = "notice.requested";
    const VERSION: u16 = 1;
}
