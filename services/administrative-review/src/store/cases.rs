//! The handled cases (办理案件): start, load under lock with the version check, move along the
//! ladder, the queue, and which units may see a case.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::{
    ladder::{Level, Position, Step},
    ReviewError,
};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CaseRow {
    pub case_id: Uuid,
    pub case_number: String,
    pub unit_code: String,
    pub origin: String,
    pub assigned_by_unit: Option<String>,
    pub upstream_reference: Option<String>,
    pub started_on: NaiveDate,
    pub level: String,
    pub step: String,
    pub level_unit: String,
    pub closure_kind: Option<String>,
    pub closure_ground: Option<String>,
    pub closure_reason: Option<String>,
    pub closed_on: Option<NaiveDate>,
    pub final_level: Option<String>,
    pub final_opinion_id: Option<Uuid>,
    pub finalized_on: Option<NaiveDate>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl CaseRow {
    pub fn position(&self) -> Result<Position, ReviewError> {
        Position::new(&self.level, &self.step).ok_or_else(|| {
            ReviewError::not_allowed(format!("未知的案件状态 {}/{}", self.level, self.step))
        })
    }

    pub fn current_level(&self) -> Level {
        Level::parse(&self.level).unwrap_or(Level::Handling)
    }
}

const COLUMNS: &str =
    "case_id, case_number, unit_code, origin, assigned_by_unit, upstream_reference, started_on,
    level, step, level_unit, closure_kind, closure_ground, closure_reason, closed_on, final_level,
    final_opinion_id, finalized_on, version, created_at, updated_at";

/// A case to start handling.
#[derive(Debug)]
pub struct NewCase<'a> {
    pub case_id: Uuid,
    pub case_number: &'a str,
    pub unit: &'a str,
    pub origin: &'a str,
    pub assigned_by_unit: Option<&'a str>,
    pub upstream_reference: Option<&'a str>,
    pub started_on: NaiveDate,
}

/// Start handling (idempotent: a case already handled stays as it is). True when started now.
pub async fn start(conn: &mut PgConnection, c: &NewCase<'_>) -> Result<bool, sqlx::Error> {
    let started = sqlx::query(
        "INSERT INTO handling_cases (case_id, case_number, unit_code, origin, assigned_by_unit, upstream_reference,
                                     started_on, level_unit)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $3) ON CONFLICT (case_id) DO NOTHING",
    )
    .bind(c.case_id)
    .bind(c.case_number)
    .bind(c.unit)
    .bind(c.origin)
    .bind(c.assigned_by_unit)
    .bind(c.upstream_reference)
    .bind(c.started_on)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if started {
        grant(conn, c.case_id, c.unit).await?;
    }
    Ok(started)
}

/// Hand a case still in handling (no opinion, not closed) on to another unit (受理后改由其他单位
/// 办理): it becomes that unit's case and the previous unit no longer sees it. Returns the previous
/// unit, or None when the case is not in that state or already with `c.unit`.
pub async fn hand_on(
    conn: &mut PgConnection,
    c: &NewCase<'_>,
) -> Result<Option<String>, sqlx::Error> {
    let previous: Option<String> = sqlx::query_scalar(
        "UPDATE handling_cases h SET unit_code = $2, level_unit = $2, origin = $3, assigned_by_unit = $4,
                started_on = $5, version = h.version + 1, updated_at = now()
         FROM handling_cases old
         WHERE h.case_id = $1 AND old.case_id = h.case_id AND h.level = 'handling'
           AND h.step = 'in_progress' AND h.closure_kind IS NULL AND h.unit_code <> $2
           AND NOT EXISTS (SELECT 1 FROM opinions o WHERE o.case_id = h.case_id AND o.status = 'issued')
         RETURNING old.unit_code",
    )
    .bind(c.case_id)
    .bind(c.unit)
    .bind(c.origin)
    .bind(c.assigned_by_unit)
    .bind(c.started_on)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(old) = &previous {
        sqlx::query("DELETE FROM case_units WHERE case_id = $1 AND unit_code = $2")
            .bind(c.case_id)
            .bind(old)
            .execute(&mut *conn)
            .await?;
        grant(conn, c.case_id, c.unit).await?;
    }
    Ok(previous)
}

/// Let `unit` see the case (the reviewing and re-reviewing organs).
pub async fn grant(conn: &mut PgConnection, case_id: Uuid, unit: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO case_units (case_id, unit_code) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(case_id)
    .bind(unit)
    .execute(conn)
    .await?;
    Ok(())
}

/// The units that may see a case.
pub async fn units_of(conn: &mut PgConnection, case_id: Uuid) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT unit_code FROM case_units WHERE case_id = $1 ORDER BY unit_code")
        .bind(case_id)
        .fetch_all(conn)
        .await
}

/// Load a case locked for the rest of the transaction (events, which need no version).
pub async fn lock(conn: &mut PgConnection, case_id: Uuid) -> Result<Option<CaseRow>, sqlx::Error> {
    sqlx::query_as::<_, CaseRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM handling_cases WHERE case_id = $1 FOR UPDATE"
    )))
    .bind(case_id)
    .fetch_optional(conn)
    .await
}

/// A case locked with the units that may see it.
#[derive(sqlx::FromRow)]
struct LockedCaseRow {
    #[sqlx(flatten)]
    case: CaseRow,
    units: Vec<String>,
}

/// Which case to lock for a change by a person.
#[derive(Debug, Clone, Copy)]
pub enum CaseOf {
    /// The case itself.
    Case(Uuid),
    /// The case an opinion (意见书) belongs to.
    Opinion(Uuid),
}

/// Load a case locked, with the units that may see it, in one statement.
async fn lock_with_units(
    conn: &mut PgConnection,
    of: CaseOf,
) -> Result<Option<LockedCaseRow>, sqlx::Error> {
    let (filter, id) = match of {
        CaseOf::Case(id) => ("h.case_id = $1", id),
        CaseOf::Opinion(id) => (
            "h.case_id = (SELECT o.case_id FROM opinions o WHERE o.id = $1)",
            id,
        ),
    };
    sqlx::query_as::<_, LockedCaseRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS},
                ARRAY(SELECT u.unit_code FROM case_units u WHERE u.case_id = h.case_id ORDER BY u.unit_code) AS units
         FROM handling_cases h WHERE {filter} FOR UPDATE OF h"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Load a case for a change by a person: locked, visible to `can_see`'s units, and at the version
/// the caller read (else [`ReviewError::VersionConflict`] with the current one).
pub async fn lock_at_version(
    conn: &mut PgConnection,
    case_id: Uuid,
    version: i32,
    can_see: impl Fn(&[String]) -> bool,
) -> Result<CaseRow, ReviewError> {
    lock_for_change(conn, CaseOf::Case(case_id), version, can_see).await
}

/// [`lock_at_version`] for the case `of` names (the case of an opinion, read in the same
/// statement).
pub async fn lock_for_change(
    conn: &mut PgConnection,
    of: CaseOf,
    version: i32,
    can_see: impl Fn(&[String]) -> bool,
) -> Result<CaseRow, ReviewError> {
    let locked = lock_with_units(conn, of)
        .await?
        .ok_or(ReviewError::CaseHidden)?;
    if !can_see(&locked.units) {
        return Err(ReviewError::CaseHidden);
    }
    if locked.case.version != version {
        return Err(ReviewError::VersionConflict {
            current: locked.case.version,
        });
    }
    Ok(locked.case)
}

/// Bump the version (every change of the case or of what belongs to it). Returns the new one.
pub async fn touch(conn: &mut PgConnection, case_id: Uuid) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE handling_cases SET version = version + 1, updated_at = now() WHERE case_id = $1 RETURNING version",
    )
    .bind(case_id)
    .fetch_one(conn)
    .await
}

/// Move the case to `position` (with the organ now responsible for the level).
pub async fn move_to(
    conn: &mut PgConnection,
    case_id: Uuid,
    position: Position,
    level_unit: &str,
) -> Result<i32, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE handling_cases SET level = $2, step = $3, level_unit = $4, version = version + 1, updated_at = now()
         WHERE case_id = $1 RETURNING version",
    )
    .bind(case_id)
    .bind(position.level.as_str())
    .bind(position.step.as_str())
    .bind(level_unit)
    .fetch_one(conn)
    .await
}

/// Record the handling's closure (办结) and, when nothing is left to contest, close the case.
pub async fn record_closure(
    conn: &mut PgConnection,
    case_id: Uuid,
    kind: &str,
    ground: &str,
    reason: &str,
    on: NaiveDate,
    close_case: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE handling_cases SET closure_kind = $2, closure_ground = $3, closure_reason = $4, closed_on = $5,
                step = CASE WHEN $6 THEN 'closed' ELSE step END, version = version + 1, updated_at = now()
         WHERE case_id = $1 AND closure_kind IS NULL",
    )
    .bind(case_id)
    .bind(kind)
    .bind(ground)
    .bind(reason)
    .bind(on)
    .bind(close_case)
    .execute(conn)
    .await?;
    Ok(())
}

/// The case becomes final (终结, art 36).
pub async fn finalize(
    conn: &mut PgConnection,
    case_id: Uuid,
    level: Level,
    opinion_id: Option<Uuid>,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE handling_cases SET step = $2, final_level = $3, final_opinion_id = $4, finalized_on = $5,
                version = version + 1, updated_at = now()
         WHERE case_id = $1",
    )
    .bind(case_id)
    .bind(Step::Final.as_str())
    .bind(level.as_str())
    .bind(opinion_id)
    .bind(on)
    .execute(conn)
    .await?;
    Ok(())
}

/// One case, if `can_see` allows its units.
pub async fn find(
    pool: &PgPool,
    case_id: Uuid,
    can_see: impl Fn(&[String]) -> bool,
) -> Result<Option<(CaseRow, Vec<String>)>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    let Some(case) = sqlx::query_as::<_, CaseRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM handling_cases WHERE case_id = $1"
    )))
    .bind(case_id)
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let units = units_of(&mut conn, case_id).await?;
    Ok(can_see(&units).then_some((case, units)))
}

/// A row of the queue (待办): the case and the due date of its current duty.
#[derive(Debug, sqlx::FromRow)]
pub struct QueueRow {
    pub case_id: Uuid,
    pub case_number: String,
    pub level: String,
    pub step: String,
    pub level_unit: String,
    pub version: i32,
    pub due_on: Option<NaiveDate>,
    pub explanation: Option<serde_json::Value>,
    pub clock_kind: Option<String>,
}

/// The live cases whose current level is with `unit` (all units when `None`), the earliest due first
/// (unknown due dates last). The due date is that of the level's duty: handling, review or re-review
/// while in progress, the delivery clock once the opinion is issued.
pub async fn queue(
    pool: &PgPool,
    unit: Option<&str>,
    limit: i64,
) -> Result<Vec<QueueRow>, sqlx::Error> {
    sqlx::query_as::<_, QueueRow>(
        "SELECT c.case_id, c.case_number, c.level, c.step, c.level_unit, c.version, k.due_on, k.explanation,
                k.kind AS clock_kind
         FROM handling_cases c
         LEFT JOIN clocks k ON k.case_id = c.case_id AND k.kind =
              CASE WHEN c.step = 'issued' THEN 'opinion_delivery' ELSE c.level END
         WHERE c.step IN ('in_progress', 'issued') AND ($1::text IS NULL OR c.level_unit = $1)
         ORDER BY k.due_on ASC NULLS LAST, c.created_at
         LIMIT $2",
    )
    .bind(unit)
    .bind(limit)
    .fetch_all(pool)
    .await
}
