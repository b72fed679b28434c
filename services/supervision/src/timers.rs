//! Timers (期限提醒): for every live deadline the steps warning (临期预警), due (到期), overdue (超期)
//! and long overdue (严重超期), each fired exactly once.
//!
//! Steps live in `deadline_steps`. The worker claims due rows with `FOR UPDATE SKIP LOCKED` in
//! batches and, in the same transaction, writes `supervision.deadline.step_reached.v1` into the
//! outbox, raises the findings an overdue step means, and marks the rows fired. Several replicas
//! can run it at once, and a restart resumes where the committed state left off. Its clock is
//! injectable ([`Clock`]) so tests and operators fire the steps of a given China day.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};
use xinfang_messaging::UnitOfWork;

use chrono::{Duration as Days, NaiveDate, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgPool, Row};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use xinfang_calendar::HolidayCalendar;
use xinfang_contracts::{
    events::{DeadlineStep, DeadlineStepReachedV1},
    Envelope,
};
use xinfang_messaging::OutboxWaker;

use crate::{
    clocks::{self, EngineLimits},
    configuration::Limits,
    deadlines::{DeadlineKind, SharedCalendar, StoredDeadline, STORED_COLUMNS},
    findings,
};

/// Today's date for the timers (China time), injectable.
pub type Clock = Arc<dyn Fn() -> NaiveDate + Send + Sync>;

/// The real clock: today in China (UTC+8).
pub fn system_clock() -> Clock {
    Arc::new(|| xinfang_platform::time::china_date(Utc::now()))
}

/// A clock tests (and drills) set by hand.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<NaiveDate>>);

impl ManualClock {
    pub fn new(today: NaiveDate) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(today)))
    }
    pub fn set(&self, today: NaiveDate) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = today;
    }
    pub fn clock(&self) -> Clock {
        let me = self.0.clone();
        Arc::new(move || *me.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// What the deadline engine needs at run time (shared with the HTTP handlers as app data).
#[derive(Clone)]
pub struct Engine {
    pub calendar: SharedCalendar,
    pub limits: Limits,
    pub calendar_dir: PathBuf,
    pub clock: Clock,
}

impl Engine {
    pub fn today(&self) -> NaiveDate {
        (self.clock)()
    }
}

pub fn step_str(step: DeadlineStep) -> &'static str {
    match step {
        DeadlineStep::Warning => "warning",
        DeadlineStep::Due => "due",
        DeadlineStep::Overdue => "overdue",
        DeadlineStep::LongOverdue => "long_overdue",
    }
}

fn parse_step(s: &str) -> Option<DeadlineStep> {
    match s {
        "warning" => Some(DeadlineStep::Warning),
        "due" => Some(DeadlineStep::Due),
        "overdue" => Some(DeadlineStep::Overdue),
        "long_overdue" => Some(DeadlineStep::LongOverdue),
        _ => None,
    }
}

fn seq(step: DeadlineStep) -> i16 {
    match step {
        DeadlineStep::Warning => 1,
        DeadlineStep::Due => 2,
        DeadlineStep::Overdue => 3,
        DeadlineStep::LongOverdue => 4,
    }
}

/// One step of a deadline's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedStep {
    pub step: DeadlineStep,
    /// None while the calendar does not cover the date.
    pub fire_on: Option<NaiveDate>,
}

/// When each step of a deadline fires: warning N working days before the due date (dropped when
/// that is not after the start), due on the due date, overdue the day after, long overdue N days
/// after.
pub fn plan(
    calendar: &HolidayCalendar,
    engine: &EngineLimits,
    kind: DeadlineKind,
    start: NaiveDate,
    due: Option<NaiveDate>,
) -> Vec<PlannedStep> {
    clocks::steps_of(kind)
        .iter()
        .filter_map(|&step| {
            let fire_on = match (step, due) {
                (_, None) => None,
                (DeadlineStep::Warning, Some(due)) => {
                    match calendar.subtract_working_days(due, engine.warning_working_days) {
                        Ok(w) if w <= start => return None,
                        Ok(w) => Some(w),
                        Err(_) => None,
                    }
                }
                (DeadlineStep::Due, Some(due)) => Some(due),
                (DeadlineStep::Overdue, Some(due)) => Some(due + Days::days(1)),
                (DeadlineStep::LongOverdue, Some(due)) => {
                    Some(due + Days::days(i64::from(engine.long_overdue_days.max(2))))
                }
            };
            Some(PlannedStep { step, fire_on })
        })
        .collect()
}

/// Write a deadline's schedule: unfired steps move to their new dates, steps no longer planned are
/// cancelled, fired steps stay fired.
pub async fn schedule(
    conn: &mut PgConnection,
    deadline_id: Uuid,
    plan: &[PlannedStep],
) -> Result<(), sqlx::Error> {
    schedule_steps(conn, deadline_id, plan, false).await
}

/// A plan as the columns of `deadline_steps` (step, seq, fire_on), for one multi-row insert.
pub fn step_columns(plan: &[PlannedStep]) -> (Vec<&'static str>, Vec<i16>, Vec<Option<NaiveDate>>) {
    (
        plan.iter().map(|p| step_str(p.step)).collect(),
        plan.iter().map(|p| seq(p.step)).collect(),
        plan.iter().map(|p| p.fire_on).collect(),
    )
}

async fn schedule_steps(
    conn: &mut PgConnection,
    deadline_id: Uuid,
    plan: &[PlannedStep],
    fresh: bool,
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
    if fresh {
        return Ok(());
    }
    sqlx::query(
        "UPDATE deadline_steps SET cancelled_at = now()
         WHERE deadline_id = $1 AND fired_at IS NULL AND cancelled_at IS NULL AND NOT (step = ANY($2))",
    )
    .bind(deadline_id)
    .bind(&steps)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Schedule the steps of deadlines opened without them (by older code, or before the engine
/// existed). Returns how many were scheduled.
pub async fn schedule_missing(
    pool: &PgPool,
    calendar: &HolidayCalendar,
    limits: &Limits,
    batch: i64,
) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    loop {
        let mut tx = pool.begin().await?;
        let sql = format!(
            "SELECT {STORED_COLUMNS} FROM deadlines WHERE NOT steps_scheduled AND status IN ('open', 'paused')
             LIMIT $1 FOR UPDATE SKIP LOCKED"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(batch)
            .fetch_all(&mut *tx)
            .await?;
        let n = rows.len();
        for r in rows {
            let d = StoredDeadline::from_row(&r)?;
            let plan = plan(calendar, &limits.engine, d.kind, d.start_date, d.due_date);
            schedule(&mut tx, d.id, &plan).await?;
            sqlx::query("UPDATE deadlines SET steps_scheduled = true WHERE id = $1")
                .bind(d.id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        total += n as u64;
        if (n as i64) < batch {
            return Ok(total);
        }
    }
}

/// Fire every step due on or before `today` (China date). Returns how many fired. Safe to call
/// from several processes at once: each (deadline, step) fires once.
pub async fn fire_due_steps(pool: &PgPool, today: NaiveDate) -> Result<u64, sqlx::Error> {
    fire_due_steps_as(pool, today, 500, "operator").await
}

/// [`fire_due_steps`] with a batch size and the firing replica's name.
pub async fn fire_due_steps_as(
    pool: &PgPool,
    today: NaiveDate,
    batch: i64,
    replica: &str,
) -> Result<u64, sqlx::Error> {
    let mut total = 0;
    loop {
        let n = fire_batch(pool, today, batch, replica).await?;
        total += n as u64;
        if (n as i64) < batch {
            return Ok(total);
        }
    }
}

/// Claim and fire one batch in one transaction.
#[tracing::instrument(skip(pool))]
pub async fn fire_batch(
    pool: &PgPool,
    today: NaiveDate,
    batch: i64,
    replica: &str,
) -> Result<usize, sqlx::Error> {
    let mut uow = UnitOfWork::begin_without_waker(pool).await?;
    let rows = sqlx::query(
        "SELECT s.deadline_id, s.step, d.case_id, d.case_number, d.kind, d.unit_code, d.due_date
         FROM deadline_steps s JOIN deadlines d ON d.id = s.deadline_id
         WHERE s.fired_at IS NULL AND s.cancelled_at IS NULL AND s.fire_on <= $1 AND d.status = 'open'
         ORDER BY s.fire_on, s.seq
         LIMIT $2
         FOR UPDATE OF s SKIP LOCKED",
    )
    .bind(today)
    .bind(batch)
    .fetch_all(uow.conn())
    .await?;
    if rows.is_empty() {
        uow.rollback().await?;
        return Ok(0);
    }
    let n = rows.len();
    let mut deadline_ids = Vec::with_capacity(n);
    let mut step_names = Vec::with_capacity(n);
    let mut event_ids = Vec::with_capacity(n);
    let mut case_ids = Vec::with_capacity(n);
    let mut keys = Vec::with_capacity(n);
    let mut envelopes: Vec<Value> = Vec::with_capacity(n);
    let mut overdue = Vec::new();
    for r in &rows {
        let deadline_id: Uuid = r.try_get("deadline_id")?;
        let step_name: String = r.try_get("step")?;
        let case_id: Uuid = r.try_get("case_id")?;
        let case_number: String = r.try_get("case_number")?;
        let kind: String = r.try_get("kind")?;
        let unit: String = r.try_get("unit_code")?;
        let (Some(due_on), Some(step)) = (
            r.try_get::<Option<NaiveDate>, _>("due_date")?,
            parse_step(&step_name),
        ) else {
            // Inconsistent (no due date behind a dated step): never claim it again.
            tracing::warn!(%deadline_id, step = %step_name, "step without a due date cancelled");
            sqlx::query("UPDATE deadline_steps SET cancelled_at = now() WHERE deadline_id = $1 AND step = $2")
                .bind(deadline_id)
                .bind(&step_name)
                .execute(uow.conn())
                .await?;
            continue;
        };
        let event = DeadlineStepReachedV1 {
            deadline_id,
            petition_id: case_id,
            case_number: case_number.clone(),
            kind: kind.clone(),
            unit: unit.clone(),
            due_on,
            step,
        };
        let envelope = Envelope::new(&event, Some(case_id), None, None);
        deadline_ids.push(deadline_id);
        step_names.push(step_name);
        event_ids.push(envelope.event_id);
        case_ids.push(case_id);
        keys.push(envelope.routing_key());
        envelopes.push(serde_json::to_value(&envelope).map_err(|e| sqlx::Error::Encode(e.into()))?);
        if step == DeadlineStep::Overdue {
            if let Some(question) = DeadlineKind::parse(&kind).and_then(|k| k.overdue_finding()) {
                let label = DeadlineKind::parse(&kind)
                    .map(|k| k.label_zh())
                    .unwrap_or("期限");
                overdue.push((
                    question,
                    case_id,
                    unit,
                    deadline_id,
                    format!("{case_number} {label}已于 {due_on} 届满，至 {today} 仍未办结"),
                ));
            }
        }
    }
    sqlx::query(
        "INSERT INTO outbox (event_id, case_id, routing_key, envelope)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[])",
    )
    .bind(&event_ids)
    .bind(&case_ids)
    .bind(&keys)
    .bind(&envelopes)
    .execute(uow.conn())
    .await?;
    sqlx::query(
        "UPDATE deadline_steps s SET fired_at = now(), fired_for = $1, fired_by = $2, event_id = u.event_id
         FROM UNNEST($3::uuid[], $4::text[], $5::uuid[]) AS u(deadline_id, step, event_id)
         WHERE s.deadline_id = u.deadline_id AND s.step = u.step",
    )
    .bind(today)
    .bind(replica)
    .bind(&deadline_ids)
    .bind(&step_names)
    .bind(&event_ids)
    .execute(uow.conn())
    .await?;
    for (question, case_id, unit, deadline_id, detail) in overdue {
        findings::raise(
            &mut uow,
            question,
            Some(case_id),
            &unit,
            &findings::deadline_ref(deadline_id),
            &detail,
        )
        .await?;
    }
    uow.commit().await?;
    Ok(n)
}

/// What one tick of the worker did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct TickReport {
    pub scheduled: u64,
    pub fired: u64,
    pub findings: u64,
}

/// The timer worker that runs inside every supervision replica.
pub struct TimerWorker {
    pub pool: PgPool,
    pub engine: Engine,
    pub waker: OutboxWaker,
    pub replica: String,
}

impl TimerWorker {
    pub fn new(pool: PgPool, engine: Engine, waker: OutboxWaker) -> TimerWorker {
        TimerWorker {
            pool,
            engine,
            waker,
            replica: format!("supervision-{}", &Uuid::new_v4().simple().to_string()[..8]),
        }
    }

    /// One pass for `today`: schedule missing steps, fire due ones, look for findings.
    pub async fn tick(&self, today: NaiveDate) -> Result<TickReport, sqlx::Error> {
        let calendar = crate::deadlines::current(&self.engine.calendar);
        let e = &self.engine.limits.engine;
        let batch = e.timer_batch_size.max(1);
        let scheduled = schedule_missing(&self.pool, &calendar, &self.engine.limits, batch).await?;
        let fired = fire_due_steps_as(&self.pool, today, batch, &self.replica).await?;
        let swept = findings::sweep(&self.pool, e, today).await?;
        if fired > 0 || swept > 0 {
            self.waker.wake();
        }
        if fired > 0 {
            tracing::info!(fired, %today, replica = %self.replica, "deadline steps fired");
        }
        Ok(TickReport {
            scheduled,
            fired,
            findings: swept,
        })
    }

    /// Tick every `timer_interval_ms`, and rescan the calendars every `calendar_rescan_secs`, until
    /// `shutdown`.
    pub async fn run(self, shutdown: CancellationToken) {
        let e = &self.engine.limits.engine;
        let mut interval =
            tokio::time::interval(Duration::from_millis(e.timer_interval_ms.max(10)));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let rescan = Duration::from_secs(e.calendar_rescan_secs.max(1));
        let mut last_rescan = Instant::now();
        tracing::info!(replica = %self.replica, "timer worker started");
        loop {
            tokio::select! {
                biased;
                _ = shutdown.cancelled() => break,
                _ = interval.tick() => {}
            }
            if last_rescan.elapsed() >= rescan {
                last_rescan = Instant::now();
                if let Err(err) = crate::reload::refresh(&self.pool, &self.engine).await {
                    tracing::warn!(error = %err, "calendar rescan failed");
                }
            }
            let today = self.engine.today();
            if let Err(err) = self.tick(today).await {
                if shutdown.is_cancelled() {
                    break;
                }
                tracing::warn!(error = %err, "timer tick failed");
            }
        }
        tracing::info!(replica = %self.replica, "timer worker stopped");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn calendar() -> HolidayCalendar {
        HolidayCalendar::load_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/calendars"),
        )
        .unwrap()
    }

    #[test]
    fn steps_are_warning_due_overdue_and_long_overdue() {
        let cal = calendar();
        let e = EngineLimits::default();
        // Handling accepted 2025-09-26, due 2025-11-25 (Tue).
        let p = plan(
            &cal,
            &e,
            DeadlineKind::Handling,
            d("2025-09-26"),
            Some(d("2025-11-25")),
        );
        let dates: Vec<_> = p.iter().map(|s| (s.step, s.fire_on.unwrap())).collect();
        assert_eq!(
            dates,
            vec![
                (DeadlineStep::Warning, d("2025-11-20")),
                (DeadlineStep::Due, d("2025-11-25")),
                (DeadlineStep::Overdue, d("2025-11-26")),
                (DeadlineStep::LongOverdue, d("2025-12-25")),
            ]
        );
    }

    #[test]
    fn the_warning_counts_working_days_back_over_a_holiday() {
        let cal = calendar();
        let e = EngineLimits::default();
        // Due 2025-10-10 (Fri): 10-9 = 1, then 10-1..10-8 holiday, 9-30 = 2, 9-29 = 3.
        let p = plan(
            &cal,
            &e,
            DeadlineKind::ObjectionWindow,
            d("2025-09-26"),
            Some(d("2025-10-10")),
        );
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].fire_on, Some(d("2025-09-29")));
        assert_eq!(p[1].fire_on, Some(d("2025-10-10")));
    }

    #[test]
    fn an_unknown_due_date_leaves_the_steps_unscheduled() {
        let cal = calendar();
        let p = plan(
            &cal,
            &EngineLimits::default(),
            DeadlineKind::Acceptance,
            d("2026-12-20"),
            None,
        );
        assert_eq!(p.len(), 4);
        assert!(p.iter().all(|s| s.fire_on.is_none()));
    }

    #[test]
    fn a_warning_not_after_the_start_is_dropped() {
        let cal = calendar();
        let e = EngineLimits {
            warning_working_days: 10,
            ..EngineLimits::default()
        };
        let p = plan(
            &cal,
            &e,
            DeadlineKind::ObjectionWindow,
            d("2025-09-26"),
            Some(d("2025-10-10")),
        );
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].step, DeadlineStep::Due);
    }
}
