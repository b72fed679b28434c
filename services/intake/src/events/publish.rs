//! The events intake publishes (发布的事件), as envelopes for the outbox.

use chrono::NaiveDate;
use std::collections::BTreeMap;
use uuid::Uuid;
use xinfang_contracts::{
    events::{
        AssignmentAcceptedV1, AssignmentObjectedV1, PetitionAcceptedV1, PetitionAssignedV1,
        PetitionBarredV1, PetitionDeclinedV1, PetitionRegisteredV1, PetitionTransferredV1,
        RepeatLinkedV1, VisitLoggedV1,
    },
    intake_legal::{AssignmentObjectionRuledV1, IntakeNoticeRequestedV1, LegalChannelOverriddenV1},
    notices::{templates, NoticeRecipient, NoticeRequest},
    Envelope, Event,
};
use xinfang_platform::Actor;

use crate::{
    domain::decision::{CaseFacts, ChannelOverride, Decision, Outcome},
    store::petitions::{Registration, RegistrationRows},
};

/// `petition.registered.v1` of a registration numbered `case_number`. The registration starts its
/// case's chain of events: its event id, chosen before the petition was written, is the case's
/// correlation id.
pub fn petition_registered(
    registration: &Registration,
    rows: &RegistrationRows,
    division_code: &str,
    case_number: &str,
) -> Envelope {
    let p = &registration.petition;
    let event = PetitionRegisteredV1 {
        petition_id: registration.id,
        case_number: case_number.to_string(),
        channel: p.channel,
        received_on: p.received_on,
        registered_at: rows.registered_at,
        registering_unit: registration.registering_unit.clone(),
        division_code: division_code.to_string(),
        petitioner_count: p.petitioner_count,
        anonymous: p.anonymous(),
        contactable: p.contactable(),
        category: p.category,
        field: p.field.clone(),
        subfield: p.subfield.clone(),
        township: p.township.clone(),
        respondent_unit: p.respondent_unit.clone(),
        group_visit: p.group_visit,
        visit_id: registration.visit_id,
        upstream_reference: p.upstream_reference.clone(),
        upstream_due_on: p.upstream_due_on,
    };
    let mut envelope = Envelope::new(
        &event,
        Some(registration.id),
        Some(rows.correlation_id),
        None,
    );
    envelope.event_id = rows.correlation_id;
    envelope
}

/// An event of the case, in the case's chain.
fn of_case<E: Event>(event: &E, case: &CaseFacts) -> Envelope {
    Envelope::new(event, Some(case.id), Some(case.correlation_id), None)
}

/// The event of a decision, which requests the petitioner's notice.
pub fn decision(
    case: &CaseFacts,
    decision: &Decision,
    decided_on: NaiveDate,
    decided_by_unit: &str,
) -> Envelope {
    let petition_id = case.id;
    let case_number = case.case_number.clone();
    let decided_by_unit = decided_by_unit.to_string();
    let reason = decision.reason.clone();
    match &decision.outcome {
        Outcome::Accepted {
            handling_unit,
            simple_track,
            ..
        } => of_case(
            &PetitionAcceptedV1 {
                petition_id,
                case_number,
                accepted_on: decided_on,
                decided_by_unit,
                handling_unit: handling_unit.clone(),
                category: case.category,
                simple_track: *simple_track,
                reason,
            },
            case,
        ),
        Outcome::Declined {
            ground,
            legal_channel,
            guidance,
        } => of_case(
            &PetitionDeclinedV1 {
                petition_id,
                case_number,
                decided_on,
                decided_by_unit,
                reason,
                legal_channel: *legal_channel,
                guidance: guidance.clone(),
                ground: Some(ground.code().to_string()),
            },
            case,
        ),
        Outcome::Barred {
            ground,
            prior_petition_id,
            prior_case_number,
            ..
        } => of_case(
            &PetitionBarredV1 {
                petition_id,
                case_number,
                decided_on,
                decided_by_unit,
                ground: ground.code().to_string(),
                reason,
                prior_petition_id: *prior_petition_id,
                prior_case_number: prior_case_number.clone(),
            },
            case,
        ),
        Outcome::Transferred { to_unit, .. } => of_case(
            &PetitionTransferredV1 {
                petition_id,
                case_number,
                decided_on,
                decided_by_unit,
                to_unit: to_unit.clone(),
                reason,
            },
            case,
        ),
        Outcome::Assigned {
            to_unit, due_on, ..
        } => of_case(
            &PetitionAssignedV1 {
                petition_id,
                case_number,
                decided_on,
                decided_by_unit,
                to_unit: to_unit.clone(),
                due_on: *due_on,
                instructions: reason,
            },
            case,
        ),
    }
}

/// `legal_channel.overridden.v1`: the decision went against the rules' legal-channel suggestion.
pub fn legal_channel_overridden(
    case: &CaseFacts,
    decision: &Decision,
    o: &ChannelOverride,
    decided_on: NaiveDate,
    actor: &Actor,
) -> Envelope {
    of_case(
        &LegalChannelOverriddenV1 {
            petition_id: case.id,
            case_number: case.case_number.clone(),
            suggested_channel: o.suggested_channel.clone(),
            decision_kind: decision.kind().to_string(),
            reason: o.reason.clone(),
            decided_on,
            decided_by_unit: actor.unit.clone(),
            decided_by: actor.user_id.clone(),
        },
        case,
    )
}

/// `repeat.linked.v1`: the case was found to repeat an earlier one.
pub fn repeat_linked(case: &CaseFacts, earlier: Uuid, earlier_case_number: &str) -> Envelope {
    of_case(
        &RepeatLinkedV1 {
            petition_id: case.id,
            case_number: case.case_number.clone(),
            earlier_petition_id: earlier,
            earlier_case_number: earlier_case_number.to_string(),
        },
        case,
    )
}

/// The receiving unit accepted a transfer or assignment (签收).
pub fn assignment_accepted(case: &CaseFacts, unit: &str, accepted_on: NaiveDate) -> Envelope {
    of_case(
        &AssignmentAcceptedV1 {
            petition_id: case.id,
            case_number: case.case_number.clone(),
            unit: unit.to_string(),
            accepted_on,
        },
        case,
    )
}

/// The receiving unit objected (异议).
pub fn assignment_objected(
    case: &CaseFacts,
    unit: &str,
    objected_on: NaiveDate,
    reasons: &str,
) -> Envelope {
    of_case(
        &AssignmentObjectedV1 {
            petition_id: case.id,
            case_number: case.case_number.clone(),
            unit: unit.to_string(),
            objected_on,
            reasons: reasons.to_string(),
        },
        case,
    )
}

/// A walk-in visitor was logged (来访登记).
pub fn visit_logged(event: &VisitLoggedV1) -> Envelope {
    Envelope::new(event, None, None, None)
}

/// `assignment.objection_ruled.v1`: the transferring organ verified an objection.
pub fn objection_ruled(
    case: &CaseFacts,
    unit: &str,
    agreed: bool,
    reason: &str,
    ruled_on: NaiveDate,
    ruled_by_unit: &str,
) -> Envelope {
    of_case(
        &AssignmentObjectionRuledV1 {
            petition_id: case.id,
            case_number: case.case_number.clone(),
            unit: unit.to_string(),
            agreed,
            reason: reason.to_string(),
            ruled_on,
            ruled_by_unit: ruled_by_unit.to_string(),
        },
        case,
    )
}

/// `notice.requested.v1` for the written acceptance notice (书面告知接收情况以及处理途径和程序,
/// art 23 ¶3) the accepting unit sends the petitioner.
pub fn acceptance_notice_requested(
    case: &CaseFacts,
    unit: &str,
    accepted_on: NaiveDate,
    fields: BTreeMap<String, String>,
) -> Envelope {
    of_case(
        &IntakeNoticeRequestedV1 {
            request: NoticeRequest {
                request_id: Uuid::now_v7(),
                petition_id: case.id,
                case_number: case.case_number.clone(),
                template: templates::ASSIGNMENT_ACCEPTANCE_NOTICE.to_string(),
                issuing_unit: unit.to_string(),
                recipient: NoticeRecipient::Petitioner,
                recipient_unit: None,
                document_number: None,
                dated_on: accepted_on,
                fields,
            },
        },
        case,
    )
}
