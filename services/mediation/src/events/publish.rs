//! The events mediation publishes (发布的事件), as envelopes for the outbox. Events of a petition
//! carry its id as the envelope's case, so that they are delivered in order with the case's others.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use uuid::Uuid;
use xinfang_contracts::{
    mediation::{
        dispute_reference, AgreementNotPerformedV1, AgreementPerformedV1, DisputeRegisteredV1,
        DisputeResolvedV1, JudicialConfirmationAppliedV1, JudicialConfirmationRuledV1,
        MediationAgreementReachedV1, MediationBodyChangedV1, MediationConsentRecordedV1,
        MediationConsentRefusedV1, MediationEndedV1, MediationReferredV1, MediationSessionHeldV1,
        MediationSessionScheduledV1, MediatorAssignedV1,
    },
    notices::{
        templates, MediationConcludedV1, MediationNoticeRequestedV1, NoticeRecipient, NoticeRequest,
    },
    Envelope, Event,
};

use crate::{
    domain::{referral::ConsentAnswer, session::Schedule},
    store::{
        agreements::AgreementRow, directory::BodyRow, disputes::DisputeRow,
        mediations::MediationRow,
    },
};

fn of<E: Event>(event: &E, petition_id: Option<Uuid>) -> Envelope {
    Envelope::new(event, petition_id, None, None)
}

pub fn referred(m: &MediationRow) -> Envelope {
    of(
        &MediationReferredV1 {
            mediation_id: m.id,
            petition_id: m.petition_id,
            case_number: m.case_number.clone(),
            dispute_id: m.dispute_id,
            stage: m.stage.clone(),
            body_id: m.body_id,
            body_unit: m.body_unit.clone(),
            field: m.field.clone(),
            township: m.township.clone(),
            referred_on: m.referred_on,
        },
        m.petition_id,
    )
}

pub fn consent(m: &MediationRow, answer: &ConsentAnswer, on: NaiveDate, all: bool) -> Envelope {
    if answer.consented {
        of(
            &MediationConsentRecordedV1 {
                mediation_id: m.id,
                petition_id: m.petition_id,
                party: answer.party.clone(),
                method: answer.method.clone(),
                recorded_on: on,
                all_consented: all,
            },
            m.petition_id,
        )
    } else {
        of(
            &MediationConsentRefusedV1 {
                mediation_id: m.id,
                petition_id: m.petition_id,
                party: answer.party.clone(),
                method: answer.method.clone(),
                refused_on: on,
                reason: answer.note.clone().unwrap_or_default(),
            },
            m.petition_id,
        )
    }
}

pub fn mediator_assigned(
    m: &MediationRow,
    mediator_id: Uuid,
    replaced: Option<Uuid>,
    reason: &str,
    on: NaiveDate,
) -> Envelope {
    of(
        &MediatorAssignedV1 {
            mediation_id: m.id,
            petition_id: m.petition_id,
            mediator_id,
            replaced_mediator_id: replaced,
            reason: reason.to_string(),
            assigned_on: on,
        },
        m.petition_id,
    )
}

pub fn session_scheduled(
    m: &MediationRow,
    session_id: Uuid,
    mediator_id: Uuid,
    s: &Schedule,
    adjourned_from: Option<Uuid>,
) -> Envelope {
    of(
        &MediationSessionScheduledV1 {
            mediation_id: m.id,
            petition_id: m.petition_id,
            session_id,
            mediator_id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
            place: s.place.clone(),
            room: s.room.clone(),
            adjourned_from,
        },
        m.petition_id,
    )
}

pub fn session_held(
    m: &MediationRow,
    session_id: Uuid,
    on: NaiveDate,
    present: u32,
    absent: u32,
) -> Envelope {
    of(
        &MediationSessionHeldV1 {
            mediation_id: m.id,
            petition_id: m.petition_id,
            session_id,
            held_on: on,
            present,
            absent,
        },
        m.petition_id,
    )
}

/// The 调解通知 of a session: to the petitioner for a petition's mediation; for a registered
/// dispute, to each party by name (`dispute_mediation_notice`, served in person by the body).
pub fn session_notices(
    m: &MediationRow,
    s: &Schedule,
    mediator: &str,
    parties: &[String],
    on: NaiveDate,
) -> Vec<Envelope> {
    let mut fields = BTreeMap::from([
        (
            "session_on".to_string(),
            xinfang_platform::time::china_date(s.starts_at).to_string(),
        ),
        ("place".to_string(), s.place.clone()),
        ("mediator".to_string(), mediator.to_string()),
        ("body".to_string(), m.body_name.clone()),
    ]);
    if let (Some(petition_id), Some(case_number)) = (m.petition_id, m.case_number.clone()) {
        return vec![notice(
            m,
            petition_id,
            case_number,
            templates::MEDIATION_NOTICE,
            on,
            fields,
        )];
    }
    let Some(dispute_id) = m.dispute_id else {
        return Vec::new();
    };
    fields.insert("dispute".to_string(), m.summary.clone());
    to_each_party(
        m,
        dispute_id,
        templates::DISPUTE_MEDIATION_NOTICE,
        on,
        &fields,
        parties,
    )
}

/// One request per party of a dispute, each naming its addressee (受送达人).
fn to_each_party(
    m: &MediationRow,
    dispute_id: Uuid,
    template: &str,
    on: NaiveDate,
    fields: &BTreeMap<String, String>,
    parties: &[String],
) -> Vec<Envelope> {
    parties
        .iter()
        .map(|party| {
            let mut fields = fields.clone();
            fields.insert(templates::ADDRESSEE_FIELD.to_string(), party.clone());
            notice(
                m,
                dispute_id,
                dispute_reference(dispute_id),
                template,
                on,
                fields,
            )
        })
        .collect()
}

fn notice(
    m: &MediationRow,
    petition_id: Uuid,
    case_number: String,
    template: &str,
    on: NaiveDate,
    fields: BTreeMap<String, String>,
) -> Envelope {
    of(
        &MediationNoticeRequestedV1 {
            request: NoticeRequest {
                request_id: Uuid::now_v7(),
                petition_id,
                case_number,
                template: template.to_string(),
                issuing_unit: m.body_unit.clone(),
                recipient: NoticeRecipient::Petitioner,
                recipient_unit: None,
                document_number: None,
                dated_on: on,
                fields,
            },
        },
        Some(petition_id),
    )
}

pub fn agreement_reached(m: &MediationRow, a: &AgreementRow, mediator_id: Uuid) -> Envelope {
    of(
        &MediationAgreementReachedV1 {
            agreement_id: a.id,
            mediation_id: m.id,
            petition_id: m.petition_id,
            case_number: m.case_number.clone(),
            dispute_id: m.dispute_id,
            form: a.form.clone(),
            agreed_on: a.agreed_on,
            effective_on: a.effective_on,
            perform_by: a.perform_by,
            body_id: m.body_id,
            body_unit: m.body_unit.clone(),
            mediator_id,
            field: m.field.clone(),
            township: m.township.clone(),
            referred_on: m.referred_on,
        },
        m.petition_id,
    )
}

/// The 调解协议书 of a written agreement: to the petitioner for a petition; for a registered
/// dispute, to each party by name.
pub fn agreement_notices(
    m: &MediationRow,
    a: &AgreementRow,
    parties: &[String],
    mediator: &str,
) -> Vec<Envelope> {
    if a.form != "written" {
        return Vec::new();
    }
    let fields = BTreeMap::from([
        ("parties".to_string(), parties.join("、")),
        ("dispute".to_string(), a.dispute.clone()),
        ("terms".to_string(), a.terms.clone()),
        (
            "perform_by".to_string(),
            a.perform_by.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("body".to_string(), m.body_name.clone()),
        ("mediator".to_string(), mediator.to_string()),
        ("signed_on".to_string(), a.effective_on.to_string()),
    ]);
    if let (Some(petition_id), Some(case_number)) = (m.petition_id, m.case_number.clone()) {
        return vec![notice(
            m,
            petition_id,
            case_number,
            templates::MEDIATION_AGREEMENT,
            a.effective_on,
            fields,
        )];
    }
    match m.dispute_id {
        Some(dispute_id) => to_each_party(
            m,
            dispute_id,
            templates::MEDIATION_AGREEMENT,
            a.effective_on,
            &fields,
            parties,
        ),
        None => Vec::new(),
    }
}

/// The end of a mediation: [`MediationEndedV1`] always, and for a petition the shared
/// [`MediationConcludedV1`] that handling acts on (an agreement closes the case substantively).
pub fn ended(m: &MediationRow, outcome: &str, reason: &str, on: NaiveDate) -> Vec<Envelope> {
    let mut out = vec![of(
        &MediationEndedV1 {
            mediation_id: m.id,
            petition_id: m.petition_id,
            dispute_id: m.dispute_id,
            outcome: outcome.to_string(),
            referred_on: m.referred_on,
            ended_on: on,
            reason: reason.to_string(),
            body_id: m.body_id,
            body_unit: m.body_unit.clone(),
            mediator_id: m.mediator_id,
            field: m.field.clone(),
            township: m.township.clone(),
        },
        m.petition_id,
    )];
    if let (Some(petition_id), Some(case_number)) = (m.petition_id, m.case_number.clone()) {
        out.push(of(
            &MediationConcludedV1 {
                mediation_id: m.id,
                petition_id,
                case_number,
                outcome: outcome.to_string(),
                resolves_petition: matches!(outcome, "agreement" | "oral_agreement"),
                concluded_on: on,
                reason: reason.to_string(),
                body_unit: m.body_unit.clone(),
            },
            Some(petition_id),
        ));
    }
    out
}

pub fn judicial_applied(
    m: &MediationRow,
    a: &AgreementRow,
    court: &str,
    on: NaiveDate,
) -> Envelope {
    of(
        &JudicialConfirmationAppliedV1 {
            agreement_id: a.id,
            mediation_id: m.id,
            petition_id: m.petition_id,
            dispute_id: m.dispute_id,
            court: court.to_string(),
            applied_on: on,
        },
        m.petition_id,
    )
}

pub fn judicial_ruled(
    m: &MediationRow,
    a: &AgreementRow,
    confirmed: bool,
    ruling: &str,
    on: NaiveDate,
) -> Envelope {
    of(
        &JudicialConfirmationRuledV1 {
            agreement_id: a.id,
            mediation_id: m.id,
            petition_id: m.petition_id,
            court: a.court.clone().unwrap_or_default(),
            ruled_on: on,
            confirmed,
            ruling: ruling.to_string(),
        },
        m.petition_id,
    )
}

pub fn performed(m: &MediationRow, a: &AgreementRow, mediator_id: Uuid, on: NaiveDate) -> Envelope {
    of(
        &AgreementPerformedV1 {
            agreement_id: a.id,
            mediation_id: m.id,
            petition_id: m.petition_id,
            performed_on: on,
            body_id: m.body_id,
            mediator_id,
        },
        m.petition_id,
    )
}

pub fn not_performed(
    m: &MediationRow,
    a: &AgreementRow,
    mediator_id: Uuid,
    returned_to: &str,
    reason: &str,
    on: NaiveDate,
) -> Envelope {
    of(
        &AgreementNotPerformedV1 {
            agreement_id: a.id,
            mediation_id: m.id,
            petition_id: m.petition_id,
            case_number: m.case_number.clone(),
            perform_by: a.perform_by,
            flagged_on: on,
            returned_to: returned_to.to_string(),
            reason: reason.to_string(),
            body_id: m.body_id,
            body_unit: m.body_unit.clone(),
            mediator_id,
        },
        m.petition_id,
    )
}

pub fn dispute_registered(d: &DisputeRow) -> Envelope {
    of(
        &DisputeRegisteredV1 {
            dispute_id: d.id,
            unit: d.unit_code.clone(),
            township: d.township.clone(),
            field: d.field.clone(),
            registered_on: d.registered_on,
        },
        None,
    )
}

pub fn dispute_resolved(d: &DisputeRow, mediation_id: Uuid, on: NaiveDate) -> Envelope {
    of(
        &DisputeResolvedV1 {
            dispute_id: d.id,
            mediation_id,
            unit: d.unit_code.clone(),
            township: d.township.clone(),
            field: d.field.clone(),
            resolved_on: on,
        },
        None,
    )
}

/// A body added or changed (调解组织变更): `change` is `created`, `updated`, `deactivated` or
/// `reactivated`; `changes` the fields that changed.
pub fn body_changed(
    b: &BodyRow,
    change: &str,
    changes: &[&str],
    on: NaiveDate,
    by: &str,
) -> Envelope {
    of(
        &MediationBodyChangedV1 {
            body_id: b.id,
            change: change.to_string(),
            changes: changes.iter().map(|c| c.to_string()).collect(),
            name: b.name.clone(),
            kind: b.kind.clone(),
            township: b.township.clone(),
            fields: b.fields.clone(),
            unit_code: b.unit_code.clone(),
            active: b.active,
            changed_on: on,
            changed_by: by.to_string(),
        },
        None,
    )
}
