//! The petitioner's self-service (自助查询): attempts per client and minute, and ratings.

use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Count one attempt of `client` in the current minute; returns the minute's count so far. Old
/// minutes are dropped as they pass.
pub async fn attempt(pool: &PgPool, client: &str) -> Result<i32, sqlx::Error> {
    let count: i32 = sqlx::query_scalar(
        "INSERT INTO self_service_attempts (client, window_start, attempts)
         VALUES ($1, date_trunc('minute', now()), 1)
         ON CONFLICT (client, window_start) DO UPDATE SET attempts = self_service_attempts.attempts + 1
         RETURNING attempts",
    )
    .bind(client)
    .fetch_one(pool)
    .await?;
    if count == 1 {
        sqlx::query("DELETE FROM self_service_attempts WHERE window_start < date_trunc('minute', now()) - interval '5 minutes'")
            .execute(pool)
            .await?;
    }
    Ok(count)
}

/// Record the case's rating; `false` when it was rated already (one rating per case).
pub async fn rate(
    conn: &mut PgConnection,
    case_id: Uuid,
    rating: &str,
    comment: Option<&str>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "INSERT INTO satisfaction_ratings (case_id, rating, comment) VALUES ($1, $2, $3)
         ON CONFLICT (case_id) DO NOTHING",
    )
    .bind(case_id)
    .bind(rating)
    .bind(comment)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The case's rating, if given.
pub async fn rating(pool: &PgPool, case_id: Uuid) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT rating FROM satisfaction_ratings WHERE case_id = $1")
        .bind(case_id)
        .fetch_optional(pool)
        .await
}
