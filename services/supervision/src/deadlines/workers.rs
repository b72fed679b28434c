//! The timer worker (期限提醒): for every live deadline the steps warning (临期预警), due (到期),
//! overdue (超期) and long overdue (严重超期), each fired exactly once; and the rescan of the
//! holiday calendars.
//!
//! The worker claims due step rows with `FOR UPDATE SKIP LOCKED` in batches and, in the same
//! transaction, writes `supervision.deadline.step_reached.v1` into the outbox, raises the findings
//! an overdue step means, and marks the rows fired. Several replicas can run it at once, and a
//! restart resumes where the committed state left off. Its clock is injectable so tests and
//! operators fire the steps of a given China day.

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use xinfang_calendar::HolidayCalendar;
use xinfang_contracts::{
    events::{DeadlineStep, DeadlineStepReachedV1},
    Envelope,
};
use xinfang_messaging::{OutboxWaker, UnitOfWork};

use crate::{
    configuration::Limits,
    deadlines::{
        domain::{
            calendar::{current, merge_years, replace, Engine},
            timers::{overdue_finding, parse_step, plan},
        },
        store::{
            calendar_years,
            deadlines::{lock_unscheduled, mark_scheduled},
            steps::{self, FiredSteps},
        },
    },
    findings::{events::raise_many, workers::sweep},
};

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
        let unscheduled = lock_unscheduled(&mut tx, batch).await?;
        let n = unscheduled.len();
        for d in unscheduled {
            let planned = plan(calendar, &limits.engine, d.kind, d.start_date, d.due_date);
            steps::schedule(&mut tx, d.id, &planned).await?;
            mark_scheduled(&mut tx, d.id).await?;
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
    let due = steps::claim_due(uow.conn(), today, batch).await?;
    if due.is_empty() {
        uow.rollback().await?;
        return Ok(0);
    }
    let n = due.len();
    // A deadline entered late (补录) has several steps due at once: only its latest is raised,
    // the current state with the date it holds since; the earlier ones are superseded, never fired.
    let ids: Vec<Uuid> = due.iter().map(|r| r.deadline_id).collect();
    let latest = steps::latest_due(uow.conn(), &ids, today).await?;
    let mut fired = FiredSteps::default();
    let mut overdue = Vec::new();
    // Steps never to fire, cancelled together below.
    let mut cancelled: (Vec<Uuid>, Vec<String>) = (Vec::new(), Vec::new());
    for r in due {
        if latest.get(&r.deadline_id).is_some_and(|l| *l != r.step) {
            tracing::info!(deadline_id = %r.deadline_id, step = %r.step, "step superseded by a later one due at once");
            cancelled.0.push(r.deadline_id);
            cancelled.1.push(r.step);
            continue;
        }
        let (Some(due_on), Some(step)) = (r.due_date, parse_step(&r.step)) else {
            tracing::warn!(deadline_id = %r.deadline_id, step = %r.step, "step without a due date cancelled");
            cancelled.0.push(r.deadline_id);
            cancelled.1.push(r.step);
            continue;
        };
        // Overdue (or long overdue, when the overdue step was superseded): the finding, once.
        if matches!(step, DeadlineStep::Overdue | DeadlineStep::LongOverdue) {
            overdue.extend(overdue_finding(
                &r.kind,
                r.deadline_id,
                r.case_id,
                &r.case_number,
                &r.unit_code,
                due_on,
                today,
            ));
        }
        let event = DeadlineStepReachedV1 {
            deadline_id: r.deadline_id,
            petition_id: r.case_id,
            case_number: r.case_number,
            kind: r.kind,
            unit: r.unit_code,
            due_on,
            step,
        };
        let envelope = Envelope::new(&event, Some(r.case_id), None, None);
        fired.deadline_ids.push(r.deadline_id);
        fired.steps.push(r.step);
        fired.event_ids.push(envelope.event_id);
        fired.case_ids.push(r.case_id);
        fired.routing_keys.push(envelope.routing_key());
        fired
            .envelopes
            .push(serde_json::to_value(&envelope).map_err(|e| sqlx::Error::Encode(e.into()))?);
    }
    steps::cancel_steps(uow.conn(), &cancelled.0, &cancelled.1).await?;
    steps::record_fired(uow.conn(), &fired, today, replica).await?;
    let overdue: Vec<&_> = overdue.iter().collect();
    raise_many(&mut uow, &overdue).await?;
    uow.commit().await?;
    Ok(n)
}

/// Rescan the directory and the table; load what is new and re-project. Returns the new years.
pub async fn refresh(pool: &PgPool, engine: &Engine) -> anyhow::Result<Vec<i32>> {
    let loaded = current(&engine.calendar);
    let mut next = (*loaded).clone();
    let stored = calendar_years::stored(pool).await?;
    let mut changed = Vec::new();
    match HolidayCalendar::load_dir(&engine.calendar_dir) {
        Ok(dir) => {
            // A year published at run time wins over the directory's file of the same year.
            let files: Vec<_> = dir
                .years()
                .into_iter()
                .filter(|year| !stored.iter().any(|(a, _)| a.year == *year))
                .filter_map(|year| dir.arrangement(year).cloned())
                .collect();
            changed.extend(merge_years(&mut next, &files).map_err(anyhow::Error::msg)?);
        }
        Err(e) => {
            tracing::warn!(error = %e.message_zh(), dir = %engine.calendar_dir.display(), "calendar directory rescan failed")
        }
    }
    changed
        .extend(merge_years(&mut next, stored.iter().map(|(a, _)| a)).map_err(anyhow::Error::msg)?);
    if changed.is_empty() {
        return Ok(changed);
    }
    changed.sort_unstable();
    changed.dedup();
    replace(&engine.calendar, next);
    let n = calendar_years::reproject(pool, engine, &changed).await?;
    tracing::info!(years = ?changed, reprojected = n, "calendar years loaded on rescan");
    Ok(changed)
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
        let calendar = current(&self.engine.calendar);
        let limits = &self.engine.limits.engine;
        let batch = limits.timer_batch_size.max(1);
        let scheduled = schedule_missing(&self.pool, &calendar, &self.engine.limits, batch).await?;
        let fired = fire_due_steps_as(&self.pool, today, batch, &self.replica).await?;
        let swept = sweep(&self.pool, limits, today).await?;
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
        let limits = &self.engine.limits.engine;
        let mut interval =
            tokio::time::interval(Duration::from_millis(limits.timer_interval_ms.max(10)));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let rescan = Duration::from_secs(limits.calendar_rescan_secs.max(1));
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
                if let Err(err) = refresh(&self.pool, &self.engine).await {
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
