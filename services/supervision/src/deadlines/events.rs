//! What each consumed event does to the clocks (法定时限): which event opens, closes, moves or
//! stops which deadline. Runs inside the event's unit of work, before the timeline and statistics.

use chrono::NaiveDate;
use uuid::Uuid;
use xinfang_calendar::{DeadlineSpec, HolidayCalendar};
use xinfang_contracts::{
    events::{
        AssignmentAcceptedV1, AssignmentObjectedV1, CaseFinalizedV1, Category, PetitionAcceptedV1,
        PetitionAssignedV1, PetitionRegisteredV1, VisitLoggedV1,
    },
    intake_legal::AssignmentObjectionRuledV1,
    DomainEvent, Envelope,
};
use xinfang_messaging::UnitOfWork;
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    time::china_date,
};

use crate::{
    configuration::Limits,
    deadlines::{
        domain::{
            calendar::{current, SharedCalendar},
            deadline::{project, Closing, OpenClock},
            kind::{period_of, DeadlineKind, RECEIVING_KINDS},
        },
        store::{
            deadlines::{self, MetSimpleAcceptance},
            visits,
        },
    },
    findings::{
        domain::{deadline_ref, NewFinding, Question},
        events::raise,
    },
    timeline::store::add_case_unit,
};

/// Apply an event to the clocks.
#[tracing::instrument(skip_all, fields(event_id = %envelope.event_id))]
pub async fn on_event(
    uow: &mut UnitOfWork<'_>,
    shared: &SharedCalendar,
    limits: &Limits,
    envelope: &Envelope,
    event: &DomainEvent,
) -> Result<(), sqlx::Error> {
    let calendar = current(shared);
    let cal = calendar.as_ref();
    let by = envelope.routing_key();
    match event {
        DomainEvent::PetitionRegistered(e) => {
            open_registrations(uow, cal, limits, &[(envelope, e)]).await
        }
        DomainEvent::PetitionAccepted(e) => on_accepted(uow, cal, limits, envelope, e).await,
        DomainEvent::PetitionDeclined(e) => {
            close_acceptance(uow, e.petition_id, e.decided_on, &by).await
        }
        DomainEvent::PetitionBarred(e) => {
            close_acceptance(uow, e.petition_id, e.decided_on, &by).await
        }
        DomainEvent::PetitionTransferred(e) => {
            let handed = HandOver {
                case_id: e.petition_id,
                case_number: &e.case_number,
                unit: &e.to_unit,
                on: e.decided_on,
            };
            hand_over(uow, cal, limits, envelope, handed).await
        }
        DomainEvent::PetitionAssigned(e) => on_assigned(uow, cal, limits, envelope, e).await,
        DomainEvent::AssignmentAccepted(e) => on_assignment_accepted(uow, e, &by).await,
        DomainEvent::AssignmentObjected(e) => on_assignment_objected(uow, e, &by).await,
        DomainEvent::AssignmentObjectionRuled(e) if e.agreed => {
            on_objection_agreed(uow, e, &by).await
        }
        DomainEvent::CaseFinalized(e) => {
            super::review::on_event(uow, cal, limits, envelope, event).await?;
            on_case_finalized(uow, e, &by).await
        }
        DomainEvent::VisitLogged(e) => on_visit_logged(uow, cal, limits, e).await,
        // Administrative review's clocks (办理, 复查, 复核, 送达, 落实): `deadlines::review`.
        _ => super::review::on_event(uow, cal, limits, envelope, event).await,
    }
}

/// The clocks registrations start (登记), with one statement for all of them: the acceptance
/// period (受理期限), and the upstream body's date where the petition was assigned from above
/// (交办期限); each acceptance deadline opened is audited; then each walk-in visit is tied to its
/// registration.
pub async fn open_registrations(
    uow: &mut UnitOfWork<'_>,
    calendar: &HolidayCalendar,
    limits: &Limits,
    items: &[(&Envelope, &PetitionRegisteredV1)],
) -> Result<(), sqlx::Error> {
    let mut clocks = Vec::with_capacity(items.len());
    for (envelope, e) in items {
        let clock = |kind, fixed_due| OpenClock {
            case_id: e.petition_id,
            case_number: &e.case_number,
            kind,
            unit: &e.registering_unit,
            start: e.received_on,
            fixed_due,
            source_event_id: envelope.event_id,
        };
        clocks.push(clock(DeadlineKind::Acceptance, None));
        if let Some(due) = e.upstream_due_on {
            clocks.push(clock(DeadlineKind::UpstreamAssignment, Some(due)));
        }
    }
    let opened = deadlines::open_many(uow.conn(), calendar, limits, &clocks).await?;
    // Inside a batch the audit rows are collected and written with one statement at its end.
    for (clock, id) in clocks.iter().zip(&opened) {
        if clock.kind == DeadlineKind::Acceptance && id.is_some() {
            uow.audit(AuditEntry::system(
                "supervision",
                "deadline.open",
                Some(clock.case_id),
                serde_json::json!({ "kind": "acceptance", "start": clock.start, "period": limits.acceptance_days }),
            ))
            .await?;
        }
    }
    for (_, e) in items {
        if let Some(visit_id) = e.visit_id {
            visits::mark_registered(uow.conn(), visit_id, e.petition_id, e.registered_at).await?;
        }
    }
    Ok(())
}

/// 受理: the acceptance clock is met; the handling unit sees the case; the handling clock opens
/// (the simple track's two clocks instead, or none for a non-claim).
async fn on_accepted(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    e: &PetitionAcceptedV1,
) -> Result<(), sqlx::Error> {
    let by = envelope.routing_key();
    close_acceptance(uow, e.petition_id, e.accepted_on, &by).await?;
    let unit = e.handling_unit.as_deref().unwrap_or(&e.decided_by_unit);
    add_case_unit(uow, e.petition_id, unit).await?;
    let base = OpenClock {
        case_id: e.petition_id,
        case_number: &e.case_number,
        kind: DeadlineKind::Handling,
        unit,
        start: e.accepted_on,
        fixed_due: None,
        source_event_id: envelope.event_id,
    };
    if e.simple_track {
        record_simple_acceptance(uow, cal, limits, envelope, &base).await?;
        deadlines::open(
            uow.conn(),
            cal,
            limits,
            OpenClock {
                kind: DeadlineKind::SimpleOpinion,
                ..base
            },
        )
        .await?;
    } else if e.category == Some(Category::Claim) {
        deadlines::open(uow.conn(), cal, limits, base).await?;
    }
    Ok(())
}

/// 交办: handed over like a transfer, and the assigning body's date opens the assignment clock.
async fn on_assigned(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    e: &PetitionAssignedV1,
) -> Result<(), sqlx::Error> {
    let handed = HandOver {
        case_id: e.petition_id,
        case_number: &e.case_number,
        unit: &e.to_unit,
        on: e.decided_on,
    };
    hand_over(uow, cal, limits, envelope, handed).await?;
    deadlines::open(
        uow.conn(),
        cal,
        limits,
        OpenClock {
            case_id: e.petition_id,
            case_number: &e.case_number,
            kind: DeadlineKind::Assignment,
            unit: &e.to_unit,
            start: e.decided_on,
            fixed_due: Some(e.due_on),
            source_event_id: envelope.event_id,
        },
    )
    .await?;
    Ok(())
}

/// The receiving organ accepted (承办机关受理): its two clocks are met.
async fn on_assignment_accepted(
    uow: &mut UnitOfWork<'_>,
    e: &AssignmentAcceptedV1,
    by: &str,
) -> Result<(), sqlx::Error> {
    close_receiving(uow, e.petition_id, &e.unit, e.accepted_on, by).await
}

/// The receiving organ objected (异议): its two clocks are met. The objection still awaits the
/// transferring organ's verification (核实), so the result is still owed.
async fn on_assignment_objected(
    uow: &mut UnitOfWork<'_>,
    e: &AssignmentObjectedV1,
    by: &str,
) -> Result<(), sqlx::Error> {
    close_receiving(uow, e.petition_id, &e.unit, e.objected_on, by).await
}

/// The transferring organ agreed to the objection (核实同意): the matter returns to the bureau, so
/// the objecting unit no longer owes the result.
async fn on_objection_agreed(
    uow: &mut UnitOfWork<'_>,
    e: &AssignmentObjectionRuledV1,
    by: &str,
) -> Result<(), sqlx::Error> {
    deadlines::close(
        uow,
        e.petition_id,
        &[DeadlineKind::Assignment],
        Some(&e.unit),
        e.ruled_on,
        Closing::Cancelled,
        by,
    )
    .await?;
    Ok(())
}

/// 终结: every live clock of the case is met (but implementation, which goes on).
async fn on_case_finalized(
    uow: &mut UnitOfWork<'_>,
    e: &CaseFinalizedV1,
    by: &str,
) -> Result<(), sqlx::Error> {
    deadlines::close(
        uow,
        e.petition_id,
        &super::review::closed_by_finality(),
        None,
        e.concluded_on,
        Closing::Met,
        by,
    )
    .await?;
    Ok(())
}

/// A logged visit (来访登记) must be registered within the configured working days (应登记不登记).
async fn on_visit_logged(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    e: &VisitLoggedV1,
) -> Result<(), sqlx::Error> {
    let arrived = china_date(e.arrived_at);
    let register_by = cal
        .add_working_days(arrived, limits.engine.visit_registration_working_days)
        .ok();
    visits::log(
        uow.conn(),
        e.visit_id,
        &e.unit,
        e.arrived_at,
        e.visitor_count as i32,
        register_by,
    )
    .await
}

/// A decision on the petition (受理, 不予受理, 不再受理, 转送, 交办) meets the acceptance clock.
async fn close_acceptance(
    uow: &mut UnitOfWork<'_>,
    case_id: Uuid,
    on: NaiveDate,
    by: &str,
) -> Result<(), sqlx::Error> {
    deadlines::close(
        uow,
        case_id,
        &[DeadlineKind::Acceptance],
        None,
        on,
        Closing::Met,
        by,
    )
    .await?;
    Ok(())
}

/// A receiving organ's answer (受理 or 异议) meets its two clocks.
async fn close_receiving(
    uow: &mut UnitOfWork<'_>,
    case_id: Uuid,
    unit: &str,
    on: NaiveDate,
    by: &str,
) -> Result<(), sqlx::Error> {
    deadlines::close(
        uow,
        case_id,
        &RECEIVING_KINDS,
        Some(unit),
        on,
        Closing::Met,
        by,
    )
    .await?;
    Ok(())
}

/// A case handed to a receiving organ (转送, 交办).
struct HandOver<'a> {
    case_id: Uuid,
    case_number: &'a str,
    unit: &'a str,
    on: NaiveDate,
}

/// A transfer or assignment (转送, 交办; art 23 ¶3): the acceptance clock is met, the receiving
/// organ becomes one of the case's units and its two clocks open.
async fn hand_over(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    handed: HandOver<'_>,
) -> Result<(), sqlx::Error> {
    close_acceptance(uow, handed.case_id, handed.on, &envelope.routing_key()).await?;
    // A case accepted with a handling unit and then handed on (受理后改由其他单位办理): the unit
    // named at acceptance no longer owes its result; the receiving unit's clocks start below.
    deadlines::close(
        uow,
        handed.case_id,
        &[DeadlineKind::Handling, DeadlineKind::SimpleOpinion],
        None,
        handed.on,
        Closing::Cancelled,
        &envelope.routing_key(),
    )
    .await?;
    add_case_unit(uow, handed.case_id, handed.unit).await?;
    for kind in RECEIVING_KINDS {
        deadlines::open(
            uow.conn(),
            cal,
            limits,
            OpenClock {
                case_id: handed.case_id,
                case_number: handed.case_number,
                kind,
                unit: handed.unit,
                start: handed.on,
                fixed_due: None,
                source_event_id: envelope.event_id,
            },
        )
        .await?;
    }
    Ok(())
}

/// The simple track's acceptance clock (简易办理受理期限) is known only once the decision is:
/// record it closed, late or not, and raise 应受理不受理 when late. `accepted` is the handling
/// clock the acceptance opens (its start is the acceptance day).
async fn record_simple_acceptance(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    accepted: &OpenClock<'_>,
) -> Result<(), sqlx::Error> {
    let accepted_on = accepted.start;
    let received = deadlines::acceptance_start(uow.conn(), accepted.case_id).await?;
    let start = received.unwrap_or(accepted_on);
    let (period, unit_kind) = period_of(DeadlineKind::SimpleAcceptance, limits);
    let (due, explanation) = project(cal, &DeadlineSpec::new(start, period, unit_kind));
    let late = due.is_some_and(|d| d < accepted_on);
    let met = MetSimpleAcceptance {
        id: Uuid::now_v7(),
        case_id: accepted.case_id,
        case_number: accepted.case_number,
        unit: accepted.unit,
        start,
        period,
        period_unit: unit_kind.as_str(),
        due,
        explanation,
        source_event_id: envelope.event_id,
        closed_on: accepted_on,
        closed_by: envelope.routing_key(),
        late,
    };
    deadlines::insert_met_simple_acceptance(uow.conn(), &met).await?;
    if let (true, Some(due)) = (late, due) {
        let finding = NewFinding {
            question: Question::Unaccepted,
            case_id: Some(accepted.case_id),
            unit: accepted.unit.to_string(),
            subject_ref: deadline_ref(met.id),
            detail: format!(
                "{} 简易办理应于 {due} 前受理，实际 {accepted_on} 受理",
                accepted.case_number
            ),
        };
        raise(uow, &finding).await?;
    }
    Ok(())
}
