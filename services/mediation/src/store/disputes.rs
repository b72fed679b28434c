//! SQL of the dispute register (矛盾纠纷排查登记).

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::PgConnection;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::dispute::NewDispute;

#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct DisputeRow {
    pub id: Uuid,
    pub unit_code: String,
    pub township: String,
    pub field: String,
    pub summary: String,
    pub parties: Vec<String>,
    pub respondent_unit: Option<String>,
    /// `open` | `in_mediation` | `resolved` | `unresolved`
    pub status: String,
    pub registered_on: NaiveDate,
    pub resolved_on: Option<NaiveDate>,
}

const COLUMNS: &str =
    "id, unit_code, township, field, summary, parties, respondent_unit, status, registered_on, resolved_on";

pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    unit: &str,
    d: &NewDispute,
    on: NaiveDate,
    by: &str,
) -> Result<DisputeRow, sqlx::Error> {
    sqlx::query_as::<_, DisputeRow>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO disputes (id, unit_code, township, field, summary, parties, respondent_unit, status, registered_on, registered_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9) RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(unit)
    .bind(&d.township)
    .bind(&d.field)
    .bind(&d.summary)
    .bind(&d.parties)
    .bind(&d.respondent_unit)
    .bind(on)
    .bind(by)
    .fetch_one(conn)
    .await
}

pub async fn load_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<DisputeRow>, sqlx::Error> {
    sqlx::query_as::<_, DisputeRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM disputes WHERE id = $1 FOR UPDATE"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    resolved_on: Option<NaiveDate>,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE disputes SET status = $2, resolved_on = $3 WHERE id = $1")
        .bind(id)
        .bind(status)
        .bind(resolved_on)
        .execute(conn)
        .await?;
    Ok(())
}

/// The register by township and field, for the units the caller sees (`None`: the county).
pub async fn list(
    conn: &mut PgConnection,
    unit: Option<&str>,
    township: Option<&str>,
    field: Option<&str>,
    status: Option<&str>,
) -> Result<Vec<DisputeRow>, sqlx::Error> {
    sqlx::query_as::<_, DisputeRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM disputes
         WHERE ($1::text IS NULL OR unit_code = $1) AND ($2::text IS NULL OR township = $2)
           AND ($3::text IS NULL OR field = $3) AND ($4::text IS NULL OR status = $4)
         ORDER BY registered_on DESC, id LIMIT 500"
    )))
    .bind(unit)
    .bind(township)
    .bind(field)
    .bind(status)
    .fetch_all(conn)
    .await
}
