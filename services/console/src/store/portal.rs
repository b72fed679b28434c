//! The portal's one-time codes and rate limits (`portal_phone_codes`, `portal_rate_limits`).

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Count one hit of `bucket` in its current window of `window_secs`; returns the window's hits so
/// far. Windows older than a day are dropped now and then.
pub async fn hit(pool: &PgPool, bucket: &str, window_secs: i64) -> Result<i32, sqlx::Error> {
    let hits: i32 = sqlx::query_scalar(
        "INSERT INTO portal_rate_limits (bucket, window_start, hits)
         VALUES ($1, to_timestamp(floor(extract(epoch FROM now())::float8 / $2) * $2), 1)
         ON CONFLICT (bucket, window_start) DO UPDATE SET hits = portal_rate_limits.hits + 1
         RETURNING hits",
    )
    .bind(bucket)
    .bind(window_secs as f64)
    .fetch_one(pool)
    .await?;
    if hits == 1 && rand_percent() < 5 {
        sqlx::query("DELETE FROM portal_rate_limits WHERE window_start < now() - interval '1 day'")
            .execute(pool)
            .await?;
        sqlx::query("DELETE FROM portal_phone_codes WHERE created_at < now() - interval '1 day'")
            .execute(pool)
            .await?;
    }
    Ok(hits)
}

fn rand_percent() -> u8 {
    use rand::Rng;
    rand::rngs::OsRng.gen_range(0..100)
}

/// A new code for this browser session; earlier unverified codes of the session end.
pub async fn insert_code(
    pool: &PgPool,
    id: Uuid,
    session_hash: &[u8],
    phone_hash: &[u8],
    code_hash: &[u8],
    valid_minutes: u32,
) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM portal_phone_codes WHERE session_hash = $1 AND verified_at IS NULL")
        .bind(session_hash)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO portal_phone_codes (id, session_hash, phone_hash, code_hash, expires_at)
         VALUES ($1, $2, $3, $4, now() + make_interval(mins => $5))",
    )
    .bind(id)
    .bind(session_hash)
    .bind(phone_hash)
    .bind(code_hash)
    .bind(valid_minutes as i32)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// Whether a code went to this phone within the last `secs` seconds (from any browser).
pub async fn sent_within(pool: &PgPool, phone_hash: &[u8], secs: i64) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM portal_phone_codes
                        WHERE phone_hash = $1 AND created_at > now() - make_interval(secs => $2))",
    )
    .bind(phone_hash)
    .bind(secs as f64)
    .fetch_one(pool)
    .await
}

/// Remove a code (its SMS could not be sent).
pub async fn delete_code(pool: &PgPool, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM portal_phone_codes WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// A code waiting to be entered.
#[derive(Debug, sqlx::FromRow)]
pub struct PendingCode {
    pub id: Uuid,
    pub code_hash: Vec<u8>,
    pub attempts: i32,
}

/// Take the session's live code for this phone and count one attempt on it (locked, so that
/// parallel guesses count too). `None` when there is none left to try.
pub async fn attempt_code(
    conn: &mut PgConnection,
    session_hash: &[u8],
    phone_hash: &[u8],
    max_attempts: i32,
) -> Result<Option<PendingCode>, sqlx::Error> {
    sqlx::query_as::<_, PendingCode>(
        "UPDATE portal_phone_codes SET attempts = attempts + 1
         WHERE id = (SELECT id FROM portal_phone_codes
                     WHERE session_hash = $1 AND phone_hash = $2 AND verified_at IS NULL
                       AND expires_at > now() AND attempts < $3
                     ORDER BY created_at DESC LIMIT 1 FOR UPDATE)
         RETURNING id, code_hash, attempts",
    )
    .bind(session_hash)
    .bind(phone_hash)
    .bind(max_attempts)
    .fetch_optional(conn)
    .await
}

/// Mark a code verified.
pub async fn mark_verified(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE portal_phone_codes SET verified_at = now() WHERE id = $1")
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// The session's verification of this phone that may still submit a petition (verified within
/// `minutes`, not used).
pub async fn live_verification(
    pool: &PgPool,
    session_hash: &[u8],
    phone_hash: &[u8],
    minutes: i64,
) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT id FROM portal_phone_codes
         WHERE session_hash = $1 AND phone_hash = $2 AND used_at IS NULL
           AND verified_at > now() - make_interval(mins => $3)
         ORDER BY verified_at DESC LIMIT 1",
    )
    .bind(session_hash)
    .bind(phone_hash)
    .bind(minutes as i32)
    .fetch_optional(pool)
    .await
}

/// Whether the verification was used already (its petition was submitted).
pub async fn mark_used(pool: &PgPool, id: Uuid) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE portal_phone_codes SET used_at = now() WHERE id = $1 AND used_at IS NULL",
    )
    .bind(id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
