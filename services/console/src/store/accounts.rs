//! Staff accounts (`accounts`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A row of `accounts`.
#[derive(Debug, Clone)]
pub struct AccountRow {
    pub id: Uuid,
    pub login_name: String,
    pub display_name: String,
    pub unit_code: String,
    pub roles: Vec<String>,
    pub status: String,
    pub password_hash: String,
    pub totp_secret: Option<Vec<u8>>,
    pub totp_pending: Option<Vec<u8>>,
    pub totp_enrolled_at: Option<DateTime<Utc>>,
    pub totp_last_step: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

/// A new account's facts.
pub struct NewAccount<'a> {
    pub id: Uuid,
    pub login_name: &'a str,
    pub display_name: &'a str,
    pub unit_code: &'a str,
    pub roles: &'a [String],
    pub password_hash: &'a str,
    pub created_by: &'a str,
}

pub async fn insert(
    conn: &mut PgConnection,
    a: &NewAccount<'_>,
) -> Result<AccountRow, sqlx::Error> {
    sqlx::query_as!(
        AccountRow,
        "INSERT INTO accounts (id, login_name, display_name, unit_code, roles, status, password_hash, created_by)
         VALUES ($1, $2, $3, $4, $5, 'active', $6, $7)
         RETURNING id, login_name, display_name, unit_code, roles, status, password_hash, totp_secret,
                   totp_pending, totp_enrolled_at, totp_last_step, created_at, updated_at, version",
        a.id,
        a.login_name,
        a.display_name,
        a.unit_code,
        a.roles,
        a.password_hash,
        a.created_by,
    )
    .fetch_one(conn)
    .await
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<AccountRow>, sqlx::Error> {
    sqlx::query_as!(
        AccountRow,
        "SELECT id, login_name, display_name, unit_code, roles, status, password_hash, totp_secret,
                totp_pending, totp_enrolled_at, totp_last_step, created_at, updated_at, version
         FROM accounts WHERE id = $1",
        id,
    )
    .fetch_optional(conn)
    .await
}

pub async fn get_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<AccountRow>, sqlx::Error> {
    sqlx::query_as!(
        AccountRow,
        "SELECT id, login_name, display_name, unit_code, roles, status, password_hash, totp_secret,
                totp_pending, totp_enrolled_at, totp_last_step, created_at, updated_at, version
         FROM accounts WHERE id = $1 FOR UPDATE",
        id,
    )
    .fetch_optional(conn)
    .await
}

pub async fn by_login(
    conn: &mut PgConnection,
    login_name: &str,
) -> Result<Option<AccountRow>, sqlx::Error> {
    sqlx::query_as!(
        AccountRow,
        "SELECT id, login_name, display_name, unit_code, roles, status, password_hash, totp_secret,
                totp_pending, totp_enrolled_at, totp_last_step, created_at, updated_at, version
         FROM accounts WHERE login_name = $1",
        login_name,
    )
    .fetch_optional(conn)
    .await
}

pub async fn list(
    pool: &PgPool,
    unit: Option<&str>,
    status: Option<&str>,
) -> Result<Vec<AccountRow>, sqlx::Error> {
    sqlx::query_as!(
        AccountRow,
        "SELECT id, login_name, display_name, unit_code, roles, status, password_hash, totp_secret,
                totp_pending, totp_enrolled_at, totp_last_step, created_at, updated_at, version
         FROM accounts WHERE ($1::text IS NULL OR unit_code = $1) AND ($2::text IS NULL OR status = $2)
         ORDER BY login_name LIMIT 1000",
        unit,
        status,
    )
    .fetch_all(pool)
    .await
}

pub async fn count(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM accounts"#)
        .fetch_one(conn)
        .await
}

/// Replace display name, unit, roles and status, one version up.
pub async fn update(
    conn: &mut PgConnection,
    id: Uuid,
    display_name: &str,
    unit_code: &str,
    roles: &[String],
    status: &str,
) -> Result<AccountRow, sqlx::Error> {
    sqlx::query_as!(
        AccountRow,
        "UPDATE accounts SET display_name = $2, unit_code = $3, roles = $4, status = $5,
                updated_at = now(), version = version + 1
         WHERE id = $1
         RETURNING id, login_name, display_name, unit_code, roles, status, password_hash, totp_secret,
                   totp_pending, totp_enrolled_at, totp_last_step, created_at, updated_at, version",
        id,
        display_name,
        unit_code,
        roles,
        status,
    )
    .fetch_one(conn)
    .await
}

pub async fn set_password(
    conn: &mut PgConnection,
    id: Uuid,
    password_hash: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE accounts SET password_hash = $2, password_changed_at = now(), updated_at = now(),
                version = version + 1 WHERE id = $1",
        id,
        password_hash
    )
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_totp_pending(
    conn: &mut PgConnection,
    id: Uuid,
    sealed: &[u8],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE accounts SET totp_pending = $2, updated_at = now() WHERE id = $1",
        id,
        sealed
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Make the pending secret the account's TOTP secret, with the step of the confirming code.
pub async fn confirm_totp(
    conn: &mut PgConnection,
    id: Uuid,
    sealed: &[u8],
    step: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE accounts SET totp_secret = $2, totp_pending = NULL, totp_enrolled_at = now(),
                totp_last_step = $3, updated_at = now(), version = version + 1 WHERE id = $1",
        id,
        sealed,
        step
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Record the step of a used code; false when a code of this step or a later one was already used
/// (a replay, or a concurrent login with the same code).
pub async fn use_totp_step(
    conn: &mut PgConnection,
    id: Uuid,
    step: i64,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query!(
        "UPDATE accounts SET totp_last_step = $2
         WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        id,
        step
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(n == 1)
}

pub async fn clear_totp(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE accounts SET totp_secret = NULL, totp_pending = NULL, totp_enrolled_at = NULL,
                totp_last_step = NULL, updated_at = now(), version = version + 1 WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Serialise the creation of the first administrator across replicas (transaction-scoped). The key
/// is (0x5846 "XF", 7), written in decimal: hexadecimal literals need PostgreSQL 16.
pub async fn lock_bootstrap(conn: &mut PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query!("SELECT pg_advisory_xact_lock(22598, 7)")
        .execute(conn)
        .await?;
    Ok(())
}
