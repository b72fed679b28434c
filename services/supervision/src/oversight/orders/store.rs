//! SQL of supervision orders (`supervision_orders`).

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use xinfang_contracts::{events::SupervisionOrderIssuedV1, Envelope};
use xinfang_messaging::UnitOfWork;
use xinfang_platform::audit::{AuditEntry, AuditExt};

use crate::oversight::orders::domain::NewOrder;

/// Write an order, its audit record and `supervision.order.issued.v1` in the caller's unit of work.
pub async fn insert(
    uow: &mut UnitOfWork<'_>,
    o: &NewOrder,
    issued_by: &str,
    issued_unit: &str,
    audit_entry: AuditEntry,
) -> Result<Uuid, sqlx::Error> {
    let id = Uuid::now_v7();
    sqlx::query!(
        "INSERT INTO supervision_orders (id, kind, case_id, case_number, pattern, unit_code, summary, issued_by, issued_unit,
                                         issued_on, respond_by, explanation, parent_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        id,
        o.kind.as_str(),
        o.case_id,
        o.case_number.as_deref(),
        o.pattern.as_deref(),
        &o.unit_code,
        &o.summary,
        issued_by,
        issued_unit,
        o.issued_on,
        o.respond_by,
        serde_json::json!(o.explanation),
        o.parent_id
    )
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

/// An order as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct OrderRow {
    pub id: Uuid,
    pub kind: String,
    pub case_id: Option<Uuid>,
    pub case_number: Option<String>,
    pub pattern: Option<String>,
    pub unit_code: String,
    pub summary: String,
    pub issued_by: String,
    pub issued_on: NaiveDate,
    pub respond_by: NaiveDate,
    pub explanation: serde_json::Value,
    pub status: String,
    pub parent_id: Option<Uuid>,
    pub response: Option<String>,
    pub responded_by: Option<String>,
    pub responded_at: Option<DateTime<Utc>>,
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<OrderRow>, sqlx::Error> {
    sqlx::query_as!(
        OrderRow,
        "SELECT id, kind, case_id, case_number, pattern, unit_code, summary, issued_by, issued_on, respond_by,
                explanation, status, parent_id, response, responded_by, responded_at
         FROM supervision_orders WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await
}

/// Filters of the order list.
#[derive(Debug, Default)]
pub struct OrderListFilter {
    pub after: Uuid,
    pub unit: Option<String>,
    pub status: Option<String>,
    pub case_id: Option<Uuid>,
    pub limit: i64,
}

pub async fn list(pool: &PgPool, f: &OrderListFilter) -> Result<Vec<OrderRow>, sqlx::Error> {
    sqlx::query_as!(
        OrderRow,
        "SELECT id, kind, case_id, case_number, pattern, unit_code, summary, issued_by, issued_on, respond_by,
                explanation, status, parent_id, response, responded_by, responded_at
         FROM supervision_orders
         WHERE id > $1 AND ($2::text IS NULL OR unit_code = $2) AND ($3::text IS NULL OR status = $3)
           AND ($4::uuid IS NULL OR case_id = $4)
         ORDER BY id LIMIT $5",
        f.after,
        f.unit.as_deref(),
        f.status.as_deref(),
        f.case_id,
        f.limit
    )
    .fetch_all(pool)
    .await
}

/// What answering an order needs to know, locked.
#[derive(Debug, sqlx::FromRow)]
pub struct OrderStateRow {
    pub unit_code: String,
    pub status: String,
    pub case_id: Option<Uuid>,
}

pub async fn lock_state(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<OrderStateRow>, sqlx::Error> {
    sqlx::query_as!(
        OrderStateRow,
        "SELECT unit_code, status, case_id FROM supervision_orders WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn record_response(
    conn: &mut PgConnection,
    id: Uuid,
    response: &str,
    by: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE supervision_orders SET status = 'responded', response = $2, responded_by = $3, responded_at = now() WHERE id = $1",
        id,
        response,
        by
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// An order unanswered past its deadline, claimed for escalation.
#[derive(Debug, sqlx::FromRow)]
pub struct UnansweredRow {
    pub id: Uuid,
    pub kind: String,
    pub case_id: Option<Uuid>,
    pub case_number: Option<String>,
    pub pattern: Option<String>,
    pub unit_code: String,
    pub summary: String,
    pub respond_by: NaiveDate,
}

/// Claim the next open order past its deadline as of `today`, skipping `skipped` and orders another
/// replica holds.
pub async fn claim_unanswered(
    conn: &mut PgConnection,
    today: NaiveDate,
    skipped: &[Uuid],
) -> Result<Option<UnansweredRow>, sqlx::Error> {
    sqlx::query_as!(
        UnansweredRow,
        "SELECT id, kind, case_id, case_number, pattern, unit_code, summary, respond_by FROM supervision_orders
         WHERE status = 'open' AND respond_by < $1 AND NOT (id = ANY($2))
         ORDER BY respond_by, id LIMIT 1 FOR UPDATE SKIP LOCKED",
        today,
        skipped
    )
    .fetch_optional(conn)
    .await
}

/// Move an order out of `open`: `overdue` (last level) or `escalated`.
pub async fn mark_late(conn: &mut PgConnection, id: Uuid, status: &str) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE supervision_orders SET status = $2, escalated_at = now() WHERE id = $1",
        id,
        status
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Per kind: issued, answered, and escalated or overdue, of orders issued in [from, to].
#[derive(Debug, sqlx::FromRow)]
pub struct OrderTallyRow {
    pub kind: String,
    pub issued: i64,
    pub responded: i64,
    pub late: i64,
}

pub async fn tally(
    pool: &PgPool,
    unit: Option<&str>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<OrderTallyRow>, sqlx::Error> {
    sqlx::query_as!(
        OrderTallyRow,
        "SELECT kind, count(*)::int8 AS \"issued!\", count(*) FILTER (WHERE status = 'responded')::int8 AS \"responded!\",
                count(*) FILTER (WHERE status IN ('escalated', 'overdue'))::int8 AS \"late!\"
         FROM supervision_orders WHERE issued_on BETWEEN $1 AND $2 AND ($3::text IS NULL OR unit_code = $3) GROUP BY kind",
        from,
        to,
        unit
    )
    .fetch_all(pool)
    .await
}
