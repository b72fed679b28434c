//! Typed events. Each struct is one `<aggregate>.<event>.v<N>`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::archive::{ArchiveDestroyedV1, ArchivePackagedV1};
use crate::deadline_changes::DeadlineChangedV1;
use crate::envelope::{ContractError, Envelope, Event, Producer};
use crate::intake_legal::{
    AssignmentObjectionRuledV1, IntakeNoticeRequestedV1, LegalChannelOverriddenV1,
};
use crate::mediation::MediationBodyChangedV1;
use crate::mediation::{
    AgreementNotPerformedV1, AgreementPerformedV1, DisputeRegisteredV1, DisputeResolvedV1,
    JudicialConfirmationAppliedV1, JudicialConfirmationRuledV1, MediationAgreementReachedV1,
    MediationConsentRecordedV1, MediationConsentRefusedV1, MediationEndedV1, MediationReferredV1,
    MediationSessionHeldV1, MediationSessionScheduledV1, MediatorAssignedV1,
};
use crate::notices::{
    MediationConcludedV1, MediationNoticeRequestedV1, NoticeDeliveredV1, NoticeDeliveryFailedV1,
    ReviewNoticeRequestedV1,
};
use crate::review::{
    CaseClosedV1, DeadlineProjectedV1, ExtensionDecidedV1, ExtensionRequestedV1,
    FollowUpRecordedV1, HandlingStartedV1, HearingHeldV1, ImplementationCompletedV1,
    OpinionDeliveredV1, OpinionIssuedV1, ReviewRefusedV1, ReviewRequestedV1,
};
use crate::satisfaction::SatisfactionRatedV1;

/// Channel by which a petition arrived (信访渠道).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 走访 (including group visits 多人走访)
    Visit,
    /// 书信
    Letter,
    /// 电话
    Phone,
    /// 传真
    Fax,
    /// 网上信访
    Online,
    /// 上级转送
    TransferredIn,
    /// 上级交办
    AssignedIn,
}

impl Channel {
    pub const ALL: [Channel; 7] = [
        Channel::Visit,
        Channel::Letter,
        Channel::Phone,
        Channel::Fax,
        Channel::Online,
        Channel::TransferredIn,
        Channel::AssignedIn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Visit => "visit",
            Channel::Letter => "letter",
            Channel::Phone => "phone",
            Channel::Fax => "fax",
            Channel::Online => "online",
            Channel::TransferredIn => "transferred_in",
            Channel::AssignedIn => "assigned_in",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Chinese name for people.
    pub fn label_zh(self) -> &'static str {
        match self {
            Channel::Visit => "走访",
            Channel::Letter => "书信",
            Channel::Phone => "电话",
            Channel::Fax => "传真",
            Channel::Online => "网上信访",
            Channel::TransferredIn => "上级转送",
            Channel::AssignedIn => "上级交办",
        }
    }
}

/// `intake.petition.registered.v1`: a petition was registered at the window (登记).
///
/// Carries ids and the minimum a consumer needs; never identity numbers or phone numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PetitionRegisteredV1 {
    pub petition_id: Uuid,
    /// 信访件编号, e.g. `140423-2025-000123`
    pub case_number: String,
    pub channel: Channel,
    /// Date the bureau received the matter (收到之日); the statutory clocks start here.
    pub received_on: NaiveDate,
    pub registered_at: DateTime<Utc>,
    /// Unit that registered it (登记单位).
    pub registering_unit: String,
    /// 区划代码 of the registering county.
    pub division_code: String,
    /// Number of petitioners (信访人数), > 1 for a group visit.
    pub petitioner_count: u32,
    /// True when the petitioner gave no name (匿名).
    #[serde(default)]
    pub anonymous: bool,
    /// Whether the petitioner left a way to be notified (e.g. a phone), without the value itself.
    #[serde(default)]
    pub contactable: bool,
    /// 信访事项类别 (known from registration in most cases; the clerk may set it at classification).
    #[serde(default)]
    pub category: Option<Category>,
    /// 信访事项领域, e.g. `labour_social_security`.
    #[serde(default)]
    pub field: Option<String>,
    /// 二级分类 in the configurable sub-taxonomy.
    #[serde(default)]
    pub subfield: Option<String>,
    /// 乡镇 (division code or name) where the matter arose.
    #[serde(default)]
    pub township: Option<String>,
    /// 被反映单位 (unit code), if one is named.
    #[serde(default)]
    pub respondent_unit: Option<String>,
    /// 多人走访
    #[serde(default)]
    pub group_visit: bool,
    /// The walk-in visit (来访登记) this registration resolves, if any.
    #[serde(default)]
    pub visit_id: Option<Uuid>,
    /// For matters transferred or assigned in from a higher level: the sender's reference number.
    #[serde(default)]
    pub upstream_reference: Option<String>,
    /// For matters assigned in: the deadline the higher level set (交办期限).
    #[serde(default)]
    pub upstream_due_on: Option<NaiveDate>,
}

impl Event for PetitionRegisteredV1 {
    const PRODUCER: Producer = Producer::Intake;
    const EVENT_TYPE: &'static str = "petition.registered";
    const VERSION: u16 = 1;
}

impl PetitionRegisteredV1 {
    /// Values of the fields added after v1 first shipped, for building events in code and tests:
    /// `PetitionRegisteredV1 { petition_id, .., ..PetitionRegisteredV1::minimal_defaults() }`.
    pub fn minimal_defaults() -> PetitionRegisteredV1 {
        PetitionRegisteredV1 {
            petition_id: Uuid::nil(),
            case_number: String::new(),
            channel: Channel::Letter,
            received_on: NaiveDate::MIN,
            registered_at: DateTime::<Utc>::MIN_UTC,
            registering_unit: String::new(),
            division_code: String::new(),
            petitioner_count: 1,
            anonymous: false,
            contactable: false,
            category: None,
            field: None,
            subfield: None,
            township: None,
            respondent_unit: None,
            group_visit: false,
            visit_id: None,
            upstream_reference: None,
            upstream_due_on: None,
        }
    }
}

/// Category of a matter (信访事项类别, 《信访工作条例》第二十九条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 建议意见类
    Suggestion,
    /// 检举控告类
    Accusation,
    /// 申诉求决类
    Claim,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Suggestion => "suggestion",
            Category::Accusation => "accusation",
            Category::Claim => "claim",
        }
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Category::Suggestion => "建议意见类",
            Category::Accusation => "检举控告类",
            Category::Claim => "申诉求决类",
        }
    }
}

/// 信访事项领域 (the hot fields of the origin document, and 其他): code and Chinese name. Intake
/// accepts these codes; the console's forms offer them.
pub const PETITION_FIELDS: [(&str, &str); 6] = [
    ("urban_rural_construction", "城乡建设"),
    ("labour_social_security", "劳动保障"),
    ("agriculture_rural", "农业农村"),
    ("natural_resources", "自然资源"),
    ("law_litigation", "涉法涉诉"),
    ("other", "其他"),
];

/// Legal channel a matter is diverted to (导入法定途径, 《信访工作条例》第三十一条).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalChannel {
    /// 诉讼 (incl. 涉法涉诉: 诉访分离, to 政法部门)
    Litigation,
    /// 仲裁
    Arbitration,
    /// 行政复议、裁决、确认、许可、处罚等行政程序
    AdministrativeProcedure,
    /// 纪检监察 (accusations against officials)
    DisciplineInspection,
    /// 政法部门 (涉法涉诉)
    PoliticalLegal,
    /// 党员申诉
    PartyAppeal,
    /// 其他法定途径
    Other,
    /// 行政复议 (art 31(4))
    AdministrativeReconsideration,
    /// 行政裁决 (art 31(4))
    AdministrativeRuling,
    /// 行政确认 (art 31(4))
    AdministrativeConfirmation,
    /// 行政许可 (art 31(4))
    AdministrativeLicensing,
    /// 行政处罚 (art 31(4))
    AdministrativePenalty,
    /// 申请复审 (art 31(3), beside 党员申诉)
    PartyReview,
}

impl LegalChannel {
    pub fn label_zh(self) -> &'static str {
        match self {
            LegalChannel::Litigation => "诉讼",
            LegalChannel::Arbitration => "仲裁",
            LegalChannel::AdministrativeProcedure => "行政复议、裁决、确认、许可、处罚等行政程序",
            LegalChannel::DisciplineInspection => "纪检监察机关",
            LegalChannel::PoliticalLegal => "政法部门",
            LegalChannel::PartyAppeal => "党员申诉程序",
            LegalChannel::Other => "其他法定途径",
            LegalChannel::AdministrativeReconsideration => "行政复议",
            LegalChannel::AdministrativeRuling => "行政裁决",
            LegalChannel::AdministrativeConfirmation => "行政确认",
            LegalChannel::AdministrativeLicensing => "行政许可",
            LegalChannel::AdministrativePenalty => "行政处罚",
            LegalChannel::PartyReview => "申请复审程序",
        }
    }
}

macro_rules! event {
    ($ty:ident, $producer:expr, $name:literal, $version:literal) => {
        impl Event for $ty {
            const PRODUCER: Producer = $producer;
            const EVENT_TYPE: &'static str = $name;
            const VERSION: u16 = $version;
        }
    };
}

/// `intake.petition.accepted.v1`: accepted (受理); the 受理告知书 is due to the petitioner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PetitionAcceptedV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    pub accepted_on: NaiveDate,
    /// Unit that decided (受理单位).
    pub decided_by_unit: String,
    /// Unit that will handle the substance (办理单位), when known at acceptance.
    #[serde(default)]
    pub handling_unit: Option<String>,
    #[serde(default)]
    pub category: Option<Category>,
    /// 简易办理
    #[serde(default)]
    pub simple_track: bool,
    pub reason: String,
}
event!(PetitionAcceptedV1, Producer::Intake, "petition.accepted", 1);

/// `intake.petition.declined.v1`: not accepted (不予受理), with the legal channel to use.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PetitionDeclinedV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    pub decided_on: NaiveDate,
    pub decided_by_unit: String,
    pub reason: String,
    #[serde(default)]
    pub legal_channel: Option<LegalChannel>,
    /// 告知的途径和方式 (guidance for the petitioner)
    pub guidance: String,
    /// The ground (不予受理的依据): `legal_channel` (art 31, the matter belongs in a legal
    /// channel) or `outside_remit` (art 23, not within the organ's remit); absent in older events.
    #[serde(default)]
    pub ground: Option<String>,
}
event!(PetitionDeclinedV1, Producer::Intake, "petition.declined", 1);

/// `intake.petition.barred.v1`: no longer accepted (不再受理, art 36 ¶3) or not accepted while an
/// earlier case is within its period (art 19).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PetitionBarredV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    pub decided_on: NaiveDate,
    pub decided_by_unit: String,
    /// `final_after_re_review` (art 36) or `earlier_case_in_progress` (art 19)
    pub ground: String,
    pub reason: String,
    pub prior_petition_id: Uuid,
    pub prior_case_number: String,
}
event!(PetitionBarredV1, Producer::Intake, "petition.barred", 1);

/// `intake.petition.transferred.v1`: transferred to another organ (转送); the petitioner is told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PetitionTransferredV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    pub decided_on: NaiveDate,
    pub decided_by_unit: String,
    pub to_unit: String,
    pub reason: String,
}
event!(
    PetitionTransferredV1,
    Producer::Intake,
    "petition.transferred",
    1
);

/// `intake.petition.assigned.v1`: assigned to a unit with a deadline (交办).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PetitionAssignedV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    pub decided_on: NaiveDate,
    pub decided_by_unit: String,
    pub to_unit: String,
    /// 交办期限: result and 办结报告 due
    pub due_on: NaiveDate,
    pub instructions: String,
}
event!(PetitionAssignedV1, Producer::Intake, "petition.assigned", 1);

/// `intake.assignment.accepted.v1`: the receiving unit accepted a transfer or assignment (art 23 ¶3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentAcceptedV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    pub unit: String,
    pub accepted_on: NaiveDate,
}
event!(
    AssignmentAcceptedV1,
    Producer::Intake,
    "assignment.accepted",
    1
);

/// `intake.assignment.objected.v1`: the receiving unit objected with reasons within 5 working days;
/// the case returns to the bureau for re-routing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssignmentObjectedV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    pub unit: String,
    pub objected_on: NaiveDate,
    pub reasons: String,
}
event!(
    AssignmentObjectedV1,
    Producer::Intake,
    "assignment.objected",
    1
);

/// `intake.petition.repeat_linked.v1`: the clerk linked a petition as a repeat of an earlier case
/// (重复信访).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepeatLinkedV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    pub earlier_petition_id: Uuid,
    pub earlier_case_number: String,
}
event!(
    RepeatLinkedV1,
    Producer::Intake,
    "petition.repeat_linked",
    1
);

/// `intake.visit.logged.v1`: a visitor was logged on arrival (来访登记), so that a visit never
/// registered can be found (应登记不登记).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitLoggedV1 {
    pub visit_id: Uuid,
    pub unit: String,
    pub arrived_at: DateTime<Utc>,
    pub visitor_count: u32,
}
event!(VisitLoggedV1, Producer::Intake, "visit.logged", 1);

/// `administrative-review.case.finalized.v1`: the last level (复核) concluded; the same facts and
/// reasons are no longer accepted (art 36 ¶3).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseFinalizedV1 {
    pub petition_id: Uuid,
    pub case_number: String,
    pub concluded_on: NaiveDate,
    /// `re_review`, or `review`/`handling` when the petitioner let the window lapse.
    pub level: String,
    /// The final opinion (终结所依据的意见书): the one issued at `level` (absent in messages
    /// published before it was carried, and for a case that became final without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_opinion: Option<FinalOpinion>,
}

/// The opinion a case became final on (最终处理意见).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalOpinion {
    pub opinion_id: Uuid,
    /// `support` (支持) | `explain` (解释说明) | `reject` (不予支持) for a handling opinion;
    /// `uphold` (维持) | `revoke` (撤销) | `modify` (变更) for a review or re-review opinion.
    pub outcome: String,
    /// `handling` | `review` | `re_review`
    pub level: String,
    /// 出具日期
    pub issued_on: Option<NaiveDate>,
    /// 送达日期
    pub delivered_on: Option<NaiveDate>,
    /// 出具机关
    pub issuing_unit: String,
}
event!(
    CaseFinalizedV1,
    Producer::AdministrativeReview,
    "case.finalized",
    1
);

/// Steps of a deadline's timer (期限提醒).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineStep {
    /// 临期预警
    Warning,
    /// 到期
    Due,
    /// 超期
    Overdue,
    /// 严重超期
    LongOverdue,
}

/// `supervision.deadline.step_reached.v1`: a deadline's timer fired one step (exactly once per
/// deadline and step).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeadlineStepReachedV1 {
    pub deadline_id: Uuid,
    pub petition_id: Uuid,
    pub case_number: String,
    pub kind: String,
    pub unit: String,
    pub due_on: NaiveDate,
    pub step: DeadlineStep,
}
event!(
    DeadlineStepReachedV1,
    Producer::Supervision,
    "deadline.step_reached",
    1
);

/// `supervision.order.issued.v1`: a supervision order to a unit (催办, 督办, 挂牌督办, 约谈, 通报),
/// which requires a written response by `respond_by`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupervisionOrderIssuedV1 {
    pub order_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    #[serde(default)]
    pub case_number: Option<String>,
    pub unit: String,
    /// `reminder` (催办), `supervision` (督办), `listed` (挂牌督办), `interview` (约谈), `circular` (通报)
    pub kind: String,
    pub respond_by: NaiveDate,
    pub summary: String,
}
event!(
    SupervisionOrderIssuedV1,
    Producer::Supervision,
    "order.issued",
    1
);

/// `supervision.recommendation.issued.v1`: one of the three recommendations (三项建议, art 40:
/// 改进工作, 完善政策, 追究责任) to a unit, which must answer in writing by `feedback_due`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecommendationIssuedV1 {
    pub recommendation_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    pub unit: String,
    /// `improve_work` (改进工作建议), `improve_policy` (完善政策建议),
    /// `pursue_accountability` (追究责任建议)
    pub kind: String,
    /// 发现的问题 (what the bureau found)
    pub findings: String,
    /// 建议内容
    pub content: String,
    pub issued_on: NaiveDate,
    pub feedback_due: NaiveDate,
    /// The unit that makes the recommendation (提出建议的机关), whose name heads the letter when
    /// it concerns no case. Absent in events written before it was added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuing_unit: Option<String>,
}
event!(
    RecommendationIssuedV1,
    Producer::Supervision,
    "recommendation.issued",
    1
);

/// `supervision.finding.raised.v1`: an assessment finding (考核发现) against a unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FindingRaisedV1 {
    pub finding_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    pub unit: String,
    /// `unregistered_visit` (应登记不登记), `unaccepted` (应受理不受理), `unhandled` (应办理不办理),
    /// `unaccounted` (应追责不追责), `uninvestigated` (应查处不查处)
    pub question: String,
    pub detail: String,
}
event!(FindingRaisedV1, Producer::Supervision, "finding.raised", 1);

/// One organ of the units directory (单位目录) as the console publishes it: the whole record, so
/// that a consumer can keep its own copy by upserting on `code` when `version` is newer than its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitRecordV1 {
    /// 单位代码: division code + suffix, e.g. `140423-XFJ`.
    pub code: String,
    /// 区划代码, e.g. `140423`.
    pub division_code: String,
    /// 全称, e.g. `襄垣县信访局`.
    pub name: String,
    /// 简称, e.g. `县信访局`.
    pub short_name: String,
    /// 单位类别: `petition_bureau` (信访局), `government` (人民政府), `department` (政府工作部门),
    /// `township_government` (乡镇政府), `village_committee` (村(居)委会), `court` (法院),
    /// `procuratorate` (检察院), `discipline_inspection` (纪检监察机关), `peoples_congress` (人大),
    /// `cppcc` (政协), `mediation_organization` (调解组织), `external` (外部机关); a value added later
    /// is passed through as text.
    pub kind: String,
    /// 层级: `village`, `township`, `county`, `city`, `province`.
    pub level: String,
    /// 上一级行政机关 (unit code), when there is one in the directory.
    #[serde(default)]
    pub parent_code: Option<String>,
    /// 主管(监督)机关 (unit code).
    #[serde(default)]
    pub supervisor_code: Option<String>,
    /// 所属乡镇 (unit code of the township government) for local organs.
    #[serde(default)]
    pub township_code: Option<String>,
    /// False once retired (撤销): kept for the history of cases, refused for new ones.
    pub active: bool,
    /// Starts at 1, +1 per change.
    pub version: i64,
}

/// `console.unit.changed.v1`: a unit of the directory was created, changed or retired (单位变更).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitChangedV1 {
    /// `created`, `updated` or `retired`.
    pub change: String,
    pub unit: UnitRecordV1,
    pub changed_at: DateTime<Utc>,
    /// User id of the administrator (or `system:console`).
    pub changed_by: String,
}
event!(UnitChangedV1, Producer::Console, "unit.changed", 1);

macro_rules! domain_events {
    ($($variant:ident($ty:ident)),+ $(,)?) => {
        /// Every event type this build understands.
        #[derive(Debug, Clone, PartialEq)]
        pub enum DomainEvent {
            $($variant($ty)),+
        }

        impl DomainEvent {
            /// Decode an envelope into a known event. An unknown type or version is an error that
            /// the consumer dead-letters with its reason.
            pub fn decode(envelope: &Envelope) -> Result<DomainEvent, ContractError> {
                $(if envelope.is::<$ty>() {
                    return envelope.decode().map(DomainEvent::$variant);
                })+
                Err(unknown(envelope))
            }

            /// The routing keys of every known event.
            pub fn routing_keys() -> Vec<String> {
                vec![$(<$ty as Event>::routing_key()),+]
            }
        }
    };
}

domain_events!(
    PetitionRegistered(PetitionRegisteredV1),
    PetitionAccepted(PetitionAcceptedV1),
    PetitionDeclined(PetitionDeclinedV1),
    PetitionBarred(PetitionBarredV1),
    PetitionTransferred(PetitionTransferredV1),
    PetitionAssigned(PetitionAssignedV1),
    AssignmentAccepted(AssignmentAcceptedV1),
    AssignmentObjected(AssignmentObjectedV1),
    RepeatLinked(RepeatLinkedV1),
    VisitLogged(VisitLoggedV1),
    CaseFinalized(CaseFinalizedV1),
    DeadlineStepReached(DeadlineStepReachedV1),
    SupervisionOrderIssued(SupervisionOrderIssuedV1),
    RecommendationIssued(RecommendationIssuedV1),
    FindingRaised(FindingRaisedV1),
    UnitChanged(UnitChangedV1),
    ReviewNoticeRequested(ReviewNoticeRequestedV1),
    MediationNoticeRequested(MediationNoticeRequestedV1),
    NoticeDelivered(NoticeDeliveredV1),
    NoticeDeliveryFailed(NoticeDeliveryFailedV1),
    MediationConcluded(MediationConcludedV1),
    LegalChannelOverridden(LegalChannelOverriddenV1),
    AssignmentObjectionRuled(AssignmentObjectionRuledV1),
    IntakeNoticeRequested(IntakeNoticeRequestedV1),
    DeadlineChanged(DeadlineChangedV1),
    HandlingStarted(HandlingStartedV1),
    ExtensionRequested(ExtensionRequestedV1),
    ExtensionDecided(ExtensionDecidedV1),
    OpinionIssued(OpinionIssuedV1),
    OpinionDelivered(OpinionDeliveredV1),
    ReviewRequested(ReviewRequestedV1),
    ReviewRefused(ReviewRefusedV1),
    HearingHeld(HearingHeldV1),
    CaseClosed(CaseClosedV1),
    ImplementationCompleted(ImplementationCompletedV1),
    FollowUpRecorded(FollowUpRecordedV1),
    DeadlineProjected(DeadlineProjectedV1),
    MediationReferred(MediationReferredV1),
    MediationConsentRecorded(MediationConsentRecordedV1),
    MediationConsentRefused(MediationConsentRefusedV1),
    MediatorAssigned(MediatorAssignedV1),
    MediationSessionScheduled(MediationSessionScheduledV1),
    MediationSessionHeld(MediationSessionHeldV1),
    MediationAgreementReached(MediationAgreementReachedV1),
    JudicialConfirmationApplied(JudicialConfirmationAppliedV1),
    JudicialConfirmationRuled(JudicialConfirmationRuledV1),
    AgreementPerformed(AgreementPerformedV1),
    AgreementNotPerformed(AgreementNotPerformedV1),
    MediationEnded(MediationEndedV1),
    DisputeRegistered(DisputeRegisteredV1),
    DisputeResolved(DisputeResolvedV1),
    SatisfactionRated(SatisfactionRatedV1),
    ArchivePackaged(ArchivePackagedV1),
    ArchiveDestroyed(ArchiveDestroyedV1),
    MediationBodyChanged(MediationBodyChangedV1),
);

fn unknown(envelope: &Envelope) -> ContractError {
    ContractError::UnknownType {
        producer: envelope.producer.to_string(),
        event_type: envelope.event_type.clone(),
        version: envelope.version,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PetitionRegisteredV1 {
        PetitionRegisteredV1 {
            petition_id: Uuid::now_v7(),
            case_number: "140423-2025-000123".into(),
            channel: Channel::Visit,
            received_on: NaiveDate::from_ymd_opt(2025, 9, 26).unwrap(),
            registered_at: Utc::now(),
            registering_unit: "140423-XFJ".into(),
            division_code: "140423".into(),
            petitioner_count: 1,
            anonymous: false,
            contactable: true,
            ..PetitionRegisteredV1::minimal_defaults()
        }
    }

    #[test]
    fn envelope_round_trips_through_bytes() {
        let event = sample();
        let env = Envelope::new(&event, Some(event.petition_id), None, None);
        assert_eq!(env.correlation_id, env.event_id);
        assert_eq!(env.routing_key(), "intake.petition.registered.v1");
        let back = Envelope::from_bytes(&env.to_bytes()).unwrap();
        assert_eq!(back, env);
        match DomainEvent::decode(&back).unwrap() {
            DomainEvent::PetitionRegistered(e) => assert_eq!(e, event),
            other => panic!("decoded as {other:?}"),
        }
    }

    #[test]
    fn unknown_fields_are_ignored_for_compatible_additions() {
        let event = sample();
        let mut env = Envelope::new(&event, Some(event.petition_id), None, None);
        env.payload["added_later"] = serde_json::json!("x");
        assert!(DomainEvent::decode(&env).is_ok());
    }

    #[test]
    fn unknown_type_and_version_are_errors() {
        let event = sample();
        let mut env = Envelope::new(&event, None, None, None);
        env.version = 9;
        assert!(matches!(
            DomainEvent::decode(&env),
            Err(ContractError::UnknownType { version: 9, .. })
        ));
        env.version = 1;
        env.event_type = "petition.vanished".into();
        assert!(DomainEvent::decode(&env).is_err());
    }

    #[test]
    fn malformed_payload_is_an_error() {
        let event = sample();
        let mut env = Envelope::new(&event, None, None, None);
        env.payload = serde_json::json!({"petition_id": 5});
        assert!(matches!(
            DomainEvent::decode(&env),
            Err(ContractError::Malformed { .. })
        ));
        assert!(Envelope::from_bytes(b"{not json").is_err());
    }

    #[test]
    fn an_old_producer_payload_without_the_added_fields_still_decodes() {
        let event = sample();
        let mut env = Envelope::new(&event, None, None, None);
        for k in [
            "category",
            "field",
            "subfield",
            "township",
            "respondent_unit",
            "group_visit",
            "visit_id",
            "upstream_reference",
            "upstream_due_on",
            "anonymous",
            "contactable",
        ] {
            env.payload.as_object_mut().unwrap().remove(k);
        }
        assert!(matches!(
            DomainEvent::decode(&env),
            Ok(DomainEvent::PetitionRegistered(_))
        ));
    }

    #[test]
    fn every_event_round_trips_and_routing_keys_are_unique() {
        let keys = DomainEvent::routing_keys();
        let mut dedup = keys.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(keys.len(), dedup.len());
        let accepted = PetitionAcceptedV1 {
            petition_id: Uuid::now_v7(),
            case_number: "140423-2025-000001".into(),
            accepted_on: NaiveDate::from_ymd_opt(2025, 10, 9).unwrap(),
            decided_by_unit: "140423-XFJ".into(),
            handling_unit: Some("140423-RSJ".into()),
            category: Some(Category::Claim),
            simple_track: false,
            reason: "属于本机关职责范围".into(),
        };
        let env = Envelope::new(&accepted, Some(accepted.petition_id), None, None);
        assert_eq!(env.routing_key(), "intake.petition.accepted.v1");
        let back = Envelope::from_bytes(&env.to_bytes()).unwrap();
        assert_eq!(
            DomainEvent::decode(&back).unwrap(),
            DomainEvent::PetitionAccepted(accepted)
        );
        let step = DeadlineStepReachedV1 {
            deadline_id: Uuid::now_v7(),
            petition_id: Uuid::now_v7(),
            case_number: "c".into(),
            kind: "acceptance".into(),
            unit: "u".into(),
            due_on: NaiveDate::from_ymd_opt(2025, 10, 9).unwrap(),
            step: DeadlineStep::Overdue,
        };
        let env = Envelope::new(&step, Some(step.petition_id), None, None);
        assert_eq!(env.routing_key(), "supervision.deadline.step_reached.v1");
        assert_eq!(env.payload["step"], "overdue");
        assert!(DomainEvent::decode(&env).is_ok());
    }

    #[test]
    fn unit_changed_round_trips_under_the_console_key() {
        let changed = UnitChangedV1 {
            change: "updated".into(),
            unit: UnitRecordV1 {
                code: "140423-XFJ".into(),
                division_code: "140423".into(),
                name: "襄垣县信访局".into(),
                short_name: "县信访局".into(),
                kind: "petition_bureau".into(),
                level: "county".into(),
                parent_code: Some("140423-ZF".into()),
                supervisor_code: Some("140400-XFJ".into()),
                township_code: None,
                active: true,
                version: 2,
            },
            changed_at: Utc::now(),
            changed_by: "admin-1".into(),
        };
        let env = Envelope::new(&changed, None, None, None);
        assert_eq!(env.routing_key(), "console.unit.changed.v1");
        assert_eq!(env.producer, Producer::Console);
        let back = Envelope::from_bytes(&env.to_bytes()).unwrap();
        assert_eq!(
            DomainEvent::decode(&back).unwrap(),
            DomainEvent::UnitChanged(changed)
        );
        assert_eq!(Producer::parse("console"), Some(Producer::Console));
    }

    #[test]
    fn caused_by_keeps_correlation() {
        let event = sample();
        let first = Envelope::new(&event, Some(event.petition_id), None, None);
        let second = Envelope::caused_by(&event, &first);
        assert_eq!(second.correlation_id, first.correlation_id);
        assert_eq!(second.causation_id, Some(first.event_id));
        assert_eq!(second.case_id, first.case_id);
        assert_ne!(second.event_id, first.event_id);
    }
}
