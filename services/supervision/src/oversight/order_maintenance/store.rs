//! SQL of order-maintenance incidents (`order_incidents`).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// An incident at reception (接待现场秩序事件).
#[derive(Debug)]
pub struct NewIncident<'a> {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub person_ref: &'a str,
    pub unit: &'a str,
    pub occurred_at: DateTime<Utc>,
    pub location: &'a str,
    pub conduct: &'a str,
    pub description: &'a str,
    pub response: &'a str,
    pub recorded_by: &'a str,
}

pub async fn insert(conn: &mut PgConnection, i: &NewIncident<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO order_incidents (id, case_id, person_ref, unit_code, occurred_at, location, conduct, description, response, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        i.id,
        i.case_id,
        i.person_ref,
        i.unit,
        i.occurred_at,
        i.location,
        i.conduct,
        i.description,
        i.response,
        i.recorded_by
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// An incident as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct IncidentRow {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub person_ref: String,
    pub unit_code: String,
    pub occurred_at: DateTime<Utc>,
    pub location: String,
    pub conduct: String,
    pub description: String,
    pub response: String,
    pub recorded_by: String,
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<IncidentRow>, sqlx::Error> {
    sqlx::query_as!(
        IncidentRow,
        "SELECT id, case_id, person_ref, unit_code, occurred_at, location, conduct, description, response, recorded_by
         FROM order_incidents WHERE id = $1",
        id
    )
    .fetch_optional(conn)
    .await
}

/// Incidents after `after` (by id), of one unit, person and case when given.
pub async fn list(
    pool: &PgPool,
    after: Uuid,
    unit: Option<&str>,
    person_ref: Option<&str>,
    case_id: Option<Uuid>,
    limit: i64,
) -> Result<Vec<IncidentRow>, sqlx::Error> {
    sqlx::query_as!(
        IncidentRow,
        "SELECT id, case_id, person_ref, unit_code, occurred_at, location, conduct, description, response, recorded_by
         FROM order_incidents WHERE id > $1 AND ($2::text IS NULL OR unit_code = $2)
           AND ($3::text IS NULL OR person_ref = $3) AND ($4::uuid IS NULL OR case_id = $4) ORDER BY id LIMIT $5",
        after,
        unit,
        person_ref,
        case_id,
        limit
    )
    .fetch_all(pool)
    .await
}
