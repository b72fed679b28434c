//! Group registration (合并登记): registrations arriving together are written and numbered in one
//! transaction.
//!
//! Case numbers have no gaps, so the per-year counter must be taken in the transaction that writes
//! the petition, and held until it commits: written one by one, registrations queue on that lock
//! and each waits for the previous one's commit. The registrar's writers instead take whatever
//! registrations are waiting (up to `intake.registration.batch_size`), write each under a
//! savepoint (one refused registration does not take the others with it), number them all with one
//! statement and commit once. Every caller gets its answer only after that commit: a 201 always
//! means written, numbered and committed; if the commit fails, every registration of the batch is
//! answered with the error and none of them exists.
//!
//! The handler does everything that needs no lock before it queues (validation, blind indexes,
//! the repeat-candidate lookup), so the writers only write; the batch's audit rows are written
//! together with one statement ([`audit::record_many`]).

use std::sync::Arc;
use xinfang_platform::time::today_in_china;

use actix_web::http::StatusCode;
use chrono::Datelike;
use sqlx::{PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot, Mutex};
use xinfang_messaging::UnitOfWork;
use xinfang_platform::{audit, ApiError};

use crate::{
    routes::petitions::{
        number_batch, remember_answer, write_many, write_one, Job, Unnumbered, Written,
    },
    state::IntakeState,
};

type Reply = oneshot::Sender<Result<Written, ApiError>>;

struct Queued {
    pool: PgPool,
    job: Job,
    reply: Reply,
}

/// The writers of registrations, shared by the HTTP workers.
pub struct Registrar {
    queue: mpsc::Sender<Queued>,
}

impl Registrar {
    /// Start `writers` writer tasks, each writing up to `batch_size` registrations per transaction.
    /// They stop when the registrar is dropped and the queue is empty.
    pub fn start(state: Arc<IntakeState>, writers: usize, batch_size: usize) -> Registrar {
        let batch_size = batch_size.max(1);
        let (tx, rx) = mpsc::channel::<Queued>(batch_size * writers.max(1) * 4);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..writers.max(1) {
            let (rx, state) = (rx.clone(), state.clone());
            tokio::spawn(async move {
                loop {
                    let mut batch = Vec::with_capacity(batch_size);
                    {
                        let mut rx = rx.lock().await;
                        match rx.recv().await {
                            Some(q) => batch.push(q),
                            None => return,
                        }
                        while batch.len() < batch_size {
                            match rx.try_recv() {
                                Ok(q) => batch.push(q),
                                Err(_) => break,
                            }
                        }
                    }
                    write_batch(&state, batch).await;
                }
            });
        }
        Registrar { queue: tx }
    }

    /// Queue a registration and wait for its answer (after the commit).
    pub async fn submit(&self, pool: PgPool, job: Job) -> Result<Written, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Queued { pool, job, reply })
            .await
            .map_err(|_| ApiError::unavailable("登记服务正在停止，请稍后重试"))?;
        answer
            .await
            .map_err(|_| ApiError::unavailable("登记服务正在停止，请稍后重试"))?
    }
}

enum State {
    Written(Unnumbered),
    Replayed(Written),
    Refused(ApiError),
}

#[tracing::instrument(name = "write_registrations", skip_all, fields(batch = batch.len()))]
async fn write_batch(state: &IntakeState, batch: Vec<Queued>) {
    let pool = batch[0].pool.clone();
    let (jobs, replies): (Vec<Job>, Vec<Reply>) =
        batch.into_iter().map(|q| (q.job, q.reply)).unzip();
    match write_all(&pool, state, &jobs).await {
        Ok(states) => {
            for (state, reply) in states.into_iter().zip(replies) {
                let answer = match state {
                    State::Written(u) => Ok(Written::Created(u.registered)),
                    State::Replayed(w) => Ok(w),
                    State::Refused(e) => Err(e),
                };
                let _ = reply.send(answer);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "registration batch not committed");
            for reply in replies {
                let _ = reply.send(Err(e.clone()));
            }
        }
    }
}

async fn savepoint(conn: &mut PgConnection, sql: &'static str) -> Result<(), ApiError> {
    sqlx::query(sql).execute(conn).await?;
    Ok(())
}

/// Write, number and commit a batch; `Err` when nothing of it was committed.
async fn write_all(
    pool: &PgPool,
    state: &IntakeState,
    jobs: &[Job],
) -> Result<Vec<State>, ApiError> {
    let mut tx = pool.begin().await?;
    let mut slots: Vec<Option<State>> = (0..jobs.len()).map(|_| None).collect();
    // Audit rows are collected per registration and written together before the commit; those of a
    // refused registration are dropped with its savepoint.
    let mut audit_rows = Vec::new();

    // Registrations that need no check inside the transaction (no Idempotency-Key, no walk-in
    // visit) are written together, one statement per table; if that fails they are written one by
    // one below, so that a failure falls only on the registration that caused it.
    let simple: Vec<usize> = (0..jobs.len())
        .filter(|&i| jobs[i].key.is_none() && jobs[i].visit_id.is_none())
        .collect();
    if simple.len() >= 2 {
        savepoint(&mut tx, "SAVEPOINT registrations").await?;
        let group: Vec<&Job> = simple.iter().map(|&i| &jobs[i]).collect();
        match write_many(&mut UnitOfWork::batch(&mut tx), state, &group).await {
            Ok(written) => {
                savepoint(&mut tx, "RELEASE SAVEPOINT registrations").await?;
                for (&i, (u, entry)) in simple.iter().zip(written) {
                    audit_rows.push(entry);
                    slots[i] = Some(State::Written(u));
                }
            }
            Err(e) if e.status == StatusCode::SERVICE_UNAVAILABLE => return Err(e),
            Err(e) => {
                tracing::info!(error = %e, registrations = simple.len(), "group write failed; writing one by one");
                savepoint(&mut tx, "ROLLBACK TO SAVEPOINT registrations").await?;
            }
        }
    }

    // A registration alone in its batch needs no savepoint: if it is refused, the whole
    // transaction is rolled back (two round trips fewer, which is the usual case at low load).
    let alone = jobs.len() == 1;
    for (i, job) in jobs.iter().enumerate() {
        if slots[i].is_some() {
            continue;
        }
        if !alone {
            savepoint(&mut tx, "SAVEPOINT registration").await?;
        }
        // A batch unit: the registration's audit row is collected, to be written with the others.
        let mut uow = UnitOfWork::batch(&mut tx);
        let written = write_one(&mut uow, state, job).await;
        let deferred = uow.into_deferred();
        slots[i] = Some(match written {
            Ok(Ok(u)) => {
                if !alone {
                    savepoint(&mut tx, "RELEASE SAVEPOINT registration").await?;
                }
                audit_rows.extend(audit::deferred_entries(deferred)?);
                State::Written(u)
            }
            Ok(Err(replay)) => {
                if !alone {
                    savepoint(&mut tx, "RELEASE SAVEPOINT registration").await?;
                }
                State::Replayed(replay)
            }
            Err(e) if e.status == StatusCode::SERVICE_UNAVAILABLE => return Err(e),
            Err(e) if alone => {
                tx.rollback().await?;
                return Ok(vec![State::Refused(e)]);
            }
            Err(e) => {
                // Only this registration is undone; the transaction goes on.
                savepoint(&mut tx, "ROLLBACK TO SAVEPOINT registration").await?;
                State::Refused(e)
            }
        });
    }
    let mut states: Vec<State> = slots
        .into_iter()
        .map(|s| s.ok_or_else(|| ApiError::internal("a registration without an outcome")))
        .collect::<Result<_, _>>()?;
    // The contended locks come last and are held only until the commit: the audit chains
    // (ascending, as every batch takes them), then the year's counter.
    audit::record_many(&mut tx, &audit_rows).await?;
    let year = today_in_china().year();
    let mut written: Vec<&mut Unnumbered> = states
        .iter_mut()
        .filter_map(|s| match s {
            State::Written(u) => Some(u),
            _ => None,
        })
        .collect();
    number_batch(&mut tx, &state.settings.division_code, year, &mut written).await?;
    for (job, s) in jobs.iter().zip(&states) {
        if let State::Written(u) = s {
            remember_answer(&mut tx, job, &u.registered).await?;
        }
    }
    tx.commit().await?;
    Ok(states)
}
