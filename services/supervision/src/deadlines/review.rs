//! The clocks of administrative review (行政三级办理), driven by its events: the handling clock
//! (办理期限) opened by handling's start and moved by an approved extension (延期); the delivery
//! clock (意见书送达期限) opened by an issued opinion; the petitioner's windows (复查 / 复核请求期限)
//! opened by delivery and used by a request; the review and re-review clocks (复查 / 复核期限),
//! the latter stopped for the days of a hearing (听证, art 36 ¶2: re-review only); the implementation
//! clock (落实期限) of a 支持 opinion. Every clock opened or moved here is sent back as
//! `supervision.deadline.projected.v1`, so that administrative review shows and compares due dates
//! without computing any.

use chrono::NaiveDate;
use uuid::Uuid;
use xinfang_calendar::HolidayCalendar;
use xinfang_contracts::{
    review::{
        levels, CaseClosedV1, ExtensionDecidedV1, HandlingStartedV1, HearingHeldV1,
        ImplementationCompletedV1, OpinionDeliveredV1, OpinionIssuedV1, ReviewRequestedV1,
    },
    DomainEvent, Envelope,
};
use xinfang_messaging::UnitOfWork;
use xinfang_platform::audit::{AuditEntry, AuditExt};

use crate::{
    configuration::Limits,
    deadlines::{
        domain::{
            deadline::{Closing, OpenClock, StoredDeadline},
            kind::DeadlineKind,
            projection::projected,
        },
        store::deadlines::{self, StoredDeadlineRow},
    },
};

/// Apply one of administrative review's events to its clocks (other events: nothing).
pub async fn on_event(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    event: &DomainEvent,
) -> Result<(), sqlx::Error> {
    let by = envelope.routing_key();
    match event {
        DomainEvent::HandlingStarted(e) => on_handling_started(uow, cal, limits, envelope, e).await,
        DomainEvent::ExtensionDecided(e) if e.approved => {
            on_extension_approved(uow, cal, limits, envelope, e).await
        }
        DomainEvent::OpinionIssued(e) => on_opinion_issued(uow, cal, limits, envelope, e).await,
        DomainEvent::OpinionDelivered(e) => on_delivered(uow, cal, limits, envelope, e).await,
        DomainEvent::ReviewRequested(e) => on_review_requested(uow, cal, limits, envelope, e).await,
        DomainEvent::HearingHeld(e) => on_hearing(uow, cal, limits, envelope, e).await,
        DomainEvent::CaseClosed(e) => on_closed(uow, e, &by).await,
        DomainEvent::ImplementationCompleted(e) => on_implemented(uow, e, &by).await,
        DomainEvent::CaseFinalized(e) => {
            // Windows that lapsed unused end with the case; no duty was met.
            close(
                uow,
                e.petition_id,
                &[DeadlineKind::ReviewWindow, DeadlineKind::ReReviewWindow],
                e.concluded_on,
                Closing::Cancelled,
                &by,
            )
            .await
        }
        _ => Ok(()),
    }
}

/// The clocks finality closes as met: all but the implementation of a 支持 opinion, which goes on
/// after the case is final.
pub fn closed_by_finality() -> Vec<DeadlineKind> {
    DeadlineKind::ALL
        .into_iter()
        .filter(|k| *k != DeadlineKind::Implementation)
        .collect()
}

fn clock<'a>(
    case_id: Uuid,
    case_number: &'a str,
    kind: DeadlineKind,
    unit: &'a str,
    start: NaiveDate,
    envelope: &Envelope,
) -> OpenClock<'a> {
    OpenClock {
        case_id,
        case_number,
        kind,
        unit,
        start,
        fixed_due: None,
        source_event_id: envelope.event_id,
    }
}

/// Open a clock (unless one of its kind is live already) and tell administrative review its due
/// date.
async fn open_and_project(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    c: OpenClock<'_>,
) -> Result<(), sqlx::Error> {
    let (case_id, kind) = (c.case_id, c.kind);
    let Some(opened) = deadlines::open(uow.conn(), cal, limits, c).await? else {
        // One of its kind is live already: tell its due date.
        return project_live(uow, envelope, case_id, kind).await;
    };
    uow.audit(AuditEntry::system(
        "supervision",
        "deadline.open",
        Some(case_id),
        serde_json::json!({ "kind": kind.as_str(), "by": envelope.routing_key() }),
    ))
    .await?;
    // The new deadline as stored: no need to read it back.
    project(uow, envelope, &opened).await
}

/// The live deadline of a kind, locked.
async fn live(
    uow: &mut UnitOfWork<'_>,
    case_id: Uuid,
    kind: DeadlineKind,
) -> Result<Option<StoredDeadline>, sqlx::Error> {
    sqlx::query_as::<_, StoredDeadlineRow>(
        "SELECT id, case_id, case_number, kind, unit_code, start_date, period, period_unit, fixed_due,
                stops, extensions, due_date, explanation, status, paused_since, paused_reason
         FROM deadlines WHERE case_id = $1 AND kind = $2 AND status IN ('open', 'paused') FOR UPDATE",
    )
    .bind(case_id)
    .bind(kind.as_str())
    .fetch_optional(uow.conn())
    .await?
    .map(StoredDeadline::try_from)
    .transpose()
}

/// Send the live deadline of a kind back as `supervision.deadline.projected.v1`.
async fn project_live(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    case_id: Uuid,
    kind: DeadlineKind,
) -> Result<(), sqlx::Error> {
    let Some(d) = live(uow, case_id, kind).await? else {
        return Ok(());
    };
    project(uow, envelope, &d).await
}

/// Send a live deadline as `supervision.deadline.projected.v1`.
async fn project(
    uow: &mut UnitOfWork<'_>,
    envelope: &Envelope,
    d: &StoredDeadline,
) -> Result<(), sqlx::Error> {
    match projected(d, d.due_date, &d.explanation) {
        Some(event) => uow.enqueue(&Envelope::caused_by(&event, envelope)).await,
        None => Ok(()),
    }
}

async fn close(
    uow: &mut UnitOfWork<'_>,
    case_id: Uuid,
    kinds: &[DeadlineKind],
    on: NaiveDate,
    how: Closing,
    by: &str,
) -> Result<(), sqlx::Error> {
    deadlines::close(uow, case_id, kinds, None, on, how, by).await?;
    Ok(())
}

/// 开始办理: the handling clock runs from acceptance (already open when intake's acceptance opened it).
async fn on_handling_started(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    e: &HandlingStartedV1,
) -> Result<(), sqlx::Error> {
    // A simple-track case runs on its own opinion clock instead.
    if live(uow, e.petition_id, DeadlineKind::SimpleOpinion)
        .await?
        .is_some()
    {
        return project_live(uow, envelope, e.petition_id, DeadlineKind::SimpleOpinion).await;
    }
    let c = clock(
        e.petition_id,
        &e.case_number,
        DeadlineKind::Handling,
        &e.unit,
        e.started_on,
        envelope,
    );
    open_and_project(uow, cal, limits, envelope, c).await
}

/// 批准延期 (art 34): the handling clock moves by the approved days, once.
async fn on_extension_approved(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    e: &ExtensionDecidedV1,
) -> Result<(), sqlx::Error> {
    let Some(mut d) = live(uow, e.petition_id, DeadlineKind::Handling).await? else {
        tracing::warn!(case_number = %e.case_number, "extension approved without a live handling clock");
        return Ok(());
    };
    if let Err(refused) = d.extend(limits, e.days, &e.reason) {
        // Administrative review checks the same rule; a refusal here means the clock was already
        // extended (e.g. by hand): nothing moves twice.
        tracing::warn!(case_number = %e.case_number, error = %refused, "extension not applied");
        return project_live(uow, envelope, e.petition_id, DeadlineKind::Handling).await;
    }
    let (due, _) = deadlines::save_projection(uow.conn(), cal, &limits.engine, &d, None).await?;
    uow.audit(AuditEntry::system(
        "supervision",
        "deadline.extend",
        Some(e.petition_id),
        serde_json::json!({ "deadline_id": d.id, "days": e.days, "reason": e.reason, "due": due,
                            "extension_id": e.extension_id }),
    ))
    .await?;
    project_live(uow, envelope, e.petition_id, DeadlineKind::Handling).await
}

/// The level's clock of duty (办理, 复查, 复核期限).
fn duty_of(level: &str) -> &'static [DeadlineKind] {
    match level {
        levels::REVIEW => &[DeadlineKind::Review],
        levels::RE_REVIEW => &[DeadlineKind::ReReview],
        _ => &[DeadlineKind::Handling, DeadlineKind::SimpleOpinion],
    }
}

/// 出具意见书: the level's duty is met; the opinion must now reach the petitioner; a 支持 opinion
/// with something to do runs until the date the organ set.
async fn on_opinion_issued(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    e: &OpinionIssuedV1,
) -> Result<(), sqlx::Error> {
    let by = envelope.routing_key();
    close(
        uow,
        e.petition_id,
        duty_of(&e.level),
        e.issued_on,
        Closing::Met,
        &by,
    )
    .await?;
    // A correction replaces the delivery the original still owed.
    close(
        uow,
        e.petition_id,
        &[DeadlineKind::OpinionDelivery],
        e.issued_on,
        Closing::Cancelled,
        &by,
    )
    .await?;
    let c = clock(
        e.petition_id,
        &e.case_number,
        DeadlineKind::OpinionDelivery,
        &e.issuing_unit,
        e.issued_on,
        envelope,
    );
    open_and_project(uow, cal, limits, envelope, c).await?;
    if let (Some(by_date), Some(unit)) = (e.implement_by, e.implementing_unit.as_deref()) {
        let c = OpenClock {
            fixed_due: Some(by_date),
            ..clock(
                e.petition_id,
                &e.case_number,
                DeadlineKind::Implementation,
                unit,
                e.issued_on,
                envelope,
            )
        };
        open_and_project(uow, cal, limits, envelope, c).await?;
    }
    Ok(())
}

/// 送达: the delivery clock is met; the petitioner's window to go one level up runs from the day of
/// receipt (art 35, 36).
async fn on_delivered(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    e: &OpinionDeliveredV1,
) -> Result<(), sqlx::Error> {
    let by = envelope.routing_key();
    close(
        uow,
        e.petition_id,
        &[DeadlineKind::OpinionDelivery],
        e.delivered_on,
        Closing::Met,
        &by,
    )
    .await?;
    let window = match e.level.as_str() {
        levels::HANDLING => DeadlineKind::ReviewWindow,
        levels::REVIEW => DeadlineKind::ReReviewWindow,
        _ => return Ok(()),
    };
    let c = clock(
        e.petition_id,
        &e.case_number,
        window,
        &e.issuing_unit,
        e.delivered_on,
        envelope,
    );
    open_and_project(uow, cal, limits, envelope, c).await
}

/// 请求复查 / 复核: the window is used; the organ above has 30 日 from the request.
async fn on_review_requested(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    e: &ReviewRequestedV1,
) -> Result<(), sqlx::Error> {
    let by = envelope.routing_key();
    let (window, duty) = match e.level.as_str() {
        levels::RE_REVIEW => (DeadlineKind::ReReviewWindow, DeadlineKind::ReReview),
        _ => (DeadlineKind::ReviewWindow, DeadlineKind::Review),
    };
    close(
        uow,
        e.petition_id,
        &[window],
        e.requested_on,
        Closing::Met,
        &by,
    )
    .await?;
    crate::timeline::store::add_case_unit(uow, e.petition_id, &e.organ_unit).await?;
    let c = clock(
        e.petition_id,
        &e.case_number,
        duty,
        &e.organ_unit,
        e.requested_on,
        envelope,
    );
    open_and_project(uow, cal, limits, envelope, c).await
}

/// 听证: at re-review its days are not counted (art 36 ¶2); handling and review run on.
async fn on_hearing(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    e: &HearingHeldV1,
) -> Result<(), sqlx::Error> {
    if e.level != levels::RE_REVIEW {
        return Ok(());
    }
    let Some(mut d) = live(uow, e.petition_id, DeadlineKind::ReReview).await? else {
        return Ok(());
    };
    if let Err(refused) = d.stop(e.held_from, Some(e.held_to), "听证") {
        tracing::warn!(case_number = %e.case_number, error = %refused, "hearing stop not applied");
        return Ok(());
    }
    let (due, _) = deadlines::save_projection(uow.conn(), cal, &limits.engine, &d, None).await?;
    uow.audit(AuditEntry::system(
        "supervision",
        "deadline.stop",
        Some(e.petition_id),
        serde_json::json!({ "deadline_id": d.id, "from": e.held_from, "to": e.held_to, "reason": "听证", "due": due }),
    ))
    .await?;
    project_live(uow, envelope, e.petition_id, DeadlineKind::ReReview).await
}

/// 办结 without an opinion (mediation, settlement, procedural closure): the handling duty ends.
async fn on_closed(
    uow: &mut UnitOfWork<'_>,
    e: &CaseClosedV1,
    by: &str,
) -> Result<(), sqlx::Error> {
    if e.ground == "opinion" {
        return Ok(());
    }
    close(
        uow,
        e.petition_id,
        duty_of(levels::HANDLING),
        e.closed_on,
        Closing::Met,
        by,
    )
    .await
}

/// 落实完毕.
async fn on_implemented(
    uow: &mut UnitOfWork<'_>,
    e: &ImplementationCompletedV1,
    by: &str,
) -> Result<(), sqlx::Error> {
    close(
        uow,
        e.petition_id,
        &[DeadlineKind::Implementation],
        e.completed_on,
        Closing::Met,
        by,
    )
    .await
}
