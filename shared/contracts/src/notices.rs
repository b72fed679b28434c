//! Contracts between the services that decide and the service that tells (通知送达).
//!
//! A service that must tell someone something in a statutory form (延期告知书, 信访处理意见书,
//! 调解协议书, …) does not write the text itself: it publishes a [`NoticeRequest`] with the data the
//! template needs, under its own routing key, and notification renders, sends and proves delivery.
//! Delivery facts come back as [`NoticeDeliveredV1`] / [`NoticeDeliveryFailedV1`], which is how
//! administrative review anchors the petitioner's windows (art 35) on the day of receipt.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::{Event, Producer};

/// Template codes (文书模板代码) that a [`NoticeRequest`] may name. Notification refuses a request
/// naming another code (dead-lettered with the reason), so the two sides agree on this list.
pub mod templates {
    /// 延期告知书 (art 34): fields `reason`, `original_due_on`, `extended_due_on`.
    pub const EXTENSION_NOTICE: &str = "extension_notice";
    /// 信访处理意见书 (art 32): fields `outcome` (支持/解释说明/不予支持), `facts`, `reasons`,
    /// `legal_basis`, `review_organ` (name of the organ to ask for review), `issued_on`.
    pub const HANDLING_OPINION: &str = "handling_opinion";
    /// 复查意见书 (art 35): fields `outcome` (维持/撤销/变更), `facts`, `reasons`, `legal_basis`,
    /// `re_review_organ`, `issued_on`.
    pub const REVIEW_OPINION: &str = "review_opinion";
    /// 复核意见书 (art 35-36): fields `outcome`, `facts`, `reasons`, `legal_basis`, `issued_on`.
    pub const RE_REVIEW_OPINION: &str = "re_review_opinion";
    /// 听证通知: fields `hearing_on`, `place`, `chair`.
    pub const HEARING_NOTICE: &str = "hearing_notice";
    /// 办结报告 (art 22(3)) to the assigning organ: fields `outcome`, `closure` (实体性办结/程序性办结),
    /// `summary`, `upstream_reference`, `closed_on`.
    pub const COMPLETION_REPORT: &str = "completion_report";
    /// 不予受理告知书 for a review or re-review request made after its window: fields `level`
    /// (复查/复核), `window_closed_on`, `requested_on`.
    pub const LATE_REQUEST_REFUSAL: &str = "late_request_refusal";
    /// 书面告知接收情况 (art 23 ¶3): a unit accepted an assignment or transfer: fields `handling_unit`,
    /// `accepted_on`, `procedure`.
    pub const ASSIGNMENT_ACCEPTANCE_NOTICE: &str = "assignment_acceptance_notice";
    /// 调解通知: fields `session_on`, `place`, `mediator`, `body`.
    pub const MEDIATION_NOTICE: &str = "mediation_notice";
    /// 调解协议书 (人民调解法 arts 28-31): fields `parties`, `dispute`, `terms`, `perform_by`,
    /// `body`, `mediator`, `signed_on`.
    pub const MEDIATION_AGREEMENT: &str = "mediation_agreement";
    /// 调解通知 to a party of a registered dispute not (yet) a petition (信访前矛盾纠纷): fields
    /// `session_on`, `place`, `mediator`, `body`, `dispute`. The request's `petition_id` is the
    /// dispute's id and its `case_number` the dispute's reference
    /// ([`crate::mediation::dispute_reference`]); `fields.addressee` names the party.
    pub const DISPUTE_MEDIATION_NOTICE: &str = "dispute_mediation_notice";

    /// Every code above.
    pub const ALL: [&str; 11] = [
        EXTENSION_NOTICE,
        HANDLING_OPINION,
        REVIEW_OPINION,
        RE_REVIEW_OPINION,
        HEARING_NOTICE,
        COMPLETION_REPORT,
        LATE_REQUEST_REFUSAL,
        ASSIGNMENT_ACCEPTANCE_NOTICE,
        MEDIATION_NOTICE,
        MEDIATION_AGREEMENT,
        DISPUTE_MEDIATION_NOTICE,
    ];

    /// The optional field every template accepts: the name of the person addressed (受送达人),
    /// e.g. a party of a dispute, instead of "信访人".
    pub const ADDRESSEE_FIELD: &str = "addressee";
}

/// Who a notice is for (送达对象).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeRecipient {
    /// 信访人 (notification looks up the contact details itself; they never travel on the bus).
    Petitioner,
    /// A unit (`recipient_unit` names it).
    Unit,
}

/// A request to render and deliver one statutory document (文书送达请求).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeRequest {
    /// Chosen by the requester; notification renders and sends each request once, however often
    /// it is redelivered, and quotes it back in the delivery events.
    pub request_id: Uuid,
    pub petition_id: Uuid,
    pub case_number: String,
    /// One of [`templates::ALL`].
    pub template: String,
    /// 制发机关 (unit code): its name heads the document.
    pub issuing_unit: String,
    pub recipient: NoticeRecipient,
    /// The unit addressed when `recipient` is `unit`.
    #[serde(default)]
    pub recipient_unit: Option<String>,
    /// 文号, when the issuing organ numbered the document.
    #[serde(default)]
    pub document_number: Option<String>,
    /// Date the document bears (成文日期).
    pub dated_on: NaiveDate,
    /// Template fields (documented on each template code). Dates as `YYYY-MM-DD`.
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

/// `administrative-review.notice.requested.v1`: administrative review asks for a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewNoticeRequestedV1 {
    #[serde(flatten)]
    pub request: NoticeRequest,
}
impl Event for ReviewNoticeRequestedV1 {
    const PRODUCER: Producer = Producer::AdministrativeReview;
    const EVENT_TYPE: &'static str = "notice.requested";
    const VERSION: u16 = 1;
}

/// `mediation.notice.requested.v1`: mediation asks for a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediationNoticeRequestedV1 {
    #[serde(flatten)]
    pub request: NoticeRequest,
}
impl Event for MediationNoticeRequestedV1 {
    const PRODUCER: Producer = Producer::Mediation;
    const EVENT_TYPE: &'static str = "notice.requested";
    const VERSION: u16 = 1;
}

/// `notification.notice.delivered.v1`: the recipient received the document (送达), on `delivered_on`
/// by `method`. The petitioner's windows under art 35 run from this date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeDeliveredV1 {
    pub notice_id: Uuid,
    /// The [`NoticeRequest::request_id`] this answers, when the notice came from a request.
    #[serde(default)]
    pub request_id: Option<Uuid>,
    pub petition_id: Uuid,
    pub case_number: String,
    pub template: String,
    pub recipient: NoticeRecipient,
    /// `in_person` (直接送达), `post` (邮寄), `electronic` (电子送达), `left_at_address` (留置),
    /// `public_announcement` (公告).
    pub method: String,
    pub delivered_on: NaiveDate,
    /// 送达回证: who signed, tracking number or electronic receipt.
    #[serde(default)]
    pub proof: Option<String>,
}
impl Event for NoticeDeliveredV1 {
    const PRODUCER: Producer = Producer::Notification;
    const EVENT_TYPE: &'static str = "notice.delivered";
    const VERSION: u16 = 1;
}

/// `notification.notice.delivery_failed.v1`: every attempt on the channel failed; operators see it
/// and may retry by hand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeDeliveryFailedV1 {
    pub notice_id: Uuid,
    #[serde(default)]
    pub request_id: Option<Uuid>,
    pub petition_id: Uuid,
    pub case_number: String,
    pub template: String,
    pub channel: String,
    pub attempts: i32,
    pub reason: String,
}
impl Event for NoticeDeliveryFailedV1 {
    const PRODUCER: Producer = Producer::Notification;
    const EVENT_TYPE: &'static str = "notice.delivery_failed";
    const VERSION: u16 = 1;
}

/// `mediation.mediation.concluded.v1`: a mediation of a petition ended (调解结束).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediationConcludedV1 {
    pub mediation_id: Uuid,
    pub petition_id: Uuid,
    pub case_number: String,
    /// `agreement` (达成协议), `oral_agreement` (口头协议), `failed` (调解不成), `withdrawn` (当事人撤回),
    /// `consent_refused` (不同意调解).
    pub outcome: String,
    /// True when the agreement resolves the petition on its merits (实体性办结): the case closes;
    /// otherwise it goes back to handling.
    pub resolves_petition: bool,
    pub concluded_on: NaiveDate,
    pub reason: String,
    /// 调解组织 (unit code of the body's running unit).
    pub body_unit: String,
}
impl Event for MediationConcludedV1 {
    const PRODUCER: Producer = Producer::Mediation;
    const EVENT_TYPE: &'static str = "mediation.concluded";
    const VERSION: u16 = 1;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DomainEvent, Envelope};

    #[test]
    fn notice_requests_round_trip_under_each_producer() {
        let request = NoticeRequest {
            request_id: Uuid::now_v7(),
            petition_id: Uuid::now_v7(),
            case_number: "140423-2026-000001".into(),
            template: templates::EXTENSION_NOTICE.into(),
            issuing_unit: "140423-RSJ".into(),
            recipient: NoticeRecipient::Petitioner,
            recipient_unit: None,
            document_number: Some("襄人社延〔2026〕1号".into()),
            dated_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            fields: BTreeMap::from([("reason".to_string(), "情况复杂".to_string())]),
        };
        let review = ReviewNoticeRequestedV1 {
            request: request.clone(),
        };
        let env = Envelope::new(&review, Some(request.petition_id), None, None);
        assert_eq!(
            env.routing_key(),
            "administrative-review.notice.requested.v1"
        );
        assert_eq!(env.payload["template"], "extension_notice");
        let back = Envelope::from_bytes(&env.to_bytes()).unwrap();
        assert_eq!(
            DomainEvent::decode(&back).unwrap(),
            DomainEvent::ReviewNoticeRequested(review)
        );
        let mediation = MediationNoticeRequestedV1 { request };
        let env = Envelope::new(&mediation, None, None, None);
        assert_eq!(env.routing_key(), "mediation.notice.requested.v1");
        assert!(matches!(
            DomainEvent::decode(&env),
            Ok(DomainEvent::MediationNoticeRequested(_))
        ));
        assert_eq!(templates::ALL.len(), 11);
    }

    #[test]
    fn delivery_events_round_trip() {
        let delivered = NoticeDeliveredV1 {
            notice_id: Uuid::now_v7(),
            request_id: Some(Uuid::now_v7()),
            petition_id: Uuid::now_v7(),
            case_number: "c".into(),
            template: templates::HANDLING_OPINION.into(),
            recipient: NoticeRecipient::Petitioner,
            method: "post".into(),
            delivered_on: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            proof: Some("EMS 1234".into()),
        };
        let env = Envelope::new(&delivered, None, None, None);
        assert_eq!(env.routing_key(), "notification.notice.delivered.v1");
        assert_eq!(
            DomainEvent::decode(&env).unwrap(),
            DomainEvent::NoticeDelivered(delivered)
        );
        let concluded = MediationConcludedV1 {
            mediation_id: Uuid::now_v7(),
            petition_id: Uuid::now_v7(),
            case_number: "c".into(),
            outcome: "agreement".into(),
            resolves_petition: true,
            concluded_on: NaiveDate::from_ymd_opt(2026, 12, 3).unwrap(),
            reason: "达成协议".into(),
            body_unit: "140423-SFJ".into(),
        };
        let env = Envelope::new(&concluded, None, None, None);
        assert_eq!(env.routing_key(), "mediation.mediation.concluded.v1");
        assert!(DomainEvent::decode(&env).is_ok());
    }
}
