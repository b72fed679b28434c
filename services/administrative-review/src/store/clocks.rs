//! The clocks as supervision projects them (`supervision.deadline.projected.v1`): the latest per
//! (case, kind). Read, never computed.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use xinfang_contracts::review::DeadlineProjectedV1;

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize, utoipa::ToSchema)]
pub struct ClockRow {
    pub kind: String,
    pub deadline_id: Uuid,
    pub unit_code: String,
    pub start_on: NaiveDate,
    pub due_on: Option<NaiveDate>,
    #[schema(value_type = Vec<String>)]
    pub explanation: serde_json::Value,
    pub extensions: i32,
}

/// Keep a projection; with `previous`, returns the due date it replaced (None when new or unknown
/// before; read under the row's lock, one more round trip), else None.
pub async fn upsert(
    conn: &mut PgConnection,
    e: &DeadlineProjectedV1,
    previous: bool,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    let previous: Option<Option<NaiveDate>> = if previous {
        sqlx::query_scalar("SELECT due_on FROM clocks WHERE case_id = $1 AND kind = $2 FOR UPDATE")
            .bind(e.petition_id)
            .bind(&e.kind)
            .fetch_optional(&mut *conn)
            .await?
    } else {
        None
    };
    sqlx::query(
        "INSERT INTO clocks (case_id, kind, deadline_id, unit_code, start_on, due_on, explanation, extensions)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (case_id, kind) DO UPDATE SET deadline_id = EXCLUDED.deadline_id, unit_code = EXCLUDED.unit_code,
             start_on = EXCLUDED.start_on, due_on = EXCLUDED.due_on, explanation = EXCLUDED.explanation,
             extensions = EXCLUDED.extensions, updated_at = now()",
    )
    .bind(e.petition_id)
    .bind(&e.kind)
    .bind(e.deadline_id)
    .bind(&e.unit)
    .bind(e.start_on)
    .bind(e.due_on)
    .bind(serde_json::json!(e.explanation))
    .bind(e.extensions as i32)
    .execute(conn)
    .await?;
    Ok(previous.flatten())
}

/// One clock of a case.
pub async fn get(
    conn: &mut PgConnection,
    case_id: Uuid,
    kind: &str,
) -> Result<Option<ClockRow>, sqlx::Error> {
    sqlx::query_as::<_, ClockRow>(
        "SELECT kind, deadline_id, unit_code, start_on, due_on, explanation, extensions FROM clocks
         WHERE case_id = $1 AND kind = $2",
    )
    .bind(case_id)
    .bind(kind)
    .fetch_optional(conn)
    .await
}

pub async fn of_case(pool: &PgPool, case_id: Uuid) -> Result<Vec<ClockRow>, sqlx::Error> {
    sqlx::query_as::<_, ClockRow>(
        "SELECT kind, deadline_id, unit_code, start_on, due_on, explanation, extensions FROM clocks
         WHERE case_id = $1 ORDER BY updated_at",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await
}
