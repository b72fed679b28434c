//! The walk-in visit log (来访登记).

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use xinfang_platform::Actor;

/// A logged visit.
#[derive(sqlx::FromRow)]
pub struct VisitRecord {
    pub id: Uuid,
    pub unit: String,
    pub arrived_at: DateTime<Utc>,
    pub visitor_count: i32,
    pub note: Option<String>,
    pub petition_id: Option<Uuid>,
}

pub async fn insert(
    conn: &mut PgConnection,
    actor: &Actor,
    visit: &VisitRecord,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO visits (id, unit, arrived_at, visitor_count, note, logged_by) VALUES ($1, $2, $3, $4, $5, $6)",
        visit.id,
        visit.unit,
        visit.arrived_at,
        visit.visitor_count,
        visit.note,
        actor.user_id,
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Visits of the actor's unit (county-wide roles: all), newest first, below the cursor `after`.
pub async fn list(
    pool: &PgPool,
    actor: &Actor,
    unregistered_only: bool,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<VisitRecord>, sqlx::Error> {
    sqlx::query_as!(
        VisitRecord,
        "SELECT id, unit, arrived_at, visitor_count, note, petition_id FROM visits
         WHERE ($1 OR unit = $2) AND (NOT $3 OR petition_id IS NULL) AND ($4::uuid IS NULL OR id < $4)
         ORDER BY id DESC LIMIT $5",
        actor.county_wide(),
        actor.unit,
        unregistered_only,
        after,
        limit
    )
    .fetch_all(pool)
    .await
}
