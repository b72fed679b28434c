//! What mediation's events do in supervision: the judicial-confirmation window opens with an
//! agreement (of a petition or of a pre-petition dispute) and closes when the parties apply (司法确认申请期限); the read model of the
//! mediation figures follows every step.

use xinfang_calendar::HolidayCalendar;
use xinfang_contracts::{
    mediation::{dispute_reference, MediationAgreementReachedV1},
    DomainEvent, Envelope,
};
use xinfang_messaging::UnitOfWork;
use xinfang_platform::audit::{AuditEntry, AuditExt};

use crate::{
    configuration::Limits,
    deadlines::{
        domain::{
            deadline::{Closing, OpenClock},
            kind::DeadlineKind,
        },
        store::deadlines,
    },
    mediation::{domain::JUDICIAL_CONFIRMATION_DAYS, store},
};

/// Apply one of mediation's events (others are not this module's business).
#[tracing::instrument(skip_all, fields(event_type = %envelope.routing_key()))]
pub async fn on_event(
    uow: &mut UnitOfWork<'_>,
    calendar: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    event: &DomainEvent,
) -> Result<(), sqlx::Error> {
    match event {
        DomainEvent::MediationReferred(e) => store::referred(uow.conn(), e).await,
        DomainEvent::MediatorAssigned(e) => store::mediator(uow.conn(), e).await,
        DomainEvent::MediationAgreementReached(e) => {
            store::agreed(uow.conn(), e).await?;
            open_confirmation_window(uow, calendar, limits, envelope, e).await
        }
        DomainEvent::JudicialConfirmationApplied(e) => match e.petition_id.or(e.dispute_id) {
            Some(case_id) => {
                deadlines::close(
                    uow,
                    case_id,
                    &[DeadlineKind::JudicialConfirmation],
                    None,
                    e.applied_on,
                    Closing::Met,
                    &envelope.routing_key(),
                )
                .await?;
                Ok(())
            }
            None => Ok(()),
        },
        DomainEvent::MediationEnded(e) => store::ended(uow.conn(), e).await,
        DomainEvent::AgreementPerformed(e) => store::performed(uow.conn(), e).await,
        DomainEvent::AgreementNotPerformed(e) => store::not_performed(uow.conn(), e).await,
        DomainEvent::DisputeRegistered(e) => store::dispute_registered(uow.conn(), e).await,
        DomainEvent::DisputeResolved(e) => store::dispute_resolved(uow.conn(), e).await,
        _ => Ok(()),
    }
}

/// An agreement opens the parties' 30-day window to apply for judicial confirmation, from the day
/// it took effect, kept by the body's unit: a petition's under its case, a registered dispute's
/// (信访前矛盾纠纷) under the dispute's id and reference.
async fn open_confirmation_window(
    uow: &mut UnitOfWork<'_>,
    calendar: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    e: &MediationAgreementReachedV1,
) -> Result<(), sqlx::Error> {
    let (case_id, case_number) = match (e.petition_id, e.case_number.clone(), e.dispute_id) {
        (Some(petition_id), Some(number), _) => (petition_id, number),
        (None, _, Some(dispute_id)) => (dispute_id, dispute_reference(dispute_id)),
        _ => return Ok(()),
    };
    let case_number = case_number.as_str();
    let opened = deadlines::open(
        uow.conn(),
        calendar,
        limits,
        OpenClock {
            case_id,
            case_number,
            kind: DeadlineKind::JudicialConfirmation,
            unit: &e.body_unit,
            start: e.effective_on,
            fixed_due: None,
            source_event_id: envelope.event_id,
        },
    )
    .await?;
    if opened.is_some() {
        uow.audit(AuditEntry::system(
            "supervision",
            "deadline.open",
            Some(case_id),
            serde_json::json!({ "kind": "judicial_confirmation", "start": e.effective_on, "period": JUDICIAL_CONFIRMATION_DAYS,
                                "agreement_id": e.agreement_id, "dispute_id": e.dispute_id }),
        ))
        .await?;
    }
    Ok(())
}
