//! Events administrative review reacts to, each dispatched to its own function:
//! - registrations join the case register (案件登记副本) with the facts this service needs;
//! - acceptance of a claim (受理申诉求决类事项), and a transfer or assignment accepted by the
//!   receiving unit, start handling (开始办理);
//! - a mediation that resolves the petition closes handling substantively (调解结案);
//! - notification's delivery reports record the delivery of an opinion (送达);
//! - supervision's projections give the clocks' due dates; a petitioner's window lapsing unused
//!   (its 超期 step) makes the case final.
//!
//! The units directory copy (单位目录) is kept by the platform's wrapper around this handler.

pub mod publish;
pub mod steps;

use chrono::NaiveDate;
use xinfang_contracts::{
    events::{
        AssignmentAcceptedV1, Category, DeadlineStep, DeadlineStepReachedV1, PetitionAcceptedV1,
        PetitionRegisteredV1,
    },
    notices::{templates, MediationConcludedV1, NoticeDeliveredV1},
    review::DeadlineProjectedV1,
    DomainEvent, Envelope,
};
use xinfang_messaging::{EventHandler, HandlerError, UnitOfWork};
use xinfang_platform::case_registry;

use crate::{
    domain::{
        inputs::Delivery,
        ladder::{Closure, Level, Step},
        ReviewError,
    },
    events::{
        publish::Notice,
        steps::{Closing, Who},
    },
    store::{cases, clocks, records, registrations},
};

/// The handler of administrative review's queue.
pub struct ReviewEvents;

pub fn handler() -> ReviewEvents {
    ReviewEvents
}

fn failed(e: ReviewError) -> HandlerError {
    match e {
        ReviewError::Database(cause) => match cause.downcast::<sqlx::Error>() {
            Ok(db) => HandlerError::from(*db),
            Err(other) => HandlerError::Transient(anyhow::anyhow!("{other}")),
        },
        // A rule refused the step: retrying will not change that.
        other => HandlerError::Permanent(other.to_string()),
    }
}

#[async_trait::async_trait]
impl EventHandler for ReviewEvents {
    fn name(&self) -> &'static str {
        "administrative-review"
    }

    #[tracing::instrument(skip_all, fields(event_type = %envelope.routing_key()))]
    async fn handle(
        &self,
        uow: &mut UnitOfWork<'_>,
        envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        dispatch(uow, envelope, &event).await.map_err(failed)
    }

    fn batchable(&self, item: &(&Envelope, DomainEvent)) -> bool {
        matches!(item.1, DomainEvent::PetitionRegistered(_))
    }

    /// A run of registrations: the register with one statement, their facts with another.
    async fn handle_together(
        &self,
        uow: &mut UnitOfWork<'_>,
        run: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(), HandlerError> {
        case_registry::record_registrations(uow.conn(), &run).await?;
        let events: Vec<&PetitionRegisteredV1> = run
            .iter()
            .filter_map(|(_, e)| match e {
                DomainEvent::PetitionRegistered(e) => Some(e),
                _ => None,
            })
            .collect();
        registrations::set_facts_many(uow.conn(), &events).await?;
        Ok(())
    }
}

async fn dispatch(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    event: &DomainEvent,
) -> Result<(), ReviewError> {
    match event {
        DomainEvent::PetitionRegistered(e) => {
            case_registry::record(uow.conn(), e).await?;
            registrations::set_facts_many(uow.conn(), &[e]).await?;
            Ok(())
        }
        DomainEvent::PetitionAccepted(e) => on_accepted(uow, envelope, e).await,
        DomainEvent::PetitionTransferred(e) => {
            registrations::set_hand_off(
                uow.conn(),
                e.petition_id,
                "transferred",
                &e.decided_by_unit,
            )
            .await?;
            Ok(())
        }
        DomainEvent::PetitionAssigned(e) => {
            registrations::set_hand_off(uow.conn(), e.petition_id, "assigned", &e.decided_by_unit)
                .await?;
            Ok(())
        }
        DomainEvent::AssignmentAccepted(e) => on_assignment_accepted(uow, envelope, e).await,
        DomainEvent::MediationConcluded(e) => on_mediation_concluded(uow, envelope, e).await,
        DomainEvent::NoticeDelivered(e) => on_notice_delivered(uow, envelope, e).await,
        DomainEvent::DeadlineProjected(e) => on_projected(uow, envelope, e).await,
        DomainEvent::DeadlineStepReached(e) => on_step(uow, envelope, e).await,
        _ => Ok(()),
    }
}

/// 受理: a claim (申诉求决类) accepted for handling starts handling in the handling unit.
async fn on_accepted(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    e: &PetitionAcceptedV1,
) -> Result<(), ReviewError> {
    let facts = registrations::facts(uow.conn(), e.petition_id).await?;
    let category = e
        .category
        .map(|c| c.as_str().to_string())
        .or_else(|| facts.as_ref().and_then(|f| f.category.clone()));
    if category.as_deref() != Some(Category::Claim.as_str()) {
        return Ok(());
    }
    let upstream = facts.as_ref().and_then(|f| f.upstream_reference.clone());
    // A matter assigned in from above reports back through the unit that registered it.
    let assigned_by = upstream
        .as_ref()
        .and(facts.as_ref().map(|f| f.registering_unit.clone()));
    let unit = e.handling_unit.as_deref().unwrap_or(&e.decided_by_unit);
    steps::start_handling(
        uow,
        cases::NewCase {
            case_id: e.petition_id,
            case_number: &e.case_number,
            unit,
            origin: "accepted",
            assigned_by_unit: assigned_by.as_deref(),
            upstream_reference: upstream.as_deref(),
            started_on: e.accepted_on,
        },
        envelope,
    )
    .await
}

/// A transfer or assignment accepted by the receiving unit (签收): that unit handles it; an
/// assigned case owes its completion report (办结报告) to the assigning organ.
async fn on_assignment_accepted(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    e: &AssignmentAcceptedV1,
) -> Result<(), ReviewError> {
    let facts = registrations::facts(uow.conn(), e.petition_id).await?;
    if facts
        .as_ref()
        .and_then(|f| f.category.as_deref())
        .is_some_and(|c| c != Category::Claim.as_str())
    {
        return Ok(());
    }
    let kind = facts
        .as_ref()
        .and_then(|f| f.hand_off_kind.clone())
        .unwrap_or_else(|| "transferred".into());
    let assigned_by = match kind.as_str() {
        "assigned" => facts.as_ref().and_then(|f| f.hand_off_from.clone()),
        _ => facts.as_ref().and_then(|f| {
            f.upstream_reference
                .as_ref()
                .map(|_| f.registering_unit.clone())
        }),
    };
    let upstream = facts.as_ref().and_then(|f| f.upstream_reference.clone());
    let new = cases::NewCase {
        case_id: e.petition_id,
        case_number: &e.case_number,
        unit: &e.unit,
        origin: if kind == "assigned" {
            "assigned"
        } else {
            "transferred"
        },
        assigned_by_unit: assigned_by.as_deref(),
        upstream_reference: upstream.as_deref(),
        started_on: e.accepted_on,
    };
    if cases::lock(uow.conn(), e.petition_id).await?.is_some() {
        // Already in handling elsewhere (accepted with a handling unit, then handed on).
        return steps::hand_on_handling(uow, new, envelope).await;
    }
    steps::start_handling(uow, new, envelope).await
}

/// 调解: an agreement that resolves the petition closes handling substantively (实体性办结) with the
/// mediation as the reason; otherwise handling goes on.
async fn on_mediation_concluded(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    e: &MediationConcludedV1,
) -> Result<(), ReviewError> {
    if !e.resolves_petition {
        return Ok(());
    }
    let Some(case) = cases::lock(uow.conn(), e.petition_id).await? else {
        return Ok(());
    };
    let position = case.position()?;
    if position.level != Level::Handling
        || position.step != Step::InProgress
        || case.closure_kind.is_some()
    {
        tracing::info!(case_number = %e.case_number, "mediation concluded after handling moved on: nothing closed");
        return Ok(());
    }
    let reason = format!("经调解达成协议（{}）：{}", e.outcome, e.reason);
    steps::close_handling(
        uow,
        Who::System,
        &case,
        Closing {
            closure: Closure::Substantive,
            ground: "mediation",
            reason: &reason,
            on: e.concluded_on,
            outcome: None,
            close_case: true,
        },
        Some(envelope),
    )
    .await?;
    Ok(())
}

/// Notification delivered an opinion (送达): record it as the handler would.
async fn on_notice_delivered(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    e: &NoticeDeliveredV1,
) -> Result<(), ReviewError> {
    let opinion_templates = [
        templates::HANDLING_OPINION,
        templates::REVIEW_OPINION,
        templates::RE_REVIEW_OPINION,
    ];
    let Some(request_id) = e.request_id else {
        return Ok(());
    };
    if !opinion_templates.contains(&e.template.as_str()) {
        return Ok(());
    }
    let Some(opinion) = records::opinion_by_request(uow.conn(), request_id).await? else {
        return Ok(());
    };
    let Some(case) = cases::lock(uow.conn(), opinion.case_id).await? else {
        return Ok(());
    };
    let (Some(issued_on), None) = (opinion.issued_on, opinion.delivered_on) else {
        return Ok(());
    };
    let method = crate::domain::inputs::DELIVERY_METHODS
        .iter()
        .map(|(m, _)| *m)
        .find(|m| *m == e.method)
        .unwrap_or("electronic");
    let delivery = Delivery {
        delivered_on: e.delivered_on.max(issued_on),
        method,
        proof: e
            .proof
            .clone()
            .or_else(|| Some(format!("通知服务送达记录 {}", e.notice_id))),
    };
    steps::record_delivery(
        uow,
        Who::System,
        &case,
        &opinion,
        &delivery,
        "notification",
        Some(envelope),
    )
    .await?;
    Ok(())
}

/// Supervision projected one of this service's clocks: keep its due date; once an approved
/// extension has moved the handling clock, the 延期告知书 goes out with both dates.
async fn on_projected(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    e: &DeadlineProjectedV1,
) -> Result<(), ReviewError> {
    // Only a handling clock moved by an extension needs the date it replaces (for the notice).
    let extended = e.kind == "handling" && e.extensions > 0;
    let previous = clocks::upsert(uow.conn(), e, extended).await?;
    if !extended {
        return Ok(());
    }
    let (Some(extended), Some(ext)) = (
        e.due_on,
        records::extension_awaiting_notice(uow.conn(), e.petition_id).await?,
    ) else {
        return Ok(());
    };
    let Some(case) = cases::lock(uow.conn(), e.petition_id).await? else {
        return Ok(());
    };
    let original = ext.original_due_on.or(previous);
    steps::request_notice(
        uow,
        Notice {
            case_id: case.case_id,
            case_number: &case.case_number,
            template: templates::EXTENSION_NOTICE,
            issuing_unit: &case.unit_code,
            recipient_unit: None,
            document_number: None,
            dated_on: ext.decided_on.unwrap_or(e.start_on),
            fields: vec![
                ("reason", ext.reason.clone()),
                (
                    "original_due_on",
                    original.map(|d| d.to_string()).unwrap_or_default(),
                ),
                ("extended_due_on", extended.to_string()),
            ],
        },
        None,
        Some(envelope),
    )
    .await?;
    records::mark_extension_noticed(uow.conn(), ext.id, extended).await?;
    cases::touch(uow.conn(), case.case_id).await?;
    Ok(())
}

/// A petitioner's window lapsed unused (supervision's 超期 step of 复查 / 复核请求期限, the day after
/// its last day): the case becomes final at the level whose opinion was delivered.
async fn on_step(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    e: &DeadlineStepReachedV1,
) -> Result<(), ReviewError> {
    let window_level = match e.kind.as_str() {
        "review_window" => Level::Review,
        "re_review_window" => Level::ReReview,
        _ => return Ok(()),
    };
    if e.step != DeadlineStep::Overdue {
        return Ok(());
    }
    let Some(case) = cases::lock(uow.conn(), e.petition_id).await? else {
        return Ok(());
    };
    let position = case.position()?;
    if !position.lapses(window_level) {
        return Ok(());
    }
    let opinion =
        records::issued_of_level(uow.conn(), case.case_id, position.level.as_str()).await?;
    let on = day_after(e.due_on);
    steps::finalize(
        uow,
        Who::System,
        &case,
        position.level,
        opinion.as_ref(),
        on,
        Some(envelope),
    )
    .await?;
    Ok(())
}

/// The day after a window's last day, on which it has lapsed (the step's own definition).
fn day_after(last_day: NaiveDate) -> NaiveDate {
    last_day.succ_opt().unwrap_or(last_day)
}
