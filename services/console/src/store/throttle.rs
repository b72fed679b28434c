//! Login failures and lockouts (`login_failures`, `login_locks`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::throttle::SubjectKind;

/// The ends of the lockouts in force on this login name or this address.
pub async fn locks_in_force(
    conn: &mut PgConnection,
    login_key: &str,
    address: &str,
    now: DateTime<Utc>,
) -> Result<Vec<DateTime<Utc>>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT locked_until FROM login_locks
         WHERE locked_until > $3
           AND ((subject_kind = 'account' AND subject = $1) OR (subject_kind = 'address' AND subject = $2))",
        login_key,
        address,
        now,
    )
    .fetch_all(conn)
    .await
}

/// Record a failure; the failures of the login name and of the address since `since`, this one
/// included.
pub async fn record_failure(
    conn: &mut PgConnection,
    login_key: &str,
    address: &str,
    now: DateTime<Utc>,
    since: DateTime<Utc>,
) -> Result<(i64, i64), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO login_failures (login_key, client_address, failed_at) VALUES ($1, $2, $3)",
        login_key,
        address,
        now
    )
    .execute(&mut *conn)
    .await?;
    let counts = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM login_failures WHERE login_key = $1 AND failed_at > $3) AS "by_login!",
                  (SELECT count(*) FROM login_failures WHERE client_address = $2 AND failed_at > $3) AS "by_address!""#,
        login_key,
        address,
        since,
    )
    .fetch_one(conn)
    .await?;
    Ok((counts.by_login, counts.by_address))
}

/// Lock a subject until `until`; its counted failures are consumed by the lockout.
pub async fn lock(
    conn: &mut PgConnection,
    kind: SubjectKind,
    subject: &str,
    until: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO login_locks (subject_kind, subject, locked_until) VALUES ($1, $2, $3)
         ON CONFLICT (subject_kind, subject) DO UPDATE SET locked_until = EXCLUDED.locked_until",
        kind.as_str(),
        subject,
        until
    )
    .execute(&mut *conn)
    .await?;
    match kind {
        SubjectKind::Account => {
            sqlx::query!("DELETE FROM login_failures WHERE login_key = $1", subject)
                .execute(conn)
                .await?
        }
        SubjectKind::Address => {
            sqlx::query!(
                "DELETE FROM login_failures WHERE client_address = $1",
                subject
            )
            .execute(conn)
            .await?
        }
    };
    Ok(())
}

/// A successful login clears the failures of its login name.
pub async fn clear_account(conn: &mut PgConnection, login_key: &str) -> Result<(), sqlx::Error> {
    sqlx::query!("DELETE FROM login_failures WHERE login_key = $1", login_key)
        .execute(conn)
        .await?;
    Ok(())
}

/// Remove failures older than `before` and lockouts that ended before it.
pub async fn delete_old(pool: &PgPool, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    let a = sqlx::query!("DELETE FROM login_failures WHERE failed_at < $1", before)
        .execute(pool)
        .await?
        .rows_affected();
    let b = sqlx::query!("DELETE FROM login_locks WHERE locked_until < $1", before)
        .execute(pool)
        .await?
        .rows_affected();
    Ok(a + b)
}
