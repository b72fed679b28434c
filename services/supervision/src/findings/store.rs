//! SQL of the findings (考核发现): the once-per-subject insert, the list, and the sweeps' queries.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::findings::domain::{FindingFilter, NewFinding};

/// Insert several findings with one statement (each once per question and subject); the ids of
/// those that were new.
pub async fn insert_many(
    conn: &mut PgConnection,
    ids: &[Uuid],
    findings: &[&NewFinding],
) -> Result<std::collections::HashSet<Uuid>, sqlx::Error> {
    if findings.is_empty() {
        return Ok(Default::default());
    }
    let inserted: Vec<Uuid> = sqlx::query_scalar(
        "INSERT INTO findings (id, question, case_id, unit_code, subject_ref, detail)
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::text[])
         ON CONFLICT (question, subject_ref) DO NOTHING RETURNING id",
    )
    .bind(ids)
    .bind(findings.iter().map(|f| f.question.as_str()).collect::<Vec<_>>())
    .bind(findings.iter().map(|f| f.case_id).collect::<Vec<_>>())
    .bind(findings.iter().map(|f| f.unit.as_str()).collect::<Vec<_>>())
    .bind(findings.iter().map(|f| f.subject_ref.as_str()).collect::<Vec<_>>())
    .bind(findings.iter().map(|f| f.detail.as_str()).collect::<Vec<_>>())
    .fetch_all(conn)
    .await?;
    Ok(inserted.into_iter().collect())
}

/// A finding as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FindingRow {
    pub id: Uuid,
    pub question: String,
    pub case_id: Option<Uuid>,
    pub unit_code: String,
    pub subject_ref: String,
    pub detail: String,
    pub raised_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

/// Newest first, keyset-paginated by id (UUIDv7, time-ordered).
pub async fn list(pool: &PgPool, f: &FindingFilter) -> Result<Vec<FindingRow>, sqlx::Error> {
    sqlx::query_as!(
        FindingRow,
        "SELECT id, question, case_id, unit_code, subject_ref, detail, raised_at, resolved_at FROM findings
         WHERE ($1::text IS NULL OR unit_code = $1)
           AND ($2::text IS NULL OR question = $2)
           AND ($3::date IS NULL OR raised_at >= ($3::date::timestamp AT TIME ZONE 'Asia/Shanghai'))
           AND ($4::date IS NULL OR raised_at < (($4::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'))
           AND ($5::uuid IS NULL OR id < $5)
         ORDER BY id DESC LIMIT $6",
        f.unit.as_deref(),
        f.question.map(|q| q.as_str()),
        f.from,
        f.to,
        f.after,
        f.limit
    )
    .fetch_all(pool)
    .await
}

/// Resolve the open 应受理不受理 and 应办理不办理 findings of deadlines that were met.
pub async fn resolve_deadline_findings(
    conn: &mut PgConnection,
    subject_refs: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE findings SET resolved_at = now()
         WHERE subject_ref = ANY($1) AND question IN ('unaccepted', 'unhandled') AND resolved_at IS NULL",
        subject_refs
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A logged visit past its registration deadline, not registered and without its finding.
#[derive(Debug, sqlx::FromRow)]
pub struct UnregisteredVisitRow {
    pub visit_id: Uuid,
    pub unit_code: String,
    pub arrived_at: DateTime<Utc>,
    pub register_by: NaiveDate,
}

pub async fn unregistered_visits(
    conn: &mut PgConnection,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<UnregisteredVisitRow>, sqlx::Error> {
    sqlx::query_as!(
        UnregisteredVisitRow,
        "SELECT v.visit_id, v.unit_code AS \"unit_code!\", v.arrived_at AS \"arrived_at!\", v.register_by AS \"register_by!\" FROM visits v
         WHERE v.registered_case IS NULL AND v.unit_code IS NOT NULL AND v.register_by < $1
           AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.question = 'unregistered_visit'
                           AND f.subject_ref = 'visit:' || v.visit_id::text)
         LIMIT $2",
        today,
        limit
    )
    .fetch_all(conn)
    .await
}

/// A deadline long overdue past the grace period with no accountability case and no finding.
#[derive(Debug, sqlx::FromRow)]
pub struct UnaccountedRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    pub unit_code: String,
    pub kind: String,
    pub fire_on: NaiveDate,
}

pub async fn unaccounted_deadlines(
    conn: &mut PgConnection,
    today: NaiveDate,
    grace_days: i32,
    limit: i64,
) -> Result<Vec<UnaccountedRow>, sqlx::Error> {
    // The grace period runs from when the step was raised, not from when it would have been: a
    // deadline entered late (补录) gets its grace too.
    sqlx::query_as(
        "SELECT d.id, d.case_id, d.case_number, d.unit_code, d.kind, s.fire_on
         FROM deadline_steps s JOIN deadlines d ON d.id = s.deadline_id
         WHERE s.step = 'long_overdue' AND s.fired_at IS NOT NULL
           AND greatest(s.fire_on, s.fired_for) + $2::int < $1
           AND NOT EXISTS (SELECT 1 FROM accountability_cases a WHERE a.case_id = d.case_id)
           AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.question = 'unaccounted'
                           AND f.subject_ref = 'deadline:' || d.id::text)
         LIMIT $3",
    )
    .bind(today)
    .bind(grace_days)
    .bind(limit)
    .fetch_all(conn)
    .await
}

/// A misconduct report with no accountability case in time and no finding.
#[derive(Debug, sqlx::FromRow)]
pub struct UninvestigatedRow {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub unit_code: String,
    pub reported_on: NaiveDate,
}

pub async fn uninvestigated_reports(
    conn: &mut PgConnection,
    today: NaiveDate,
    investigation_days: i32,
    limit: i64,
) -> Result<Vec<UninvestigatedRow>, sqlx::Error> {
    sqlx::query_as!(
        UninvestigatedRow,
        "SELECT m.id, m.case_id, m.unit_code, (m.reported_at AT TIME ZONE 'Asia/Shanghai')::date AS \"reported_on!\"
         FROM misconduct_reports m
         WHERE m.accountability_id IS NULL
           AND (m.reported_at AT TIME ZONE 'Asia/Shanghai')::date + $2::int < $1
           AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.question = 'uninvestigated'
                           AND f.subject_ref = 'misconduct:' || m.id::text)
         LIMIT $3",
        today,
        investigation_days,
        limit
    )
    .fetch_all(conn)
    .await
}
