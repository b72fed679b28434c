//! Server-side sessions (`sessions`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A row of `sessions`.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: Uuid,
    pub account_id: Uuid,
    pub enrol_only: bool,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
}

pub struct NewSession<'a> {
    pub id: Uuid,
    pub account_id: Uuid,
    pub refresh_hash: &'a [u8],
    pub enrol_only: bool,
    pub client_address: &'a str,
    pub user_agent: Option<&'a str>,
    pub now: DateTime<Utc>,
}

pub async fn create(
    conn: &mut PgConnection,
    s: &NewSession<'_>,
) -> Result<SessionRow, sqlx::Error> {
    sqlx::query_as!(
        SessionRow,
        "INSERT INTO sessions (id, account_id, refresh_hash, enrol_only, created_at, last_seen_at,
                               client_address, user_agent)
         VALUES ($1, $2, $3, $4, $5, $5, $6, $7)
         RETURNING id, account_id, enrol_only, created_at, last_seen_at, revoked_at, revoked_reason,
                   client_address, user_agent",
        s.id,
        s.account_id,
        s.refresh_hash,
        s.enrol_only,
        s.now,
        s.client_address,
        s.user_agent
    )
    .fetch_one(conn)
    .await
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as!(
        SessionRow,
        "SELECT id, account_id, enrol_only, created_at, last_seen_at, revoked_at, revoked_reason,
                client_address, user_agent
         FROM sessions WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await
}

pub async fn by_refresh_hash(
    conn: &mut PgConnection,
    hash: &[u8],
) -> Result<Option<SessionRow>, sqlx::Error> {
    sqlx::query_as!(
        SessionRow,
        "SELECT id, account_id, enrol_only, created_at, last_seen_at, revoked_at, revoked_reason,
                client_address, user_agent
         FROM sessions WHERE refresh_hash = $1 FOR UPDATE",
        hash
    )
    .fetch_optional(conn)
    .await
}

/// Mark the session used now (idle timeout restarts); only when it was last marked over
/// `min_gap_secs` ago, so that busy sessions do not write on every request.
pub async fn touch(
    conn: &mut PgConnection,
    id: Uuid,
    now: DateTime<Utc>,
    min_gap_secs: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE sessions SET last_seen_at = $2
         WHERE id = $1 AND revoked_at IS NULL AND last_seen_at < $2::timestamptz - make_interval(secs => $3)",
        id,
        now,
        min_gap_secs as f64
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn end_enrolment(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!("UPDATE sessions SET enrol_only = false WHERE id = $1", id)
        .execute(conn)
        .await?;
    Ok(())
}

/// End one session; false when it had already ended.
pub async fn revoke(
    conn: &mut PgConnection,
    id: Uuid,
    reason: &str,
    by: &str,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query!(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $2, revoked_by = $3
         WHERE id = $1 AND revoked_at IS NULL",
        id,
        reason,
        by
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// End every live session of an account; the ids ended.
pub async fn revoke_all(
    conn: &mut PgConnection,
    account_id: Uuid,
    reason: &str,
    by: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "UPDATE sessions SET revoked_at = now(), revoked_reason = $2, revoked_by = $3
         WHERE account_id = $1 AND revoked_at IS NULL RETURNING id",
        account_id,
        reason,
        by
    )
    .fetch_all(conn)
    .await
}

pub async fn list_for_account(
    pool: &PgPool,
    account_id: Uuid,
) -> Result<Vec<SessionRow>, sqlx::Error> {
    sqlx::query_as!(
        SessionRow,
        "SELECT id, account_id, enrol_only, created_at, last_seen_at, revoked_at, revoked_reason,
                client_address, user_agent
         FROM sessions WHERE account_id = $1 ORDER BY created_at DESC LIMIT 100",
        account_id
    )
    .fetch_all(pool)
    .await
}

/// Remove sessions that ended (revoked, or idle/absolute timed out) before `ended_before`.
pub async fn delete_ended(
    pool: &PgPool,
    ended_before: DateTime<Utc>,
    idle_secs: i64,
    absolute_secs: i64,
) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query!(
        "DELETE FROM sessions
         WHERE (revoked_at IS NOT NULL AND revoked_at < $1)
            OR last_seen_at + make_interval(secs => $2) < $1
            OR created_at + make_interval(secs => $3) < $1",
        ended_before,
        idle_secs as f64,
        absolute_secs as f64
    )
    .execute(pool)
    .await?
    .rows_affected())
}
