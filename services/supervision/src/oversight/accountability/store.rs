//! SQL of accountability cases, their people and evidence, and misconduct reports.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// An accountability case as stored.
#[derive(Debug, sqlx::FromRow)]
pub struct AccountabilityRow {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub unit_code: String,
    pub ground: String,
    pub article: String,
    pub summary: String,
    pub status: String,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub outcome: Option<String>,
    pub outcome_detail: Option<String>,
    pub concluded_on: Option<NaiveDate>,
}

#[derive(Debug, sqlx::FromRow)]
pub struct PersonRow {
    pub id: Uuid,
    pub name: String,
    pub position: String,
    pub unit_code: String,
    pub responsibility: String,
}

#[derive(Debug, sqlx::FromRow)]
pub struct EvidenceRow {
    pub id: Uuid,
    pub event_id: Option<Uuid>,
    pub audit_seq: Option<i64>,
    pub note: String,
}

/// An accountability case with its people, evidence and the misconduct reports it investigates.
#[derive(Debug)]
pub struct AccountabilityRecord {
    pub case: AccountabilityRow,
    pub people: Vec<PersonRow>,
    pub evidence: Vec<EvidenceRow>,
    pub misconduct_reports: Vec<Uuid>,
}

pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<AccountabilityRecord>, sqlx::Error> {
    let Some(case) = sqlx::query_as!(
        AccountabilityRow,
        "SELECT id, case_id, unit_code, ground, article, summary, status, opened_by, opened_at, outcome, outcome_detail, concluded_on
         FROM accountability_cases WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let people = sqlx::query_as!(
        PersonRow,
        "SELECT id, name, position, unit_code, responsibility FROM accountability_people WHERE accountability_id = $1 ORDER BY id",
        id
    )
    .fetch_all(pool)
    .await?;
    let evidence = sqlx::query_as!(
        EvidenceRow,
        "SELECT id, event_id, audit_seq, note FROM accountability_evidence WHERE accountability_id = $1 ORDER BY id",
        id
    )
    .fetch_all(pool)
    .await?;
    let misconduct_reports: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT id FROM misconduct_reports WHERE accountability_id = $1 ORDER BY id",
        id
    )
    .fetch_all(pool)
    .await?;
    Ok(Some(AccountabilityRecord {
        case,
        people,
        evidence,
        misconduct_reports,
    }))
}

/// A new accountability case (立案追责).
#[derive(Debug)]
pub struct NewAccountability<'a> {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub unit: &'a str,
    pub ground: &'a str,
    pub opened_by: &'a str,
    pub case_number: Option<&'a str>,
    pub article: &'a str,
    pub summary: &'a str,
    pub opened_unit: &'a str,
}

pub async fn open(conn: &mut PgConnection, a: &NewAccountability<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO accountability_cases (id, case_id, unit_code, ground, status, opened_by, case_number, article, summary, opened_unit)
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9)",
        a.id,
        a.case_id,
        a.unit,
        a.ground,
        a.opened_by,
        a.case_number,
        a.article,
        a.summary,
        a.opened_unit
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Link a misconduct report not yet investigated to an accountability case; false when none was
/// linked.
pub async fn link_misconduct(
    conn: &mut PgConnection,
    report_id: Uuid,
    accountability_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let linked = sqlx::query!(
        "UPDATE misconduct_reports SET accountability_id = $2 WHERE id = $1 AND accountability_id IS NULL",
        report_id,
        accountability_id
    )
    .execute(conn)
    .await?
    .rows_affected();
    Ok(linked == 1)
}

pub async fn misconduct_exists(conn: &mut PgConnection, id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM misconduct_reports WHERE id = $1) AS \"exists!\"",
        id
    )
    .fetch_one(conn)
    .await
}

/// The status and case of an accountability case, locked.
#[derive(Debug, sqlx::FromRow)]
pub struct AccountabilityStateRow {
    pub status: String,
    pub case_id: Option<Uuid>,
}

pub async fn lock_state(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<AccountabilityStateRow>, sqlx::Error> {
    sqlx::query_as!(
        AccountabilityStateRow,
        "SELECT status, case_id FROM accountability_cases WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await
}

/// A person responsible (责任人员).
#[derive(Debug)]
pub struct NewPerson<'a> {
    pub accountability_id: Uuid,
    pub name: &'a str,
    pub position: &'a str,
    pub unit: &'a str,
    pub responsibility: &'a str,
}

pub async fn add_person(conn: &mut PgConnection, p: &NewPerson<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO accountability_people (id, accountability_id, name, position, unit_code, responsibility) VALUES ($1, $2, $3, $4, $5, $6)",
        Uuid::now_v7(),
        p.accountability_id,
        p.name,
        p.position,
        p.unit,
        p.responsibility
    )
        .execute(conn)
        .await?;
    Ok(())
}

/// Whether `event_id` is on the timeline (of `case_id`, when given).
pub async fn event_on_timeline(
    conn: &mut PgConnection,
    event_id: Uuid,
    case_id: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM case_events WHERE event_id = $1 AND ($2::uuid IS NULL OR case_id = $2)) AS \"exists!\"",
        event_id,
        case_id
    )
        .fetch_one(conn)
        .await
}

/// Whether audit record `seq` exists (about `case_id`, when given).
pub async fn audit_record_of(
    conn: &mut PgConnection,
    seq: i64,
    case_id: Option<Uuid>,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT EXISTS (SELECT 1 FROM audit_log WHERE seq = $1 AND ($2::uuid IS NULL OR case_id = $2)) AS \"exists!\"",
        seq,
        case_id
    )
        .fetch_one(conn)
        .await
}

/// Evidence from the case history (证据).
#[derive(Debug)]
pub struct NewEvidence<'a> {
    pub accountability_id: Uuid,
    pub event_id: Option<Uuid>,
    pub audit_seq: Option<i64>,
    pub note: &'a str,
    pub added_by: &'a str,
}

pub async fn add_evidence(conn: &mut PgConnection, e: &NewEvidence<'_>) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO accountability_evidence (id, accountability_id, event_id, audit_seq, note, added_by) VALUES ($1, $2, $3, $4, $5, $6)",
        Uuid::now_v7(),
        e.accountability_id,
        e.event_id,
        e.audit_seq,
        e.note,
        e.added_by
    )
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn conclude(
    conn: &mut PgConnection,
    id: Uuid,
    outcome: &str,
    detail: &str,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE accountability_cases SET status = 'concluded', outcome = $2, outcome_detail = $3, concluded_on = $4 WHERE id = $1",
        id,
        outcome,
        detail,
        on
    )
        .execute(conn)
        .await?;
    Ok(())
}

/// An accountability case as listed.
#[derive(Debug, sqlx::FromRow)]
pub struct AccountabilitySummaryRow {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub unit_code: String,
    pub ground: String,
    pub article: String,
    pub status: String,
    pub outcome: Option<String>,
}

pub async fn list(
    pool: &PgPool,
    after: Uuid,
    limit: i64,
) -> Result<Vec<AccountabilitySummaryRow>, sqlx::Error> {
    sqlx::query_as!(
        AccountabilitySummaryRow,
        "SELECT id, case_id, unit_code, ground, article, status, outcome FROM accountability_cases WHERE id > $1 ORDER BY id LIMIT $2",
        after,
        limit
    )
    .fetch_all(pool)
    .await
}

/// A misconduct report (反映工作人员问题).
#[derive(Debug)]
pub struct NewMisconductReport<'a> {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub unit: &'a str,
    pub description: &'a str,
    pub reported_by: &'a str,
    pub reporter_unit: &'a str,
    pub staff_ref: &'a str,
}

/// Record a report; returns when it was reported.
pub async fn report_misconduct(
    conn: &mut PgConnection,
    m: &NewMisconductReport<'_>,
) -> Result<DateTime<Utc>, sqlx::Error> {
    sqlx::query_scalar!(
        "INSERT INTO misconduct_reports (id, case_id, unit_code, description, reported_by, reporter_unit, staff_ref)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING reported_at",
        m.id,
        m.case_id,
        m.unit,
        m.description,
        m.reported_by,
        m.reporter_unit,
        m.staff_ref
    )
    .fetch_one(conn)
    .await
}

/// A misconduct report as listed.
#[derive(Debug, sqlx::FromRow)]
pub struct MisconductRow {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub unit_code: String,
    pub staff_ref: String,
    pub description: String,
    pub reported_by: String,
    pub reported_at: DateTime<Utc>,
    pub accountability_id: Option<Uuid>,
}

pub async fn list_misconduct(
    pool: &PgPool,
    after: Uuid,
    uninvestigated: bool,
    limit: i64,
) -> Result<Vec<MisconductRow>, sqlx::Error> {
    sqlx::query_as!(
        MisconductRow,
        "SELECT id, case_id, unit_code, staff_ref, description, reported_by, reported_at, accountability_id FROM misconduct_reports
         WHERE id > $1 AND (NOT $2 OR accountability_id IS NULL) ORDER BY id LIMIT $3",
        after,
        uninvestigated,
        limit
    )
    .fetch_all(pool)
    .await
}
