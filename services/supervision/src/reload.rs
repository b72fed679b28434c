//! Calendar reload (节假日安排更新): a newly published year is loaded without a code change, from the
//! `calendar_years` table (posted over HTTP, seen by every replica) or a new file in the calendar
//! directory, and the deadlines it affects are re-projected with their timers moved.

use chrono::NaiveDate;
use sqlx::{PgPool, Row};
use uuid::Uuid;
use xinfang_calendar::{HolidayCalendar, YearArrangement};
use xinfang_messaging::UnitOfWork;
use xinfang_platform::audit::AuditExt;

use crate::{
    clocks,
    deadlines::{self, StoredDeadline, STORED_COLUMNS},
    timers::Engine,
};

/// Where a loaded year came from.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct LoadedYear {
    pub year: i32,
    /// 通知文号
    pub source: String,
    /// `file` (deploy/calendars) or `published` (posted at run time)
    pub origin: String,
    pub loaded_at: Option<chrono::DateTime<chrono::Utc>>,
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

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error("{year} 年的节假日安排已加载且内容不同；如需更正，请修改日历文件并重启服务")]
    Conflict { year: i32 },
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

async fn stored_years(
    pool: &PgPool,
) -> Result<Vec<(YearArrangement, chrono::DateTime<chrono::Utc>)>, sqlx::Error> {
    let rows = sqlx::query("SELECT year, arrangement, loaded_at FROM calendar_years ORDER BY year")
        .fetch_all(pool)
        .await?;
    let mut out = Vec::new();
    for r in rows {
        let year: i32 = r.try_get("year")?;
        let json: serde_json::Value = r.try_get("arrangement")?;
        match YearArrangement::from_json_str(&json.to_string()) {
            Ok(a) => out.push((a, r.try_get("loaded_at")?)),
            Err(e) => {
                tracing::error!(year, error = %e.message_zh(), "stored calendar year is invalid; skipped")
            }
        }
    }
    Ok(out)
}

/// Add the published years of the table to the loaded calendar (at start-up). Returns the years
/// that changed.
pub async fn load_stored_years(
    pool: &PgPool,
    calendar: &deadlines::SharedCalendar,
) -> anyhow::Result<Vec<i32>> {
    let mut next = (*deadlines::current(calendar)).clone();
    let mut changed = Vec::new();
    for (a, _) in stored_years(pool).await? {
        if next.arrangement(a.year) != Some(&a) {
            changed.push(a.year);
            next.add_year(a)
                .map_err(|e| anyhow::anyhow!(e.message_zh()))?;
        }
    }
    if !changed.is_empty() {
        deadlines::replace(calendar, next);
        tracing::info!(years = ?changed, "published calendar years loaded");
    }
    Ok(changed)
}

/// Rescan the directory and the table; load what is new and re-project. Returns the new years.
pub async fn refresh(pool: &PgPool, engine: &Engine) -> anyhow::Result<Vec<i32>> {
    let current = deadlines::current(&engine.calendar);
    let mut next = (*current).clone();
    let mut changed = Vec::new();
    let stored = stored_years(pool).await?;
    match HolidayCalendar::load_dir(&engine.calendar_dir) {
        Ok(dir) => {
            for year in dir.years() {
                let published = stored.iter().any(|(a, _)| a.year == year);
                if let Some(a) = dir.arrangement(year) {
                    if !published && next.arrangement(year) != Some(a) {
                        changed.push(year);
                        next.add_year(a.clone())
                            .map_err(|e| anyhow::anyhow!(e.message_zh()))?;
                    }
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e.message_zh(), dir = %engine.calendar_dir.display(), "calendar directory rescan failed")
        }
    }
    for (a, _) in stored {
        if next.arrangement(a.year) != Some(&a) {
            changed.push(a.year);
            next.add_year(a)
                .map_err(|e| anyhow::anyhow!(e.message_zh()))?;
        }
    }
    if changed.is_empty() {
        return Ok(changed);
    }
    changed.sort_unstable();
    changed.dedup();
    deadlines::replace(&engine.calendar, next);
    let n = reproject(pool, engine, &changed).await?;
    tracing::info!(years = ?changed, reprojected = n, "calendar years loaded on rescan");
    Ok(changed)
}

/// Publish a year (validated by the caller): store it for every replica, load it here, re-project.
pub async fn publish(
    pool: &PgPool,
    engine: &Engine,
    arrangement: YearArrangement,
    actor: &xinfang_platform::Actor,
) -> Result<Published, PublishError> {
    let year = arrangement.year;
    let current = deadlines::current(&engine.calendar);
    let mut uow = UnitOfWork::begin_without_waker(pool).await?;
    let stored: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT arrangement FROM calendar_years WHERE year = $1 FOR UPDATE")
            .bind(year)
            .fetch_optional(uow.conn())
            .await?;
    let same_as_stored = stored
        .as_ref()
        .and_then(|v| serde_json::from_value::<YearArrangement>(v.clone()).ok())
        .map(|a| a == arrangement);
    let loaded = current.arrangement(year);
    match (same_as_stored, loaded) {
        (Some(false), _) => return Err(PublishError::Conflict { year }),
        (None, Some(l)) if l != &arrangement => return Err(PublishError::Conflict { year }),
        _ => {}
    }
    let changed = stored.is_none() && loaded.is_none();
    if stored.is_none() {
        sqlx::query(
            "INSERT INTO calendar_years (year, arrangement, source, loaded_by) VALUES ($1, $2, $3, $4)",
        )
        .bind(year)
        .bind(serde_json::to_value(&arrangement).unwrap_or_default())
        .bind(&arrangement.source)
        .bind(&actor.user_id)
        .execute(uow.conn())
        .await?;
        uow.audit(xinfang_platform::audit::AuditEntry::by(
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
        let mut next = (*current).clone();
        next.add_year(arrangement)
            .map_err(|e| PublishError::Db(sqlx::Error::Protocol(e.message_zh())))?;
        deadlines::replace(&engine.calendar, next);
        reprojected = reproject(pool, engine, &[year]).await?;
    }
    tracing::info!(year, changed, reprojected, "calendar year published");
    Ok(Published {
        year,
        changed,
        reprojected,
        loaded_years: deadlines::current(&engine.calendar).years(),
    })
}

/// The loaded years with their origin.
pub async fn loaded_years(pool: &PgPool, engine: &Engine) -> Result<Vec<LoadedYear>, sqlx::Error> {
    let cal = deadlines::current(&engine.calendar);
    let published: Vec<(i32, chrono::DateTime<chrono::Utc>)> =
        sqlx::query_as("SELECT year, loaded_at FROM calendar_years")
            .fetch_all(pool)
            .await?;
    Ok(cal
        .years()
        .into_iter()
        .filter_map(|y| {
            let a = cal.arrangement(y)?;
            let p = published.iter().find(|(py, _)| *py == y);
            Some(LoadedYear {
                year: y,
                source: a.source.clone(),
                origin: if p.is_some() { "published" } else { "file" }.into(),
                loaded_at: p.map(|(_, at)| *at),
                holidays: a.holidays.len(),
                make_up_working_days: a.make_up_working_days.len(),
            })
        })
        .collect())
}

const BATCH: i64 = 500;

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
    let calendar = deadlines::current(&engine.calendar);
    let today = engine.today();
    let years_text = years
        .iter()
        .map(|y| y.to_string())
        .collect::<Vec<_>>()
        .join("、");
    let mut after = Uuid::nil();
    let mut changed = 0;
    loop {
        let mut tx = pool.begin().await?;
        let sql = format!(
            "SELECT {STORED_COLUMNS} FROM deadlines
             WHERE status IN ('open', 'paused') AND id > $1
               AND (due_date IS NULL OR (start_date <= $3 AND due_date >= $2))
             ORDER BY id LIMIT $4 FOR UPDATE"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(after)
            .bind(from)
            .bind(to)
            .bind(BATCH)
            .fetch_all(&mut *tx)
            .await?;
        let n = rows.len();
        for r in rows {
            let d = StoredDeadline::from_row(&r)?;
            after = d.id;
            let (due, _) = d.project(&calendar);
            if due == d.due_date {
                continue;
            }
            let old = d
                .due_date
                .map(|x| x.to_string())
                .unwrap_or_else(|| "未能计算".into());
            let new = due
                .map(|x| x.to_string())
                .unwrap_or_else(|| "未能计算".into());
            let note = format!(
                "重新计算：{today} 加载 {years_text} 年节假日安排后，届满日由 {old} 改为 {new}，提醒时间随之调整"
            );
            clocks::apply(&mut tx, &calendar, &engine.limits, &d, Some(note)).await?;
            changed += 1;
        }
        tx.commit().await?;
        if (n as i64) < BATCH {
            break;
        }
    }
    // Visits logged on a day whose registration deadline was outside the calendar.
    let visits = sqlx::query(
        "SELECT visit_id, arrived_at FROM visits WHERE register_by IS NULL AND registered_case IS NULL AND arrived_at IS NOT NULL",
    )
    .fetch_all(pool)
    .await?;
    for v in visits {
        let id: Uuid = v.try_get("visit_id")?;
        let arrived: chrono::DateTime<chrono::Utc> = v.try_get("arrived_at")?;
        if let Ok(by) = calendar.add_working_days(
            xinfang_platform::time::china_date(arrived),
            engine.limits.engine.visit_registration_working_days,
        ) {
            sqlx::query(
                "UPDATE visits SET register_by = $2 WHERE visit_id = $1 AND register_by IS NULL",
            )
            .bind(id)
            .bind(by)
            .execute(pool)
            .await?;
        }
    }
    Ok(changed)
}
