//! The `visits` table: logged walk-in visits (来访登记) and the registrations they led to, for
//! 应登记不登记.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Tie a walk-in visit to the case its registration made.
pub async fn mark_registered(
    conn: &mut PgConnection,
    visit_id: Uuid,
    case_id: Uuid,
    registered_at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO visits (visit_id, registered_case, registered_at) VALUES ($1, $2, $3)
         ON CONFLICT (visit_id) DO UPDATE SET registered_case = COALESCE(visits.registered_case, EXCLUDED.registered_case),
                                             registered_at = COALESCE(visits.registered_at, EXCLUDED.registered_at)",
        visit_id,
        case_id,
        registered_at
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Record a logged visit and the day by which it must be registered (None while the calendar does
/// not cover it).
pub async fn log(
    conn: &mut PgConnection,
    visit_id: Uuid,
    unit: &str,
    arrived_at: DateTime<Utc>,
    visitor_count: i32,
    register_by: Option<NaiveDate>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO visits (visit_id, unit_code, arrived_at, visitor_count, register_by) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (visit_id) DO UPDATE SET unit_code = EXCLUDED.unit_code, arrived_at = EXCLUDED.arrived_at,
             visitor_count = EXCLUDED.visitor_count, register_by = EXCLUDED.register_by",
        visit_id,
        unit,
        arrived_at,
        visitor_count,
        register_by
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A visit waiting for its registration deadline (logged on a day the calendar did not cover).
#[derive(Debug, sqlx::FromRow)]
pub struct UndatedVisitRow {
    pub visit_id: Uuid,
    pub arrived_at: DateTime<Utc>,
}

pub async fn undated(pool: &PgPool) -> Result<Vec<UndatedVisitRow>, sqlx::Error> {
    sqlx::query_as!(
        UndatedVisitRow,
        "SELECT visit_id, arrived_at AS \"arrived_at!\" FROM visits
         WHERE register_by IS NULL AND registered_case IS NULL AND arrived_at IS NOT NULL"
    )
    .fetch_all(pool)
    .await
}

pub async fn set_register_by(
    pool: &PgPool,
    visit_id: Uuid,
    register_by: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE visits SET register_by = $2 WHERE visit_id = $1 AND register_by IS NULL",
        visit_id,
        register_by
    )
    .execute(pool)
    .await?;
    Ok(())
}
