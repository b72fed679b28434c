//! Group registration (合并登记): registrations arriving together are written and numbered in one
//! transaction.
//!
//! Case numbers have no gaps, so the per-year counter must be taken in the transaction that writes
//! the petition, and held until it commits: written one by one, registrations queue on that lock
//! and each waits for the previous one's commit. The registrar's writers instead take whatever
//! registrations are waiting (up to `intake.registration.batch_size`), check each under a
//! savepoint (its `Idempotency-Key`, its walk-in visit: one refused registration does not take the
//! others with it), reserve the numbers of those that passed with one statement, write them all
//! with their numbers with one statement per table, enqueue their events (built with their
//! numbers) with one statement and commit once. If the group write fails, the batch is written
//! again one by one under placeholders and numbered afterwards, so that the failure falls on the
//! registration that caused it. Every caller gets its answer only after that commit: a 201 always
//! means written, numbered and committed; if the commit fails, every registration of the batch is
//! answered with the error and none of them exists.
//!
//! The handler does everything that needs no lock before it queues (validation, blind indexes,
//! the repeat-candidate lookup), so the writers only write; the batch's audit rows are written
//! together with one statement ([`audit::record_many`]).
//!
//! The answers are the platform's HTTP errors because the shared `Idempotency-Key` claim answers
//! in them; intake's own refusals are converted on the way out.

use std::sync::Arc;

use actix_web::http::StatusCode;
use chrono::{Datelike, Utc};
use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool};
use tokio::sync::{mpsc, oneshot, Mutex};
use uuid::Uuid;
use xinfang_contracts::Envelope;
use xinfang_messaging::UnitOfWork;
use xinfang_platform::{
    audit::{self, AuditEntry, AuditExt},
    idempotency,
    pii::PiiVault,
    time::today_in_china,
    Actor, ApiError,
};

use crate::{
    domain::{
        petition::{new_query_code, query_code_hash, RegisteredPetition},
        IntakeError,
    },
    events::publish,
    store::{
        contact_details, numbering,
        petitions::{self, Registration, RegistrationRows},
    },
};

/// One registration waiting to be written by the [`Registrar`].
pub struct Job {
    pub actor: Actor,
    pub key: Option<String>,
    pub request_hash: Option<String>,
    pub registration: Registration,
}

/// What became of a job.
pub enum Written {
    Created(RegisteredPetition),
    /// The `Idempotency-Key` was used before: its first answer.
    Replay {
        status: StatusCode,
        body: Value,
    },
}

/// What the writers need besides the jobs.
pub struct RegistrarContext {
    pub vault: Arc<PiiVault>,
    /// 区划代码 of the county: the first part of every case number.
    pub division_code: String,
}

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
    pub fn start(context: Arc<RegistrarContext>, writers: usize, batch_size: usize) -> Registrar {
        let batch_size = batch_size.max(1);
        let (tx, rx) = mpsc::channel::<Queued>(batch_size * writers.max(1) * 4);
        let rx = Arc::new(Mutex::new(rx));
        for _ in 0..writers.max(1) {
            let (rx, context) = (rx.clone(), context.clone());
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
                    write_batch(&context, batch).await;
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
            .map_err(|_| stopping())?;
        answer.await.map_err(|_| stopping())?
    }
}

fn stopping() -> ApiError {
    ApiError::unavailable("登记服务正在停止，请稍后重试")
}

/// A registration written under its placeholder number, waiting for its number and event.
struct Pending {
    rows: RegistrationRows,
    registered: RegisteredPetition,
}

enum Outcome {
    Written(Pending),
    Replayed(Written),
    Refused(ApiError),
}

#[tracing::instrument(name = "write_registrations", skip_all, fields(batch = batch.len()))]
async fn write_batch(context: &RegistrarContext, batch: Vec<Queued>) {
    let Some(pool) = batch.first().map(|q| q.pool.clone()) else {
        return;
    };
    let (jobs, replies): (Vec<Job>, Vec<Reply>) =
        batch.into_iter().map(|q| (q.job, q.reply)).unzip();
    match write_all(&pool, context, &jobs).await {
        Ok(outcomes) => {
            for (outcome, reply) in outcomes.into_iter().zip(replies) {
                let answer = match outcome {
                    Outcome::Written(pending) => Ok(Written::Created(pending.registered)),
                    Outcome::Replayed(written) => Ok(written),
                    Outcome::Refused(e) => Err(e),
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

/// The rows of one registration, sealed, under its placeholder number.
fn pending_of(context: &RegistrarContext, job: &Job) -> Result<Pending, IntakeError> {
    let registration = &job.registration;
    let registered_at = Utc::now();
    let query_code = new_query_code();
    let correlation_id = Uuid::now_v7();
    let rows = RegistrationRows::seal(
        &context.vault,
        registration,
        query_code_hash(registration.id, &query_code),
        registered_at,
        correlation_id,
    )?;
    Ok(Pending {
        rows,
        registered: RegisteredPetition {
            id: registration.id,
            case_number: format!("pending:{}", registration.id),
            query_code,
            received_on: registration.petition.received_on,
            registered_at,
            status: "registered".into(),
            correlation_id,
            repeat_candidates: registration.candidates.clone(),
        },
    })
}

fn audit_of(job: &Job) -> AuditEntry {
    let registration = &job.registration;
    let p = &registration.petition;
    AuditEntry::by(
        &job.actor,
        "petition.register",
        Some(registration.id),
        json!({ "channel": p.channel.as_str(), "received_on": p.received_on,
                "repeat_candidates": registration.candidates.iter().map(|c| &c.case_number).collect::<Vec<_>>() }),
    )
}

/// Write one registration in the writer's transaction: the idempotency claim, the walk-in visit it
/// resolves, the petition and its rows, and its audit record (collected by the batch unit).
#[tracing::instrument(skip_all, fields(case_id = %job.registration.id))]
async fn write_one(
    uow: &mut UnitOfWork<'_>,
    context: &RegistrarContext,
    job: &Job,
) -> Result<Result<Pending, Written>, ApiError> {
    if let Some(replay) = claim(uow.conn(), job).await? {
        return Ok(Err(replay));
    }
    let registration = &job.registration;
    let pending = pending_of(context, job).map_err(ApiError::from)?;
    petitions::insert_signatures(uow.conn(), &[(registration, &pending.rows)]).await?;
    petitions::insert(
        uow.conn(),
        &context.division_code,
        context.vault.key_version(),
        &[(registration, &pending.rows)],
        None,
    )
    .await?;
    contact_details::insert(
        uow.conn(),
        context.vault.key_version(),
        &[(registration.id, &pending.rows.contact_details[..])],
    )
    .await?;
    uow.audit(audit_of(job)).await?;
    Ok(Ok(pending))
}

/// Write, number and commit a batch; `Err` when nothing of it was committed.
///
/// The usual path ([`write_numbered`]) reserves the batch's numbers and writes every registration
/// with its number in one statement. If that statement fails (a registration the validation let
/// through but the database refuses), the transaction is rolled back and the batch is written
/// again by [`write_one_by_one`], which finds the registration at fault and numbers the others
/// afterwards.
async fn write_all(
    pool: &PgPool,
    context: &RegistrarContext,
    jobs: &[Job],
) -> Result<Vec<Outcome>, ApiError> {
    let mut tx = pool.begin().await?;
    match write_numbered(&mut tx, context, jobs).await? {
        Numbered::Commit(outcomes) => {
            tx.commit().await?;
            Ok(outcomes)
        }
        Numbered::Refused(e) => {
            tx.rollback().await?;
            Ok(vec![Outcome::Refused(*e)])
        }
        Numbered::OneByOne => {
            tx.rollback().await?;
            write_one_by_one(pool, context, jobs).await
        }
    }
}

/// What [`write_numbered`] leaves to its caller.
enum Numbered {
    /// Commit, then answer these.
    Commit(Vec<Outcome>),
    /// A registration alone in its batch was refused: roll back (its claim, written without a
    /// savepoint, with it) and answer this.
    Refused(Box<ApiError>),
    /// The group write failed: roll back and write the batch one by one.
    OneByOne,
}

/// The checks a registration needs inside the transaction: its `Idempotency-Key` claim and the
/// walk-in visit it resolves. `Some` when the key was used before (its first answer).
async fn claim(conn: &mut PgConnection, job: &Job) -> Result<Option<Written>, ApiError> {
    if let (Some(key), Some(hash)) = (&job.key, &job.request_hash) {
        if let idempotency::Begin::Replay { status, body } =
            idempotency::begin(&mut *conn, &job.actor, key, hash).await?
        {
            return Ok(Some(Written::Replay { status, body }));
        }
    }
    if let Some(visit_id) = job.registration.visit_id {
        petitions::claim_visit(&mut *conn, &job.actor, visit_id, job.registration.id)
            .await
            .map_err(ApiError::from)?;
    }
    Ok(None)
}

/// The usual path (先编号后写入): each registration's checks under its own savepoint; then, for
/// those that passed, their content signatures (which need no number, so their GIN index is not
/// written under the counter's lock), their audit rows (the audit chains' locks, taken before the
/// counter's as in [`write_one_by_one`]), the year's next numbers, and every row of every
/// registration with its number in one statement per table; then their events and stored answers.
/// Nothing is written twice: the petitions are inserted already numbered.
///
/// [`Numbered::OneByOne`] when the group write failed: the caller rolls the transaction back
/// (undoing the numbers with it) and writes the batch one by one.
#[tracing::instrument(skip_all, fields(registrations = jobs.len()))]
async fn write_numbered(
    tx: &mut PgConnection,
    context: &RegistrarContext,
    jobs: &[Job],
) -> Result<Numbered, ApiError> {
    let alone = jobs.len() == 1;
    let mut outcomes: Vec<Option<Outcome>> = (0..jobs.len()).map(|_| None).collect();
    // The rows first (nothing is written yet), so that a registration refused here claims nothing:
    // a claimed key must never be committed without its answer.
    let mut sealed: Vec<Option<Pending>> = Vec::with_capacity(jobs.len());
    for (i, job) in jobs.iter().enumerate() {
        match pending_of(context, job) {
            Ok(pending) => sealed.push(Some(pending)),
            Err(e) => {
                outcomes[i] = Some(Outcome::Refused(ApiError::from(e)));
                sealed.push(None);
            }
        }
    }
    for (i, job) in jobs.iter().enumerate() {
        if outcomes[i].is_some() || (job.key.is_none() && job.registration.visit_id.is_none()) {
            continue;
        }
        if !alone {
            savepoint(tx, "SAVEPOINT claim").await?;
        }
        match claim(tx, job).await {
            Ok(replay) => {
                if !alone {
                    savepoint(tx, "RELEASE SAVEPOINT claim").await?;
                }
                outcomes[i] = replay.map(Outcome::Replayed);
            }
            Err(e) if e.status == StatusCode::SERVICE_UNAVAILABLE => return Err(e),
            Err(e) if alone => return Ok(Numbered::Refused(Box::new(e))),
            Err(e) => {
                savepoint(tx, "ROLLBACK TO SAVEPOINT claim").await?;
                outcomes[i] = Some(Outcome::Refused(e));
            }
        }
    }
    let mut ready: Vec<(usize, Pending)> = sealed
        .into_iter()
        .enumerate()
        .filter(|(i, _)| outcomes[*i].is_none())
        .filter_map(|(i, pending)| pending.map(|p| (i, p)))
        .collect();
    if !ready.is_empty() {
        // The content signatures and their GIN index first: they need no number, so they are
        // written before the counter is taken and not under its lock (another replica's writer
        // may be waiting for it).
        let signed = {
            let items: Vec<(&Registration, &RegistrationRows)> = ready
                .iter()
                .map(|(i, p)| (&jobs[*i].registration, &p.rows))
                .collect();
            petitions::insert_signatures(&mut *tx, &items).await
        };
        if let Err(e) = signed {
            return group_write_failed(e, ready.len());
        }
        let entries: Vec<AuditEntry> = ready.iter().map(|(i, _)| audit_of(&jobs[*i])).collect();
        audit::record_many(&mut *tx, &entries).await?;
        let year = today_in_china().year();
        let numbers = numbering::reserve(&mut *tx, &context.division_code, year, ready.len())
            .await
            .map_err(ApiError::from)?;
        for ((_, pending), number) in ready.iter_mut().zip(&numbers) {
            pending.registered.case_number = number.clone();
        }
        let items: Vec<(&Registration, &RegistrationRows)> = ready
            .iter()
            .map(|(i, p)| (&jobs[*i].registration, &p.rows))
            .collect();
        let written = match petitions::insert(
            &mut *tx,
            &context.division_code,
            context.vault.key_version(),
            &items,
            Some(&numbers),
        )
        .await
        {
            Ok(()) => {
                let details: Vec<_> = items
                    .iter()
                    .map(|(g, r)| (g.id, &r.contact_details[..]))
                    .collect();
                contact_details::insert(&mut *tx, context.vault.key_version(), &details).await
            }
            Err(e) => Err(e),
        };
        if let Err(e) = written {
            return group_write_failed(e, ready.len());
        }
        let written: Vec<(&Job, &Pending)> = ready.iter().map(|(i, p)| (&jobs[*i], p)).collect();
        enqueue_registered(tx, context, &written).await?;
        for (job, pending) in &written {
            remember_answer(tx, job, &pending.registered).await?;
        }
        for (i, pending) in ready {
            outcomes[i] = Some(Outcome::Written(pending));
        }
    }
    outcomes
        .into_iter()
        .map(|s| s.ok_or_else(|| ApiError::internal("a registration without an outcome")))
        .collect::<Result<Vec<_>, _>>()
        .map(Numbered::Commit)
}

/// A group write the database refused: write the batch one by one ([`Numbered::OneByOne`]),
/// unless the database is unavailable, which one by one would not change.
fn group_write_failed(e: impl Into<ApiError>, registrations: usize) -> Result<Numbered, ApiError> {
    let e: ApiError = e.into();
    if e.status == StatusCode::SERVICE_UNAVAILABLE {
        return Err(e);
    }
    tracing::info!(error = %e, registrations, "group write failed; writing one by one");
    Ok(Numbered::OneByOne)
}

/// The careful path: each registration written under its placeholder number and its own
/// savepoint, so that a failure falls only on the registration that caused it; the written ones
/// numbered afterwards ([`numbering::number`]).
async fn write_one_by_one(
    pool: &PgPool,
    context: &RegistrarContext,
    jobs: &[Job],
) -> Result<Vec<Outcome>, ApiError> {
    let mut tx = pool.begin().await?;
    let mut slots: Vec<Option<Outcome>> = (0..jobs.len()).map(|_| None).collect();
    // Audit rows are collected per registration and written together before the commit; those of a
    // refused registration are dropped with its savepoint.
    let mut audit_rows = Vec::new();

    // A registration alone in its batch needs no savepoint: if it is refused, the whole
    // transaction is rolled back (two round trips fewer, which is the usual case at low load).
    let alone = jobs.len() == 1;
    for (i, job) in jobs.iter().enumerate() {
        if !alone {
            savepoint(&mut tx, "SAVEPOINT registration").await?;
        }
        // A batch unit: the registration's audit row is collected, to be written with the others.
        let mut uow = UnitOfWork::batch(&mut tx);
        let written = write_one(&mut uow, context, job).await;
        let deferred = uow.into_deferred();
        slots[i] = Some(match written {
            Ok(Ok(pending)) => {
                if !alone {
                    savepoint(&mut tx, "RELEASE SAVEPOINT registration").await?;
                }
                audit_rows.extend(audit::deferred_entries(deferred)?);
                Outcome::Written(pending)
            }
            Ok(Err(replay)) => {
                if !alone {
                    savepoint(&mut tx, "RELEASE SAVEPOINT registration").await?;
                }
                Outcome::Replayed(replay)
            }
            Err(e) if e.status == StatusCode::SERVICE_UNAVAILABLE => return Err(e),
            Err(e) if alone => {
                tx.rollback().await?;
                return Ok(vec![Outcome::Refused(e)]);
            }
            Err(e) => {
                // Only this registration is undone; the transaction goes on.
                savepoint(&mut tx, "ROLLBACK TO SAVEPOINT registration").await?;
                Outcome::Refused(e)
            }
        });
    }
    let mut outcomes: Vec<Outcome> = slots
        .into_iter()
        .map(|s| s.ok_or_else(|| ApiError::internal("a registration without an outcome")))
        .collect::<Result<_, _>>()?;
    // The contended locks come last and are held only until the commit: the audit chains
    // (ascending, as every batch takes them), then the year's counter.
    audit::record_many(&mut tx, &audit_rows).await?;
    number_and_enqueue(&mut tx, context, jobs, &mut outcomes).await?;
    for (job, outcome) in jobs.iter().zip(&outcomes) {
        if let Outcome::Written(pending) = outcome {
            remember_answer(&mut tx, job, &pending.registered).await?;
        }
    }
    tx.commit().await?;
    Ok(outcomes)
}

/// Number the written registrations (one statement), then enqueue their events, built with their
/// numbers, with one statement: an event never carries a placeholder.
async fn number_and_enqueue(
    tx: &mut PgConnection,
    context: &RegistrarContext,
    jobs: &[Job],
    outcomes: &mut [Outcome],
) -> Result<(), ApiError> {
    let mut written: Vec<(&Job, &mut Pending)> = jobs
        .iter()
        .zip(outcomes.iter_mut())
        .filter_map(|(job, outcome)| match outcome {
            Outcome::Written(pending) => Some((job, pending)),
            _ => None,
        })
        .collect();
    let ids: Vec<Uuid> = written.iter().map(|(job, _)| job.registration.id).collect();
    let year = today_in_china().year();
    let numbers = numbering::number(tx, &context.division_code, year, &ids)
        .await
        .map_err(ApiError::from)?;
    for ((_, pending), number) in written.iter_mut().zip(numbers) {
        pending.registered.case_number = number;
    }
    let written: Vec<(&Job, &Pending)> = written.iter().map(|(j, p)| (*j, &**p)).collect();
    enqueue_registered(tx, context, &written).await
}

/// Enqueue the events of numbered registrations, built with their numbers, with one statement: an
/// event never carries a placeholder.
async fn enqueue_registered(
    tx: &mut PgConnection,
    context: &RegistrarContext,
    written: &[(&Job, &Pending)],
) -> Result<(), ApiError> {
    let envelopes: Vec<Envelope> = written
        .iter()
        .map(|(job, pending)| {
            publish::petition_registered(
                &job.registration,
                &pending.rows,
                &context.division_code,
                &pending.registered.case_number,
            )
        })
        .collect();
    let envelopes: Vec<&Envelope> = envelopes.iter().collect();
    UnitOfWork::batch(tx).enqueue_many(&envelopes).await?;
    Ok(())
}

/// Store a created registration's answer with its `Idempotency-Key`, once it has its number.
async fn remember_answer(
    conn: &mut PgConnection,
    job: &Job,
    registered: &RegisteredPetition,
) -> Result<(), ApiError> {
    let response = serde_json::to_value(registered).map_err(ApiError::internal)?;
    idempotency::complete_request(
        conn,
        &job.actor,
        job.key.as_deref(),
        StatusCode::CREATED,
        &response,
    )
    .await
}
