//! The units directory's tables (`units`, `unit_history`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};

use crate::domain::unit::{UnitChange, UnitCode, UnitFacts};

/// A row of `units`.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRow {
    pub code: String,
    pub division_code: String,
    pub name: String,
    pub short_name: String,
    pub kind: String,
    pub level: String,
    pub parent_code: Option<String>,
    pub supervisor_code: Option<String>,
    pub township_code: Option<String>,
    pub active: bool,
    pub remarks: Option<String>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

/// Filters of the list (all optional).
#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    pub kind: Option<String>,
    pub level: Option<String>,
    pub parent: Option<String>,
    pub active: Option<bool>,
}

pub async fn list(pool: &PgPool, f: &UnitFilter) -> Result<Vec<UnitRow>, sqlx::Error> {
    sqlx::query_as!(
        UnitRow,
        "SELECT code, division_code, name, short_name, kind, level, parent_code, supervisor_code,
                township_code, active, remarks, version, updated_at, updated_by
         FROM units
         WHERE ($1::text IS NULL OR kind = $1) AND ($2::text IS NULL OR level = $2)
           AND ($3::text IS NULL OR parent_code = $3) AND ($4::bool IS NULL OR active = $4)
         ORDER BY code",
        f.kind.as_deref(),
        f.level.as_deref(),
        f.parent.as_deref(),
        f.active
    )
    .fetch_all(pool)
    .await
}

pub async fn get(conn: &mut PgConnection, code: &str) -> Result<Option<UnitRow>, sqlx::Error> {
    sqlx::query_as!(
        UnitRow,
        "SELECT code, division_code, name, short_name, kind, level, parent_code, supervisor_code,
                township_code, active, remarks, version, updated_at, updated_by
         FROM units WHERE code = $1",
        code
    )
    .fetch_optional(conn)
    .await
}

/// The row, locked for a change.
pub async fn get_for_update(
    conn: &mut PgConnection,
    code: &str,
) -> Result<Option<UnitRow>, sqlx::Error> {
    sqlx::query_as!(
        UnitRow,
        "SELECT code, division_code, name, short_name, kind, level, parent_code, supervisor_code,
                township_code, active, remarks, version, updated_at, updated_by
         FROM units WHERE code = $1 FOR UPDATE",
        code
    )
    .fetch_optional(conn)
    .await
}

/// The organs above `code` (上级机关链), nearest first, following `parent_code` (at most 16 steps).
pub async fn ancestors(conn: &mut PgConnection, code: &str) -> Result<Vec<UnitRow>, sqlx::Error> {
    sqlx::query_as!(
        UnitRow,
        "WITH RECURSIVE chain (code, depth) AS (
             SELECT parent_code, 1 FROM units WHERE code = $1 AND parent_code IS NOT NULL
             UNION ALL
             SELECT u.parent_code, c.depth + 1 FROM chain c JOIN units u ON u.code = c.code
             WHERE u.parent_code IS NOT NULL AND c.depth < 16
         )
         SELECT u.code, u.division_code, u.name, u.short_name, u.kind, u.level, u.parent_code,
                u.supervisor_code, u.township_code, u.active, u.remarks, u.version, u.updated_at,
                u.updated_by
         FROM chain c JOIN units u ON u.code = c.code ORDER BY c.depth",
        code
    )
    .fetch_all(conn)
    .await
}

/// (code, level, kind, active) of the given codes that exist.
#[derive(Debug, Clone)]
pub struct RefRow {
    pub code: String,
    pub level: String,
    pub kind: String,
    pub active: bool,
}

pub async fn references(
    conn: &mut PgConnection,
    codes: &[String],
) -> Result<Vec<RefRow>, sqlx::Error> {
    sqlx::query_as!(
        RefRow,
        "SELECT code, level, kind, active FROM units WHERE code = ANY($1)",
        codes
    )
    .fetch_all(conn)
    .await
}

/// Whether `code` is active (`Some(true)`), retired (`Some(false)`) or unknown (`None`).
pub async fn is_active(conn: &mut PgConnection, code: &str) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query_scalar!("SELECT active FROM units WHERE code = $1", code)
        .fetch_optional(conn)
        .await
}

/// Active units that name `code` as their organ above or their township.
pub async fn active_dependants(
    conn: &mut PgConnection,
    code: &str,
) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT code FROM units WHERE active AND code <> $1
           AND (parent_code = $1 OR township_code = $1) ORDER BY code LIMIT 20",
        code
    )
    .fetch_all(conn)
    .await
}

pub async fn insert(
    conn: &mut PgConnection,
    code: &UnitCode,
    facts: &UnitFacts,
    by: &str,
) -> Result<UnitRow, sqlx::Error> {
    sqlx::query_as!(
        UnitRow,
        "INSERT INTO units (code, division_code, name, short_name, kind, level, parent_code,
                            supervisor_code, township_code, remarks, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         RETURNING code, division_code, name, short_name, kind, level, parent_code, supervisor_code,
                   township_code, active, remarks, version, updated_at, updated_by",
        code.as_str(),
        code.division(),
        facts.name.as_str(),
        facts.short_name.as_str(),
        facts.kind.as_str(),
        facts.level.as_str(),
        facts.parent_code.as_ref().map(UnitCode::as_str),
        facts.supervisor_code.as_ref().map(UnitCode::as_str),
        facts.township_code.as_ref().map(UnitCode::as_str),
        facts.remarks.as_deref(),
        by
    )
    .fetch_one(conn)
    .await
}

/// Replace the facts of a unit, one version up.
pub async fn update(
    conn: &mut PgConnection,
    code: &str,
    facts: &UnitFacts,
    by: &str,
) -> Result<UnitRow, sqlx::Error> {
    sqlx::query_as!(
        UnitRow,
        "UPDATE units SET name = $2, short_name = $3, kind = $4, level = $5, parent_code = $6,
                supervisor_code = $7, township_code = $8, remarks = $9, updated_by = $10,
                updated_at = now(), version = version + 1
         WHERE code = $1
         RETURNING code, division_code, name, short_name, kind, level, parent_code, supervisor_code,
                   township_code, active, remarks, version, updated_at, updated_by",
        code,
        facts.name.as_str(),
        facts.short_name.as_str(),
        facts.kind.as_str(),
        facts.level.as_str(),
        facts.parent_code.as_ref().map(UnitCode::as_str),
        facts.supervisor_code.as_ref().map(UnitCode::as_str),
        facts.township_code.as_ref().map(UnitCode::as_str),
        facts.remarks.as_deref(),
        by
    )
    .fetch_one(conn)
    .await
}

/// Retire a unit (撤销), one version up. Never deleted.
pub async fn retire(conn: &mut PgConnection, code: &str, by: &str) -> Result<UnitRow, sqlx::Error> {
    sqlx::query_as!(
        UnitRow,
        "UPDATE units SET active = false, updated_by = $2, updated_at = now(), version = version + 1
         WHERE code = $1
         RETURNING code, division_code, name, short_name, kind, level, parent_code, supervisor_code,
                   township_code, active, remarks, version, updated_at, updated_by",
        code,
        by,
    )
    .fetch_one(conn)
    .await
}

/// Append the row's new version to the history.
pub async fn record_history(
    conn: &mut PgConnection,
    row: &UnitRow,
    change: UnitChange,
    record: &serde_json::Value,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO unit_history (code, version, change, record, changed_by, changed_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
        &row.code,
        row.version,
        change.as_str(),
        record,
        &row.updated_by,
        row.updated_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A row of `unit_history`.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub version: i64,
    pub change: String,
    pub record: serde_json::Value,
    pub changed_by: String,
    pub changed_at: DateTime<Utc>,
}

pub async fn history(pool: &PgPool, code: &str) -> Result<Vec<HistoryRow>, sqlx::Error> {
    sqlx::query_as!(
        HistoryRow,
        "SELECT version, change, record, changed_by, changed_at FROM unit_history
         WHERE code = $1 ORDER BY version",
        code
    )
    .fetch_all(pool)
    .await
}
