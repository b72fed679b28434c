//! Supervision orders (督办令, 《信访工作条例》第四十条): 催办, 督办, 挂牌督办, 约谈, 通报 to a unit
//! about a case or a pattern. Each needs a written response by its deadline; unanswered, it
//! escalates (催办 → 督办 → 挂牌督办) exactly once per order and level.

use chrono::{NaiveDate, Utc};
use sqlx::{PgPool, Row};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use xinfang_calendar::HolidayCalendar;
use xinfang_contracts::{events::SupervisionOrderIssuedV1, Envelope};
use xinfang_messaging::OutboxWaker;
use xinfang_messaging::UnitOfWork;
use xinfang_platform::audit::AuditEntry;
use xinfang_platform::audit::AuditExt;

use crate::{
    deadlines::{current, SharedCalendar},
    oversight::{working_due, OrderResponseDays, OversightSettings},
};

/// Kinds of order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderKind {
    /// 催办
    Reminder,
    /// 督办
    Supervision,
    /// 挂牌督办
    Listed,
    /// 约谈
    Interview,
    /// 通报
    Circular,
}

impl OrderKind {
    pub const ALL: [OrderKind; 5] = [
        OrderKind::Reminder,
        OrderKind::Supervision,
        OrderKind::Listed,
        OrderKind::Interview,
        OrderKind::Circular,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            OrderKind::Reminder => "reminder",
            OrderKind::Supervision => "supervision",
            OrderKind::Listed => "listed",
            OrderKind::Interview => "interview",
            OrderKind::Circular => "circular",
        }
    }
    pub fn parse(s: &str) -> Option<OrderKind> {
        OrderKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            OrderKind::Reminder => "催办",
            OrderKind::Supervision => "督办",
            OrderKind::Listed => "挂牌督办",
            OrderKind::Interview => "约谈",
            OrderKind::Circular => "通报",
        }
    }
    /// The next level when unanswered: 催办 → 督办 → 挂牌督办; 约谈 and 通报 go to 挂牌督办;
    /// 挂牌督办 is the last level (it is marked overdue).
    pub fn escalates_to(self) -> Option<OrderKind> {
        match self {
            OrderKind::Reminder => Some(OrderKind::Supervision),
            OrderKind::Supervision | OrderKind::Interview | OrderKind::Circular => {
                Some(OrderKind::Listed)
            }
            OrderKind::Listed => None,
        }
    }
    pub fn response_days(self, d: &OrderResponseDays) -> u32 {
        match self {
            OrderKind::Reminder => d.reminder,
            OrderKind::Supervision => d.supervision,
            OrderKind::Listed => d.listed,
            OrderKind::Interview => d.interview,
            OrderKind::Circular => d.circular,
        }
    }
}

/// A validated order, ready to be written.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub kind: OrderKind,
    pub case_id: Option<Uuid>,
    pub case_number: Option<String>,
    pub pattern: Option<String>,
    pub unit_code: String,
    pub summary: String,
    pub issued_on: NaiveDate,
    pub respond_by: NaiveDate,
    pub explanation: Vec<String>,
    pub parent_id: Option<Uuid>,
}

/// Write an order, its audit record and `supervision.order.issued.v1` in the caller's transaction.
pub async fn insert(
    uow: &mut UnitOfWork<'_>,
    o: &NewOrder,
    issued_by: &str,
    issued_unit: &str,
    audit_entry: AuditEntry,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO supervision_orders (id, kind, case_id, case_number, pattern, unit_code, summary, issued_by, issued_unit,
                                         issued_on, respond_by, explanation, parent_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(id)
    .bind(o.kind.as_str())
    .bind(o.case_id)
    .bind(&o.case_number)
    .bind(&o.pattern)
    .bind(&o.unit_code)
    .bind(&o.summary)
    .bind(issued_by)
    .bind(issued_unit)
    .bind(o.issued_on)
    .bind(o.respond_by)
    .bind(serde_json::json!(o.explanation))
    .bind(o.parent_id)
    .execute(uow.conn())
    .await?;
    let event = SupervisionOrderIssuedV1 {
        order_id: id,
        petition_id: o.case_id,
        case_number: o.case_number.clone(),
        unit: o.unit_code.clone(),
        kind: o.kind.as_str().to_string(),
        respond_by: o.respond_by,
        summary: o.summary.clone(),
    };
    uow.enqueue(&Envelope::new(&event, o.case_id, None, None))
        .await?;
    let mut entry = audit_entry;
    entry.details["order_id"] = serde_json::json!(id);
    uow.audit(entry).await?;
    Ok(id)
}

/// What one escalation pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct EscalationRun {
    /// New orders issued at the next level.
    pub escalated: usize,
    /// Last-level orders marked overdue.
    pub marked_overdue: usize,
    /// Orders left for later because the calendar does not cover the new deadline yet.
    pub waiting_for_calendar: usize,
}

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
        let row = sqlx::query(
            "SELECT id, kind, case_id, case_number, pattern, unit_code, summary, respond_by FROM supervision_orders
             WHERE status = 'open' AND respond_by < $1 AND NOT (id = ANY($2))
             ORDER BY respond_by, id LIMIT 1 FOR UPDATE SKIP LOCKED",
        )
        .bind(today)
        .bind(&skipped)
        .fetch_optional(uow.conn())
        .await?;
        let Some(r) = row else {
            uow.rollback().await?;
            return Ok(run);
        };
        let id: Uuid = r.try_get("id")?;
        let kind = OrderKind::parse(&r.try_get::<String, _>("kind")?).unwrap_or(OrderKind::Listed);
        let respond_by: NaiveDate = r.try_get("respond_by")?;
        let unit: String = r.try_get("unit_code")?;
        let case_id: Option<Uuid> = r.try_get("case_id")?;
        match kind.escalates_to() {
            None => {
                sqlx::query("UPDATE supervision_orders SET status = 'overdue', escalated_at = now() WHERE id = $1")
                    .bind(id)
                    .execute(uow.conn())
                    .await?;
                uow.audit(AuditEntry::system(
                    "supervision",
                    "order.overdue",
                    case_id,
                    serde_json::json!({ "order_id": id, "respond_by": respond_by }),
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
                        tracing::warn!(order_id = %id, error = %e.message_zh(), "escalation waits for the holiday calendar");
                        uow.rollback().await?;
                        skipped.push(id);
                        run.waiting_for_calendar += 1;
                        continue;
                    }
                };
                explanation.insert(
                    0,
                    format!(
                        "原{}要求于{}前书面答复，逾期未答复，于{}升级为{}",
                        kind.label_zh(),
                        respond_by,
                        today,
                        next.label_zh()
                    ),
                );
                let summary: String = r.try_get("summary")?;
                let new = NewOrder {
                    kind: next,
                    case_id,
                    case_number: r.try_get("case_number")?,
                    pattern: r.try_get("pattern")?,
                    unit_code: unit.clone(),
                    summary: format!("【逾期未答复，升级{}】{}", next.label_zh(), summary),
                    issued_on: today,
                    respond_by: due,
                    explanation,
                    parent_id: Some(id),
                };
                sqlx::query("UPDATE supervision_orders SET status = 'escalated', escalated_at = now() WHERE id = $1")
                    .bind(id)
                    .execute(uow.conn())
                    .await?;
                insert(
                    &mut uow,
                    &new,
                    "system:supervision",
                    "system",
                    AuditEntry::system(
                        "supervision",
                        "order.escalate",
                        case_id,
                        serde_json::json!({ "from_order": id, "kind": next.as_str(), "respond_by": due }),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_escalate_to_listed_and_stop() {
        assert_eq!(
            OrderKind::Reminder.escalates_to(),
            Some(OrderKind::Supervision)
        );
        assert_eq!(
            OrderKind::Supervision.escalates_to(),
            Some(OrderKind::Listed)
        );
        assert_eq!(OrderKind::Interview.escalates_to(), Some(OrderKind::Listed));
        assert_eq!(OrderKind::Listed.escalates_to(), None);
        assert_eq!(OrderKind::parse("listed"), Some(OrderKind::Listed));
        assert_eq!(OrderKind::parse("催办"), None);
    }
}
