//! The order-escalation worker (督办升级): unanswered orders move up a level, once per order.

use chrono::{NaiveDate, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use xinfang_calendar::HolidayCalendar;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::audit::{AuditEntry, AuditExt};

use crate::{
    configuration::OversightSettings,
    deadlines::domain::calendar::{current, SharedCalendar},
    oversight::{
        domain::working_due,
        orders::{
            domain::{EscalationRun, NewOrder, OrderKind},
            store,
        },
    },
};

/// Escalate every order unanswered past its deadline as of `today` (the injectable clock).
/// Safe with several replicas: each order is claimed with `FOR UPDATE SKIP LOCKED`, its status
/// moves out of `open` in the same transaction as the new order, and `parent_id` is unique.
#[tracing::instrument(skip(pool, calendar, settings))]
pub async fn escalate_due(
    pool: &PgPool,
    calendar: &HolidayCalendar,
    settings: &OversightSettings,
    today: NaiveDate,
) -> Result<EscalationRun, sqlx::Error> {
    let mut run = EscalationRun::default();
    let mut skipped: Vec<Uuid> = Vec::new();
    loop {
        let mut uow = UnitOfWork::begin_without_waker(pool).await?;
        let Some(r) = store::claim_unanswered(uow.conn(), today, &skipped).await? else {
            uow.rollback().await?;
            return Ok(run);
        };
        let kind = OrderKind::parse(&r.kind).unwrap_or(OrderKind::Listed);
        match kind.escalates_to() {
            None => {
                store::mark_late(uow.conn(), r.id, "overdue").await?;
                uow.audit(AuditEntry::system(
                    "supervision",
                    "order.overdue",
                    r.case_id,
                    serde_json::json!({ "order_id": r.id, "respond_by": r.respond_by }),
                ))
                .await?;
                run.marked_overdue += 1;
            }
            Some(next) => {
                let (due, mut explanation) = match working_due(
                    calendar,
                    today,
                    next.response_days(&settings.order_response_days),
                ) {
                    Ok(v) => v,
                    Err(e) => {
                        tracing::warn!(order_id = %r.id, error = %e.message_zh(), "escalation waits for the holiday calendar");
                        uow.rollback().await?;
                        skipped.push(r.id);
                        run.waiting_for_calendar += 1;
                        continue;
                    }
                };
                explanation.insert(
                    0,
                    format!(
                        "原{}要求于{}前书面答复，逾期未答复，于{}升级为{}",
                        kind.label_zh(),
                        r.respond_by,
                        today,
                        next.label_zh()
                    ),
                );
                let new = NewOrder {
                    kind: next,
                    case_id: r.case_id,
                    case_number: r.case_number,
                    pattern: r.pattern,
                    unit_code: r.unit_code,
                    summary: format!("【逾期未答复，升级{}】{}", next.label_zh(), r.summary),
                    issued_on: today,
                    respond_by: due,
                    explanation,
                    parent_id: Some(r.id),
                };
                store::mark_late(uow.conn(), r.id, "escalated").await?;
                store::insert(
                    &mut uow,
                    &new,
                    "system:supervision",
                    "system",
                    AuditEntry::system(
                        "supervision",
                        "order.escalate",
                        r.case_id,
                        serde_json::json!({ "from_order": r.id, "kind": next.as_str(), "respond_by": due }),
                    ),
                )
                .await?;
                run.escalated += 1;
            }
        }
        uow.commit().await?;
    }
}

/// The background worker: every `escalation_interval_secs`, escalate with today's date.
pub async fn run_worker(
    pool: PgPool,
    calendar: SharedCalendar,
    settings: OversightSettings,
    waker: OutboxWaker,
    shutdown: CancellationToken,
) {
    let every = std::time::Duration::from_secs(settings.escalation_interval_secs.max(1));
    loop {
        let cal = current(&calendar);
        match escalate_due(
            &pool,
            &cal,
            &settings,
            xinfang_platform::time::today_in_china(),
        )
        .await
        {
            Ok(run) if run.escalated + run.marked_overdue > 0 => {
                tracing::info!(?run, "supervision orders escalated");
                waker.wake();
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "order escalation failed; retrying later"),
        }
        tokio::select! {
            _ = shutdown.cancelled() => break,
            _ = tokio::time::sleep(every) => {}
        }
    }
    tracing::debug!(at = %Utc::now(), "order escalation worker stopped");
}
