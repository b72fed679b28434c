//! The `deadline_steps` table (期限提醒): scheduling, claiming due steps across replicas, firing.

use chrono::NaiveDate;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::deadlines::domain::timers::{step_columns, PlannedStep};

/// Write a deadline's schedule: unfired steps move to their new dates, steps no longer planned are
/// cancelled, fired steps stay fired.
pub async fn schedule(
    conn: &mut PgConnection,
    deadline_id: Uuid,
    plan: &[PlannedStep],
) -> Result<(), sqlx::Error> {
    let (steps, seqs, dates) = step_columns(plan);
    sqlx::query(
        "INSERT INTO deadline_steps (deadline_id, step, seq, fire_on)
         SELECT $1, u.step, u.seq, u.fire_on FROM UNNEST($2::text[], $3::int2[], $4::date[]) AS u(step, seq, fire_on)
         ON CONFLICT (deadline_id, step) DO UPDATE SET fire_on = EXCLUDED.fire_on, cancelled_at = NULL
         WHERE deadline_steps.fired_at IS NULL",
    )
    .bind(deadline_id)
    .bind(&steps)
    .bind(&seqs)
    .bind(&dates)
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        "UPDATE deadline_steps SET cancelled_at = now()
         WHERE deadline_id = $1 AND fired_at IS NULL AND cancelled_at IS NULL AND NOT (step = ANY($2))",
        deadline_id,
        &steps.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Cancel the pending steps of closed deadlines.
pub async fn cancel_pending(
    conn: &mut PgConnection,
    deadline_ids: &[Uuid],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE deadline_steps SET cancelled_at = now()
         WHERE deadline_id = ANY($1) AND fired_at IS NULL AND cancelled_at IS NULL",
        deadline_ids
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A step due to fire, with its deadline.
#[derive(Debug, sqlx::FromRow)]
pub struct DueStepRow {
    pub deadline_id: Uuid,
    pub step: String,
    pub case_id: Uuid,
    pub case_number: String,
    pub kind: String,
    pub unit_code: String,
    pub due_date: Option<NaiveDate>,
}

/// Claim up to `limit` steps due on or before `today` of open deadlines; rows another replica holds
/// are skipped, so that each step fires once.
pub async fn claim_due(
    conn: &mut PgConnection,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<DueStepRow>, sqlx::Error> {
    sqlx::query_as!(
        DueStepRow,
        "SELECT s.deadline_id, s.step, d.case_id, d.case_number, d.kind, d.unit_code, d.due_date
         FROM deadline_steps s JOIN deadlines d ON d.id = s.deadline_id
         WHERE s.fired_at IS NULL AND s.cancelled_at IS NULL AND s.fire_on <= $1 AND d.status = 'open'
         ORDER BY s.fire_on, s.seq
         LIMIT $2
         FOR UPDATE OF s SKIP LOCKED",
        today,
        limit
    )
    .fetch_all(conn)
    .await
}

/// Of `deadline_ids`, the latest step of each that is due on or before `today`, fired or not (the
/// current state of a deadline whose steps are due at once): an earlier step is superseded by it,
/// even when another replica already fired it.
pub async fn latest_due(
    conn: &mut PgConnection,
    deadline_ids: &[Uuid],
    today: NaiveDate,
) -> Result<std::collections::HashMap<Uuid, String>, sqlx::Error> {
    let rows: Vec<(Uuid, String)> = sqlx::query_as(
        "SELECT DISTINCT ON (deadline_id) deadline_id, step FROM deadline_steps
         WHERE deadline_id = ANY($1) AND cancelled_at IS NULL AND fire_on <= $2
         ORDER BY deadline_id, seq DESC",
    )
    .bind(deadline_ids)
    .bind(today)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows.into_iter().collect())
}

/// Never claim these steps again (superseded by a later step due at once, or inconsistent: no due
/// date behind a dated step), with one statement.
pub async fn cancel_steps(
    conn: &mut PgConnection,
    deadline_ids: &[Uuid],
    steps: &[String],
) -> Result<(), sqlx::Error> {
    if deadline_ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE deadline_steps s SET cancelled_at = now()
         FROM UNNEST($1::uuid[], $2::text[]) AS u(deadline_id, step)
         WHERE s.deadline_id = u.deadline_id AND s.step = u.step",
    )
    .bind(deadline_ids)
    .bind(steps)
    .execute(conn)
    .await?;
    Ok(())
}

/// The fired steps of one batch: their step events go to the outbox and the steps are marked fired,
/// each with one statement.
#[derive(Debug, Default)]
pub struct FiredSteps {
    pub deadline_ids: Vec<Uuid>,
    pub steps: Vec<String>,
    pub event_ids: Vec<Uuid>,
    pub case_ids: Vec<Uuid>,
    pub routing_keys: Vec<String>,
    pub envelopes: Vec<serde_json::Value>,
}

pub async fn record_fired(
    conn: &mut PgConnection,
    fired: &FiredSteps,
    today: NaiveDate,
    replica: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO outbox (event_id, case_id, routing_key, envelope)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[])",
    )
    .bind(&fired.event_ids)
    .bind(&fired.case_ids)
    .bind(&fired.routing_keys)
    .bind(&fired.envelopes)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE deadline_steps s SET fired_at = now(), fired_for = $1, fired_by = $2, event_id = u.event_id
         FROM UNNEST($3::uuid[], $4::text[], $5::uuid[]) AS u(deadline_id, step, event_id)
         WHERE s.deadline_id = u.deadline_id AND s.step = u.step",
    )
    .bind(today)
    .bind(replica)
    .bind(&fired.deadline_ids)
    .bind(&fired.steps)
    .bind(&fired.event_ids)
    .execute(conn)
    .await?;
    Ok(())
}
