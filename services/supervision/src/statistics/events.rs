//! What each consumed event does to the statistics read model (统计读模型): the case's facts change
//! and the rollup takes the delta.

use xinfang_contracts::{events::PetitionRegisteredV1, DomainEvent, Envelope};
use xinfang_messaging::UnitOfWork;

use chrono::NaiveDate;
use sqlx::PgConnection;

use crate::statistics::{
    domain::read_model::{delta, registered_facts, CaseFacts},
    store::{
        case_facts::{self, acceptance_on_time, insert_many, save},
        rollup::add_delta,
    },
};

/// Record a first procedural decision (受理, 不予受理, 不再受理, 转送, 交办).
async fn decide(
    conn: &mut PgConnection,
    f: &mut CaseFacts,
    decision: &str,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    if f.decision.is_none() {
        f.decision = Some(decision.to_string());
        f.decided_on = Some(on);
        f.accepted_on_time = acceptance_on_time(conn, f.case_id, on).await?;
    }
    Ok(())
}

/// Record the facts of registered cases with one statement, and count each new one in the rollup,
/// as [`apply`] would one by one (a case registered twice counts once).
pub async fn apply_registrations(
    uow: &mut UnitOfWork<'_>,
    events: &[&PetitionRegisteredV1],
) -> Result<(), sqlx::Error> {
    let facts: Vec<CaseFacts> = events.iter().map(|e| registered_facts(e)).collect();
    let mut inserted = insert_many(uow.conn(), &facts).await?;
    for f in &facts {
        if inserted.remove(&f.case_id) {
            add_delta(uow, delta(None, Some(f))).await?;
        }
    }
    Ok(())
}

/// Feed the read models from one event, inside the inbox transaction.
#[tracing::instrument(skip_all, fields(event_type = %envelope.routing_key()))]
pub async fn apply(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    event: &DomainEvent,
) -> Result<(), sqlx::Error> {
    // Administrative review's ladder (opinions, delivery, requests, finality): `store::review`.
    crate::statistics::store::review::record(uow, envelope, event).await?;
    // Legal-channel overrides (偏离法定途径建议): `store::overrides`.
    crate::statistics::store::overrides::record(uow.conn(), envelope, event).await?;
    if let DomainEvent::PetitionRegistered(e) = event {
        return apply_registrations(uow, &[e]).await;
    }
    if let DomainEvent::SatisfactionRated(e) = event {
        return crate::statistics::satisfaction::apply(uow, e).await;
    }
    let case_id = match event {
        DomainEvent::PetitionAccepted(e) => e.petition_id,
        DomainEvent::PetitionDeclined(e) => e.petition_id,
        DomainEvent::PetitionBarred(e) => e.petition_id,
        DomainEvent::PetitionTransferred(e) => e.petition_id,
        DomainEvent::PetitionAssigned(e) => e.petition_id,
        DomainEvent::AssignmentAccepted(e) => e.petition_id,
        DomainEvent::AssignmentObjected(e) => e.petition_id,
        DomainEvent::RepeatLinked(e) => e.petition_id,
        DomainEvent::CaseFinalized(e) => e.petition_id,
        DomainEvent::CaseClosed(e) => e.petition_id,
        DomainEvent::MediationConcluded(e) => e.petition_id,
        _ => return Ok(()),
    };
    let Some(old) = case_facts::load(uow.conn(), case_id).await? else {
        tracing::warn!(%case_id, "event for a case not registered here; statistics skip it");
        return Ok(());
    };
    let mut f = old.clone();
    match event {
        DomainEvent::PetitionAccepted(e) => {
            decide(uow.conn(), &mut f, "accepted", e.accepted_on).await?;
            if let Some(u) = &e.handling_unit {
                f.unit_code = u.clone();
            }
            if let Some(c) = e.category {
                f.category = Some(c.as_str().to_string());
            }
            f.status = "accepted".into();
        }
        DomainEvent::PetitionDeclined(e) => {
            decide(uow.conn(), &mut f, "declined", e.decided_on).await?;
            f.status = "declined".into();
        }
        DomainEvent::PetitionBarred(e) => {
            decide(uow.conn(), &mut f, "barred", e.decided_on).await?;
            f.status = "barred".into();
        }
        DomainEvent::PetitionTransferred(e) => {
            decide(uow.conn(), &mut f, "transferred", e.decided_on).await?;
            f.transferred = true;
            f.unit_code = e.to_unit.clone();
            f.status = "transferred".into();
        }
        DomainEvent::PetitionAssigned(e) => {
            decide(uow.conn(), &mut f, "assigned", e.decided_on).await?;
            f.assigned = true;
            f.unit_code = e.to_unit.clone();
            f.status = "assigned".into();
        }
        DomainEvent::AssignmentAccepted(_) => f.status = "in_handling".into(),
        DomainEvent::AssignmentObjected(_) => {
            f.unit_code = f.registering_unit.clone();
            f.status = "objected".into();
        }
        DomainEvent::RepeatLinked(_) => f.repeat = true,
        DomainEvent::CaseFinalized(_) => f.status = "finalized".into(),
        // 办结 (实体性 / 程序性): the clocks ran first, so the handling clock's verdict is known.
        DomainEvent::CaseClosed(e) => {
            f.closure_kind = Some(e.closure.clone());
            f.closed_on = Some(e.closed_on);
            f.closed_on_time =
                crate::statistics::store::review::handling_on_time(uow.conn(), e.petition_id)
                    .await?;
        }
        DomainEvent::MediationConcluded(e) => crate::mediation::domain::conclude(&mut f, e),
        _ => {}
    }
    if f != old {
        save(uow.conn(), &f).await?;
        add_delta(uow, delta(Some(&old), Some(&f))).await?;
    }
    Ok(())
}
