//! SQL of leader assignments (`leader_assignments`) and their actions (`leader_actions`).

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// A new assignment of a leader to a case.
#[derive(Debug)]
pub struct NewAssignment<'a> {
    pub id: Uuid,
    pub case_id: Uuid,
    pub leader_id: &'a str,
    pub leader_name: &'a str,
    pub assigned_by: &'a str,
    pub assigned_on: NaiveDate,
    pub note: &'a str,
}

/// Insert the assignment; false when the leader owns the case already.
pub async fn assign(conn: &mut PgConnection, a: &NewAssignment<'_>) -> Result<bool, sqlx::Error> {
    let inserted = sqlx::query!(
        "INSERT INTO leader_assignments (id, case_id, leader_id, leader_name, assigned_by, assigned_on, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        a.id,
        a.case_id,
        a.leader_id,
        a.leader_name,
        a.assigned_by,
        a.assigned_on,
        a.note
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// An assignment with its case's progress.
#[derive(Debug, sqlx::FromRow)]
pub struct AssignmentRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    pub leader_id: String,
    pub leader_name: String,
    pub assigned_on: NaiveDate,
    pub note: String,
    pub case_status: String,
    pub unit_code: String,
    pub actions: i64,
    pub last_action_on: Option<NaiveDate>,
}

pub async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<AssignmentRow>, sqlx::Error> {
    sqlx::query_as!(
        AssignmentRow,
        "SELECT a.id, a.case_id, f.case_number, a.leader_id, a.leader_name, a.assigned_on, a.note,
                f.status AS case_status, f.unit_code,
                (SELECT count(*) FROM leader_actions x WHERE x.assignment_id = a.id)::int8 AS \"actions!\",
                (SELECT max(acted_on) FROM leader_actions x WHERE x.assignment_id = a.id) AS last_action_on
         FROM leader_assignments a JOIN case_facts f ON f.case_id = a.case_id
         WHERE a.id = $1",
        id
    )
    .fetch_optional(conn)
    .await
}

/// Live assignments after `after` (by id), of one leader and one unit when given.
pub async fn list(
    pool: &PgPool,
    after: Uuid,
    leader: Option<&str>,
    unit: Option<&str>,
    limit: i64,
) -> Result<Vec<AssignmentRow>, sqlx::Error> {
    sqlx::query_as!(
        AssignmentRow,
        "SELECT a.id, a.case_id, f.case_number, a.leader_id, a.leader_name, a.assigned_on, a.note,
                f.status AS case_status, f.unit_code,
                (SELECT count(*) FROM leader_actions x WHERE x.assignment_id = a.id)::int8 AS \"actions!\",
                (SELECT max(acted_on) FROM leader_actions x WHERE x.assignment_id = a.id) AS last_action_on
         FROM leader_assignments a JOIN case_facts f ON f.case_id = a.case_id
         WHERE a.released_at IS NULL AND a.id > $1 AND ($2::text IS NULL OR a.leader_id = $2)
           AND ($3::text IS NULL OR f.unit_code = $3) ORDER BY a.id LIMIT $4",
        after,
        leader,
        unit,
        limit
    )
    .fetch_all(pool)
    .await
}

/// The case and leader of a live assignment.
#[derive(Debug, sqlx::FromRow)]
pub struct LiveAssignmentRow {
    pub case_id: Uuid,
    pub leader_id: String,
}

pub async fn live(pool: &PgPool, id: Uuid) -> Result<Option<LiveAssignmentRow>, sqlx::Error> {
    sqlx::query_as!(
        LiveAssignmentRow,
        "SELECT case_id, leader_id FROM leader_assignments WHERE id = $1 AND released_at IS NULL",
        id
    )
    .fetch_optional(pool)
    .await
}

/// What a leader did on a case.
#[derive(Debug)]
pub struct NewAction<'a> {
    pub id: Uuid,
    pub assignment_id: Uuid,
    pub action: &'a str,
    pub acted_on: NaiveDate,
    pub description: &'a str,
    pub recorded_by: &'a str,
}

pub async fn record_action(conn: &mut PgConnection, a: &NewAction<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO leader_actions (id, assignment_id, action, acted_on, description, recorded_by) VALUES ($1, $2, $3, $4, $5, $6)",
        a.id,
        a.assignment_id,
        a.action,
        a.acted_on,
        a.description,
        a.recorded_by
    )
    .execute(conn)
    .await?;
    Ok(())
}
