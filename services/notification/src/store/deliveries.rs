//! Deliveries (送达记录): one per (notice, channel). The dispatcher claims due SMS and e-mail
//! deliveries with `FOR UPDATE SKIP LOCKED` and marks them `sending` (committed) before it sends, so
//! that no delivery is ever sent twice: a crash mid-send leaves `sending`, which expires to
//! `failed` for a person to check, never to a silent resend.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A delivery as operators see it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeliveryRow {
    pub id: Uuid,
    pub notice_id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    pub kind: String,
    pub recipient_kind: String,
    pub unit_code: String,
    pub recipient_unit: Option<String>,
    pub channel: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_on: Option<NaiveDate>,
    pub proof: Option<String>,
    pub tracking_number: Option<String>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "d.id, d.notice_id, d.case_id, n.case_number, n.kind, n.recipient_kind, n.unit_code,
    n.recipient_unit, d.channel, d.status, d.attempts, d.next_attempt_at, d.last_error, d.sent_at,
    d.delivered_on, d.proof, d.tracking_number, d.updated_at";

/// A delivery the dispatcher claimed.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Claimed {
    pub id: Uuid,
    pub notice_id: Uuid,
    pub case_id: Uuid,
    pub channel: String,
    pub attempts: i32,
}

/// Claim up to `limit` due SMS and e-mail deliveries: `sending`, one more attempt, committed by
/// this statement alone before anything is sent.
pub async fn claim_due(pool: &PgPool, limit: i64) -> Result<Vec<Claimed>, sqlx::Error> {
    sqlx::query_as::<_, Claimed>(
        "UPDATE deliveries d SET status = 'sending', attempts = d.attempts + 1, updated_at = now()
         FROM (SELECT id FROM deliveries
               WHERE status IN ('queued', 'retrying') AND next_attempt_at <= now()
               ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) due
         WHERE d.id = due.id
         RETURNING d.id, d.notice_id, d.case_id, d.channel, d.attempts",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Deliveries left `sending` longer than the lease (the process died mid-send): `failed`, for a
/// person to check whether the message went out and retry by hand. Returns them.
pub async fn expire_sending(pool: &PgPool, lease_secs: i64) -> Result<Vec<Claimed>, sqlx::Error> {
    sqlx::query_as::<_, Claimed>(
        "UPDATE deliveries SET status = 'failed', updated_at = now(),
                last_error = '发送结果未知（发送中断），请核实后手动重试'
         WHERE status = 'sending' AND updated_at < now() - make_interval(secs => $1)
         RETURNING id, notice_id, case_id, channel, attempts",
    )
    .bind(lease_secs as f64)
    .fetch_all(pool)
    .await
}

/// Sent: delivered on `on` with the channel's receipt (and the channel actually used).
pub async fn mark_sent(
    conn: &mut PgConnection,
    ids: &[Uuid],
    proofs: &[String],
    channels: &[String],
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE deliveries d SET status = 'delivered', sent_at = now(), delivered_on = $3, proof = t.proof,
                channel = t.channel, last_error = NULL, updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $4::text[]) AS t(id, proof, channel)
         WHERE d.id = t.id AND d.status = 'sending'",
    )
    .bind(ids)
    .bind(proofs)
    .bind(on)
    .bind(channels)
    .execute(conn)
    .await?;
    Ok(())
}

/// Failed this time: `retrying` at `next`, or `failed` when `next` is `None`.
pub async fn mark_failed(
    conn: &mut PgConnection,
    ids: &[Uuid],
    errors: &[String],
    next: &[Option<DateTime<Utc>>],
) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE deliveries d SET status = CASE WHEN t.next IS NULL THEN 'failed' ELSE 'retrying' END,
                next_attempt_at = COALESCE(t.next, d.next_attempt_at), last_error = t.error, updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::timestamptz[]) AS t(id, error, next)
         WHERE d.id = t.id AND d.status = 'sending'",
    )
    .bind(ids)
    .bind(errors)
    .bind(next)
    .execute(conn)
    .await?;
    Ok(())
}

/// The notices among `ids` served now (送达): `delivered` the first time only. Returns those that
/// changed, so that each notice's delivery event goes out once.
pub async fn serve_notices(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_scalar(
        "UPDATE notices SET status = 'delivered' WHERE id = ANY($1) AND status <> 'delivered' RETURNING id",
    )
    .bind(ids)
    .fetch_all(conn)
    .await
}

/// One delivery, locked for an operator's change.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<Option<DeliveryRow>, sqlx::Error> {
    sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM deliveries d JOIN notices n ON n.id = d.notice_id WHERE d.id = $1 FOR UPDATE OF d"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// An operator's change of one delivery's state.
pub async fn set_state(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    delivered_on: Option<NaiveDate>,
    proof: Option<&str>,
    tracking_number: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE deliveries SET status = $2, delivered_on = COALESCE($3, delivered_on), proof = COALESCE($4, proof),
                tracking_number = COALESCE($5, tracking_number), next_attempt_at = now(), updated_at = now(),
                last_error = CASE WHEN $2 = 'queued' THEN NULL ELSE last_error END,
                attempts = CASE WHEN $2 = 'queued' THEN 0 ELSE attempts END
         WHERE id = $1",
    )
    .bind(id)
    .bind(status)
    .bind(delivered_on)
    .bind(proof)
    .bind(tracking_number)
    .execute(conn)
    .await?;
    Ok(())
}

/// Online delivery (网上送达): the petitioner opened the document in the self-service. Returns the
/// delivery if it was only `available` until now.
pub async fn opened_online(
    conn: &mut PgConnection,
    notice_id: Uuid,
    on: NaiveDate,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE deliveries SET status = 'delivered', delivered_on = $2, proof = '信访人网上查阅下载',
                updated_at = now()
         WHERE notice_id = $1 AND channel = 'online' AND status = 'available' RETURNING id",
    )
    .bind(notice_id)
    .bind(on)
    .fetch_optional(conn)
    .await
}

/// A filtered list for operators, newest change first.
pub async fn list(
    pool: &PgPool,
    status: Option<&str>,
    channel: Option<&str>,
    case_id: Option<Uuid>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM deliveries d JOIN notices n ON n.id = d.notice_id
         WHERE ($1::text IS NULL OR d.status = $1) AND ($2::text IS NULL OR d.channel = $2)
           AND ($3::uuid IS NULL OR d.case_id = $3)
         ORDER BY d.updated_at DESC, d.id DESC LIMIT $4"
    )))
    .bind(status)
    .bind(channel)
    .bind(case_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Deliveries by status and channel (the metric).
pub async fn counts(pool: &PgPool) -> Result<Vec<(String, String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT status, channel, count(*) FROM deliveries GROUP BY status, channel")
        .fetch_all(pool)
        .await
}

/// Every delivery of a case's notices (self-service).
pub async fn for_case(pool: &PgPool, case_id: Uuid) -> Result<Vec<DeliveryRow>, sqlx::Error> {
    sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM deliveries d JOIN notices n ON n.id = d.notice_id
         WHERE d.case_id = $1 ORDER BY d.created_at, d.id"
    )))
    .bind(case_id)
    .fetch_all(pool)
    .await
}
