//! Mediation's events (多元解纷事件): referral, the parties' consent, mediators, sessions, agreements,
//! judicial confirmation (司法确认), performance (履行) and the pre-petition dispute register
//! (源头预防矛盾纠纷排查). The outcome of a mediation of a petition is also published as the shared
//! [`crate::notices::MediationConcludedV1`], which handling consumes; [`MediationEndedV1`] is the
//! same end for every mediation (petitions and pre-petition disputes) with what statistics need.
//!
//! `petition_id` is `None` for a mediation of a dispute that is not (yet) a petition; then
//! `dispute_id` names it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::{Event, Producer};

macro_rules! mediation_event {
    ($ty:ident, $name:literal) => {
        impl Event for $ty {
            const PRODUCER: Producer = Producer::Mediation;
            const EVENT_TYPE: &'static str = $name;
            const VERSION: u16 = 1;
        }
    };
}

/// Where a mediation came from (引调阶段).
pub mod stages {
    /// 受理时引导调解
    pub const ACCEPTANCE: &str = "acceptance";
    /// 办理中调解
    pub const HANDLING: &str = "handling";
    /// 信访前的矛盾纠纷 (源头预防)
    pub const PRE_PETITION: &str = "pre_petition";
}

/// The reference a registered dispute (矛盾纠纷登记) goes by where a case number would stand: in
/// its notices and in supervision's judicial-confirmation clock (`纠纷-<dispute id>`).
pub fn dispute_reference(dispute_id: Uuid) -> String {
    format!("纠纷-{dispute_id}")
}

/// `mediation.mediation.referred.v1`: a matter was referred to a mediation body (引调).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediationReferredV1 {
    pub mediation_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    #[serde(default)]
    pub case_number: Option<String>,
    #[serde(default)]
    pub dispute_id: Option<Uuid>,
    /// One of [`stages`].
    pub stage: String,
    pub body_id: Uuid,
    /// Unit code of the unit that runs the body (调解组织所属单位).
    pub body_unit: String,
    pub field: String,
    pub township: String,
    pub referred_on: NaiveDate,
}
mediation_event!(MediationReferredV1, "mediation.referred");

/// `mediation.consent.recorded.v1`: one party consented (当事人同意调解, arts 3, 17).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediationConsentRecordedV1 {
    pub mediation_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    pub party: String,
    /// `written` (书面), `oral` (口头), `electronic` (电子)
    pub method: String,
    pub recorded_on: NaiveDate,
    /// Every party has now consented: the mediation may begin.
    pub all_consented: bool,
}
mediation_event!(MediationConsentRecordedV1, "consent.recorded");

/// `mediation.consent.refused.v1`: a party refused (当事人一方明确拒绝调解的，不得调解, art 17);
/// the referral ends and the case goes on in handling.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediationConsentRefusedV1 {
    pub mediation_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    pub party: String,
    pub method: String,
    pub refused_on: NaiveDate,
    pub reason: String,
}
mediation_event!(MediationConsentRefusedV1, "consent.refused");

/// `mediation.mediator.assigned.v1`: a mediator was assigned (指定调解员), possibly replacing one a
/// party asked to change or who withdrew (回避).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediatorAssignedV1 {
    pub mediation_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    pub mediator_id: Uuid,
    #[serde(default)]
    pub replaced_mediator_id: Option<Uuid>,
    pub reason: String,
    pub assigned_on: NaiveDate,
}
mediation_event!(MediatorAssignedV1, "mediator.assigned");

/// `mediation.session.scheduled.v1`: a session (调解会) was scheduled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediationSessionScheduledV1 {
    pub mediation_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    pub session_id: Uuid,
    pub mediator_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    #[serde(default)]
    pub room: Option<String>,
    /// The session this one continues after an adjournment (休会改期).
    #[serde(default)]
    pub adjourned_from: Option<Uuid>,
}
mediation_event!(MediationSessionScheduledV1, "session.scheduled");

/// `mediation.session.held.v1`: a session took place, with attendance and a record (笔录).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediationSessionHeldV1 {
    pub mediation_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    pub session_id: Uuid,
    pub held_on: NaiveDate,
    pub present: u32,
    pub absent: u32,
}
mediation_event!(MediationSessionHeldV1, "session.held");

/// `mediation.agreement.reached.v1`: an agreement, written (调解协议书, art 29) or oral (art 28).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediationAgreementReachedV1 {
    pub agreement_id: Uuid,
    pub mediation_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    #[serde(default)]
    pub case_number: Option<String>,
    #[serde(default)]
    pub dispute_id: Option<Uuid>,
    /// `written` | `oral`
    pub form: String,
    pub agreed_on: NaiveDate,
    /// 生效日期: the last signature (written, art 29) or the day agreed (oral, art 30); the 30-day
    /// window for judicial confirmation (art 33) runs from here.
    pub effective_on: NaiveDate,
    #[serde(default)]
    pub perform_by: Option<NaiveDate>,
    pub body_id: Uuid,
    pub body_unit: String,
    pub mediator_id: Uuid,
    pub field: String,
    pub township: String,
    pub referred_on: NaiveDate,
}
mediation_event!(MediationAgreementReachedV1, "agreement.reached");

/// `mediation.judicial_confirmation.applied.v1`: the parties applied to the court (申请司法确认,
/// art 33).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudicialConfirmationAppliedV1 {
    pub agreement_id: Uuid,
    pub mediation_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    /// The registered dispute, for a mediation before any petition.
    #[serde(default)]
    pub dispute_id: Option<Uuid>,
    pub court: String,
    pub applied_on: NaiveDate,
}
mediation_event!(
    JudicialConfirmationAppliedV1,
    "judicial_confirmation.applied"
);

/// `mediation.judicial_confirmation.ruled.v1`: the court's ruling (确认有效 / 驳回申请).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JudicialConfirmationRuledV1 {
    pub agreement_id: Uuid,
    pub mediation_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    pub court: String,
    pub ruled_on: NaiveDate,
    pub confirmed: bool,
    pub ruling: String,
}
mediation_event!(JudicialConfirmationRuledV1, "judicial_confirmation.ruled");

/// `mediation.agreement.performed.v1`: the agreement was performed (履行完毕).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementPerformedV1 {
    pub agreement_id: Uuid,
    pub mediation_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    pub performed_on: NaiveDate,
    pub body_id: Uuid,
    pub mediator_id: Uuid,
}
mediation_event!(AgreementPerformedV1, "agreement.performed");

/// `mediation.agreement.not_performed.v1`: the agreement was not performed by its deadline (未履行);
/// the case goes back to handling (`returned_to = handling`) or to supervision (`supervision`, 督办),
/// its mediation history kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AgreementNotPerformedV1 {
    pub agreement_id: Uuid,
    pub mediation_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    #[serde(default)]
    pub case_number: Option<String>,
    #[serde(default)]
    pub perform_by: Option<NaiveDate>,
    pub flagged_on: NaiveDate,
    /// `handling` | `supervision`
    pub returned_to: String,
    pub reason: String,
    pub body_id: Uuid,
    pub body_unit: String,
    pub mediator_id: Uuid,
}
mediation_event!(AgreementNotPerformedV1, "agreement.not_performed");

/// `mediation.mediation.ended.v1`: any mediation ended (petition or pre-petition dispute), with
/// the dimensions statistics group by.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediationEndedV1 {
    pub mediation_id: Uuid,
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    #[serde(default)]
    pub dispute_id: Option<Uuid>,
    /// As [`crate::notices::MediationConcludedV1::outcome`].
    pub outcome: String,
    pub referred_on: NaiveDate,
    pub ended_on: NaiveDate,
    pub reason: String,
    pub body_id: Uuid,
    pub body_unit: String,
    #[serde(default)]
    pub mediator_id: Option<Uuid>,
    pub field: String,
    pub township: String,
}
mediation_event!(MediationEndedV1, "mediation.ended");

/// `mediation.dispute.registered.v1`: a dispute entered the register (矛盾纠纷排查登记) before any
/// petition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisputeRegisteredV1 {
    pub dispute_id: Uuid,
    pub unit: String,
    pub township: String,
    pub field: String,
    pub registered_on: NaiveDate,
}
mediation_event!(DisputeRegisteredV1, "dispute.registered");

/// `mediation.dispute.resolved.v1`: a registered dispute was resolved by mediation before it became
/// a petition (化解在信访之前).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisputeResolvedV1 {
    pub dispute_id: Uuid,
    pub mediation_id: Uuid,
    pub unit: String,
    pub township: String,
    pub field: String,
    pub resolved_on: NaiveDate,
}
mediation_event!(DisputeResolvedV1, "dispute.resolved");

/// `mediation.body.changed.v1`: a mediation body (调解组织) was added to the directory or changed
/// by an administrator or its head; `active = false` means it was deactivated (停用) and takes no
/// referral. `changes` names the fields that changed (all of them for `created`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediationBodyChangedV1 {
    pub body_id: Uuid,
    /// `created` | `updated` | `deactivated` | `reactivated`
    pub change: String,
    pub changes: Vec<String>,
    pub name: String,
    pub kind: String,
    pub township: String,
    pub fields: Vec<String>,
    /// 所属单位
    pub unit_code: String,
    pub active: bool,
    pub changed_on: NaiveDate,
    pub changed_by: String,
}
mediation_event!(MediationBodyChangedV1, "body.changed");

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DomainEvent, Envelope};

    #[test]
    fn mediation_events_route_under_mediation_and_decode() {
        let referred = MediationReferredV1 {
            mediation_id: Uuid::now_v7(),
            petition_id: None,
            case_number: None,
            dispute_id: Some(Uuid::now_v7()),
            stage: stages::PRE_PETITION.into(),
            body_id: Uuid::now_v7(),
            body_unit: "140423-GHZ".into(),
            field: "agriculture_rural".into(),
            township: "古韩镇".into(),
            referred_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
        };
        let env = Envelope::new(&referred, None, None, None);
        assert_eq!(env.routing_key(), "mediation.mediation.referred.v1");
        assert_eq!(
            DomainEvent::decode(&env).unwrap(),
            DomainEvent::MediationReferred(referred)
        );
        let resolved = DisputeResolvedV1 {
            dispute_id: Uuid::now_v7(),
            mediation_id: Uuid::now_v7(),
            unit: "140423-GHZ".into(),
            township: "古韩镇".into(),
            field: "agriculture_rural".into(),
            resolved_on: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
        };
        let env = Envelope::new(&resolved, None, None, None);
        assert_eq!(env.routing_key(), "mediation.dispute.resolved.v1");
        assert!(matches!(
            DomainEvent::decode(&env),
            Ok(DomainEvent::DisputeResolved(_))
        ));
    }
}
