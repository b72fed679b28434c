//! Published calendar years (节假日安排更新): the `calendar_years` table every replica reads, and
//! the re-projection of the live deadlines a newly loaded year affects.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_calendar::YearArrangement;
use xinfang_contracts::Envelope;
use xinfang_messaging::UnitOfWork;
use xinfang_platform::audit::{AuditEntry, AuditExt};

use crate::{
    deadlines::{
        domain::{
            calendar::{current, merge_years, replace, Engine, SharedCalendar},
            deadline::reprojection_note,
            projection::projected,
        },
        store::{deadlines, visits},
    },
    domain::error::SupervisionError,
};

/// Deadlines re-projected per transaction.
const REPROJECT_BATCH: i64 = 500;

#[derive(Debug, sqlx::FromRow)]
struct StoredYearRow {
    year: i32,
    arrangement: serde_json::Value,
    loaded_at: DateTime<Utc>,
}

/// The published years; an arrangement that no longer parses is skipped with an error in the log.
pub async fn stored(pool: &PgPool) -> Result<Vec<(YearArrangement, DateTime<Utc>)>, sqlx::Error> {
    let rows = sqlx::query_as!(
        StoredYearRow,
        "SELECT year, arrangement, loaded_at FROM calendar_years ORDER BY year"
    )
    .fetch_all(pool)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        match YearArrangement::from_json_str(&r.arrangement.to_string()) {
            Ok(a) => out.push((a, r.loaded_at)),
            Err(e) => {
                tracing::error!(year = r.year, error = %e.message_zh(), "stored calendar year is invalid; skipped")
            }
        }
    }
    Ok(out)
}

/// Add the published years of the table to the loaded calendar (at start-up). Returns the years
/// that changed.
pub async fn load_stored_years(
    pool: &PgPool,
    calendar: &SharedCalendar,
) -> anyhow::Result<Vec<i32>> {
    let mut next = (*current(calendar)).clone();
    let years = stored(pool).await?;
    let changed =
        merge_years(&mut next, years.iter().map(|(a, _)| a)).map_err(anyhow::Error::msg)?;
    if !changed.is_empty() {
        replace(calendar, next);
        tracing::info!(years = ?changed, "published calendar years loaded");
    }
    Ok(changed)
}

/// Where a loaded year came from.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LoadedYear {
    pub year: i32,
    /// 通知文号
    pub source: String,
    /// `file` (deploy/calendars) or `published` (posted at run time)
    pub origin: String,
    pub loaded_at: Option<DateTime<Utc>>,
    pub holidays: usize,
    pub make_up_working_days: usize,
}

/// Result of publishing a year.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Published {
    pub year: i32,
    /// false when the same arrangement was already loaded
    pub changed: bool,
    /// deadlines whose due date changed (重新计算的期限数)
    pub reprojected: u64,
    pub loaded_years: Vec<i32>,
}

/// Publish a year (validated by the caller): store it for every replica, load it here, re-project.
#[tracing::instrument(skip_all, fields(year = arrangement.year))]
pub async fn publish(
    pool: &PgPool,
    engine: &Engine,
    arrangement: YearArrangement,
    actor: &xinfang_platform::Actor,
) -> Result<Published, SupervisionError> {
    let year = arrangement.year;
    let loaded_calendar = current(&engine.calendar);
    let mut uow = UnitOfWork::begin_without_waker(pool).await?;
    let stored: Option<serde_json::Value> = sqlx::query_scalar!(
        "SELECT arrangement FROM calendar_years WHERE year = $1 FOR UPDATE",
        year
    )
    .fetch_optional(uow.conn())
    .await?;
    let same_as_stored = stored
        .as_ref()
        .and_then(|v| serde_json::from_value::<YearArrangement>(v.clone()).ok())
        .map(|a| a == arrangement);
    let loaded = loaded_calendar.arrangement(year);
    match (same_as_stored, loaded) {
        (Some(false), _) => return Err(SupervisionError::CalendarConflict { year }),
        (None, Some(l)) if l != &arrangement => {
            return Err(SupervisionError::CalendarConflict { year })
        }
        _ => {}
    }
    let changed = stored.is_none() && loaded.is_none();
    if stored.is_none() {
        sqlx::query!(
        "INSERT INTO calendar_years (year, arrangement, source, loaded_by) VALUES ($1, $2, $3, $4)",
        year,
        serde_json::to_value(&arrangement).unwrap_or_default(),
        &arrangement.source,
        &actor.user_id
    )
        .execute(uow.conn())
        .await?;
        uow.audit(AuditEntry::by(
            actor,
            "calendar.year.publish",
            None,
            serde_json::json!({ "year": year, "source": arrangement.source }),
        ))
        .await?;
    }
    uow.commit().await?;
    let mut reprojected = 0;
    if loaded.is_none() {
        let mut next = (*loaded_calendar).clone();
        next.add_year(arrangement)
            .map_err(|e| SupervisionError::from(sqlx::Error::Protocol(e.message_zh())))?;
        replace(&engine.calendar, next);
        reprojected = reproject(pool, engine, &[year]).await?;
    }
    tracing::info!(year, changed, reprojected, "calendar year published");
    Ok(Published {
        year,
        changed,
        reprojected,
        loaded_years: current(&engine.calendar).years(),
    })
}

#[derive(Debug, sqlx::FromRow)]
struct PublishedYearRow {
    year: i32,
    loaded_at: DateTime<Utc>,
}

/// The loaded years with their origin.
pub async fn loaded_years(pool: &PgPool, engine: &Engine) -> Result<Vec<LoadedYear>, sqlx::Error> {
    let cal = current(&engine.calendar);
    let published = sqlx::query_as!(
        PublishedYearRow,
        "SELECT year, loaded_at FROM calendar_years"
    )
    .fetch_all(pool)
    .await?;
    Ok(cal
        .years()
        .into_iter()
        .filter_map(|y| {
            let a = cal.arrangement(y)?;
            let p = published.iter().find(|p| p.year == y);
            Some(LoadedYear {
                year: y,
                source: a.source.clone(),
                origin: if p.is_some() { "published" } else { "file" }.into(),
                loaded_at: p.map(|p| p.loaded_at),
                holidays: a.holidays.len(),
                make_up_working_days: a.make_up_working_days.len(),
            })
        })
        .collect())
}

/// Re-project every live deadline whose computation touched `years` or that had no due date, move
/// its timers, and record the re-projection in its explanation; also date the visits waiting for a
/// registration deadline. Idempotent: a deadline whose due date does not change is left alone, so
/// replicas doing it one after the other change things once. Returns the deadlines changed.
#[tracing::instrument(skip(pool, engine))]
pub async fn reproject(pool: &PgPool, engine: &Engine, years: &[i32]) -> Result<u64, sqlx::Error> {
    let (Some(&min), Some(&max)) = (years.iter().min(), years.iter().max()) else {
        return Ok(0);
    };
    let from = NaiveDate::from_ymd_opt(min, 1, 1).unwrap_or(NaiveDate::MIN);
    let to = NaiveDate::from_ymd_opt(max, 12, 31).unwrap_or(NaiveDate::MAX);
    let calendar = current(&engine.calendar);
    let today = engine.today();
    let mut after = Uuid::nil();
    let mut changed = 0;
    loop {
        let mut tx = pool.begin().await?;
        let batch =
            deadlines::lock_live_touching(&mut tx, after, from, to, REPROJECT_BATCH).await?;
        let n = batch.len();
        for d in batch {
            after = d.id;
            let (due, _) = d.project(&calendar);
            // A provisional (暂定) date confirmed by the published year is re-saved too, so that
            // its explanation no longer says 暂定.
            let was_provisional = d.explanation.iter().any(|l| l.starts_with("暂定"));
            if due == d.due_date && !was_provisional {
                continue;
            }
            let note = reprojection_note(today, years, d.due_date, due);
            let (due, explanation) = deadlines::save_projection(
                &mut tx,
                &calendar,
                &engine.limits.engine,
                &d,
                Some(note),
            )
            .await?;
            // Administrative review learns the new due dates of its clocks.
            if let Some(event) = projected(&d, due, &explanation) {
                let envelope = Envelope::new(&event, Some(d.case_id), None, None);
                UnitOfWork::immediate(&mut tx).enqueue(&envelope).await?;
            }
            changed += 1;
        }
        tx.commit().await?;
        if (n as i64) < REPROJECT_BATCH {
            break;
        }
    }
    // Visits logged on a day whose registration deadline was outside the calendar.
    for v in visits::undated(pool).await? {
        if let Ok(by) = calendar.add_working_days(
            xinfang_platform::time::china_date(v.arrived_at),
            engine.limits.engine.visit_registration_working_days,
        ) {
            visits::set_register_by(pool, v.visit_id, by).await?;
        }
    }
    Ok(changed)
}
