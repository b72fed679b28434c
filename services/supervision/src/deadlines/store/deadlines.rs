//! The `deadlines` table: opening (set-wise), closing, re-projecting and reading deadlines.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;
use xinfang_calendar::{DeadlineSpec, HolidayCalendar};
use xinfang_messaging::{BatchWriter, Deferred, UnitOfWork};

use crate::{
    configuration::{EngineLimits, Limits},
    deadlines::{
        domain::{
            deadline::{fixed_explanation, project, Closing, OpenClock, StoredDeadline},
            kind::{period_of, DeadlineKind},
            timers::{plan, step_columns},
        },
        store::steps,
    },
    findings::{domain::deadline_ref, store as findings_store},
};

/// A JSON column (explanation, stops, extensions) read leniently: a value that does not decode
/// reads as empty.
pub fn lenient<T: serde::de::DeserializeOwned + Default>(value: serde_json::Value) -> T {
    serde_json::from_value(value).unwrap_or_default()
}

/// A deadline row, enough to re-project it.
#[derive(Debug, sqlx::FromRow)]
pub struct StoredDeadlineRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    pub kind: String,
    pub unit_code: String,
    pub start_date: NaiveDate,
    pub period: i32,
    pub period_unit: String,
    pub fixed_due: Option<NaiveDate>,
    pub stops: serde_json::Value,
    pub extensions: serde_json::Value,
    pub due_date: Option<NaiveDate>,
    pub explanation: serde_json::Value,
    pub status: String,
    pub paused_since: Option<NaiveDate>,
    pub paused_reason: Option<String>,
}

impl TryFrom<StoredDeadlineRow> for StoredDeadline {
    type Error = sqlx::Error;

    fn try_from(r: StoredDeadlineRow) -> Result<StoredDeadline, sqlx::Error> {
        let kind = DeadlineKind::parse(&r.kind).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown deadline kind {}", r.kind).into())
        })?;
        Ok(StoredDeadline {
            id: r.id,
            case_id: r.case_id,
            case_number: r.case_number,
            kind,
            unit_code: r.unit_code,
            start_date: r.start_date,
            period: r.period,
            period_unit: r.period_unit,
            fixed_due: r.fixed_due,
            stops: lenient(r.stops),
            extensions: lenient(r.extensions),
            due_date: r.due_date,
            explanation: lenient(r.explanation),
            status: r.status,
            paused_since: r.paused_since,
            paused_reason: r.paused_reason,
        })
    }
}

fn stored(rows: Vec<StoredDeadlineRow>) -> Result<Vec<StoredDeadline>, sqlx::Error> {
    rows.into_iter().map(StoredDeadline::try_from).collect()
}

/// Load one deadline, locked for update.
pub async fn load_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<StoredDeadline>, sqlx::Error> {
    sqlx::query_as!(
        StoredDeadlineRow,
        "SELECT id, case_id, case_number, kind, unit_code, start_date, period, period_unit, fixed_due,
                stops, extensions, due_date, explanation, status, paused_since, paused_reason
         FROM deadlines WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(conn)
    .await?
    .map(StoredDeadline::try_from)
    .transpose()
}

/// Live deadlines opened without their timer steps (by older code, or before the engine existed),
/// locked; at most `limit`.
pub async fn lock_unscheduled(
    conn: &mut PgConnection,
    limit: i64,
) -> Result<Vec<StoredDeadline>, sqlx::Error> {
    stored(
        sqlx::query_as!(
        StoredDeadlineRow,
        "SELECT id, case_id, case_number, kind, unit_code, start_date, period, period_unit, fixed_due,
                    stops, extensions, due_date, explanation, status, paused_since, paused_reason
             FROM deadlines WHERE NOT steps_scheduled AND status IN ('open', 'paused')
             LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit
    )
        .fetch_all(conn)
        .await?,
    )
}

pub async fn mark_scheduled(conn: &mut PgConnection, id: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "UPDATE deadlines SET steps_scheduled = true WHERE id = $1",
        id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Live deadlines after `after` (by id) whose computation touched [from, to] or that have no due
/// date, locked; at most `limit`.
pub async fn lock_live_touching(
    conn: &mut PgConnection,
    after: Uuid,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> Result<Vec<StoredDeadline>, sqlx::Error> {
    stored(
        sqlx::query_as!(
        StoredDeadlineRow,
        "SELECT id, case_id, case_number, kind, unit_code, start_date, period, period_unit, fixed_due,
                    stops, extensions, due_date, explanation, status, paused_since, paused_reason
             FROM deadlines
             WHERE status IN ('open', 'paused') AND id > $1
               AND (due_date IS NULL OR (start_date <= $3 AND due_date >= $2))
             ORDER BY id LIMIT $4 FOR UPDATE",
        after,
        from,
        to,
        limit
    )
        .fetch_all(conn)
        .await?,
    )
}

/// Open a deadline and schedule its timers, unless one of this kind is live for the case already.
/// Returns the new deadline's id.
pub async fn open(
    conn: &mut PgConnection,
    calendar: &HolidayCalendar,
    limits: &Limits,
    clock: OpenClock<'_>,
) -> Result<Option<StoredDeadline>, sqlx::Error> {
    let mut opened = open_many(conn, calendar, limits, &[clock]).await?;
    Ok(opened.pop().flatten())
}

/// Open several deadlines, with their timer steps, in one statement, as [`open`] would one after
/// another: a clock whose kind is live for its case already (or earlier in `clocks`) is skipped.
/// Returns each clock's new deadline as stored (and locked: this transaction wrote it), in order
/// (`None` for a skipped one), so that a caller need not read it back.
#[tracing::instrument(skip_all, fields(clocks = clocks.len()))]
pub async fn open_many(
    conn: &mut PgConnection,
    calendar: &HolidayCalendar,
    limits: &Limits,
    clocks: &[OpenClock<'_>],
) -> Result<Vec<Option<StoredDeadline>>, sqlx::Error> {
    if clocks.is_empty() {
        return Ok(Vec::new());
    }
    let n = clocks.len();
    let mut ids = Vec::with_capacity(n);
    let (mut periods, mut units, mut dues, mut explanations, mut whys) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut step_ids, mut steps, mut seqs, mut dates) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for c in clocks {
        let (period, unit) = period_of(c.kind, limits);
        let (due, explanation, period, unit_str) = match c.fixed_due {
            Some(fixed) => (
                Some(fixed),
                fixed_explanation(c.start, fixed),
                0,
                "fixed_date",
            ),
            None => {
                let (due, why) = project(calendar, &DeadlineSpec::new(c.start, period, unit));
                (due, why, period, unit.as_str())
            }
        };
        let id = Uuid::now_v7();
        let planned = plan(calendar, &limits.engine, c.kind, c.start, due);
        let (s, q, d) = step_columns(&planned);
        step_ids.extend(std::iter::repeat_n(id, s.len()));
        steps.extend(s);
        seqs.extend(q);
        dates.extend(d);
        ids.push(id);
        periods.push(period as i32);
        units.push(unit_str);
        dues.push(due);
        explanations.push(serde_json::json!(explanation));
        whys.push(explanation);
    }
    // The deadlines and their timer steps in one statement; the steps only of the deadlines that
    // are new.
    let inserted: Vec<Uuid> = sqlx::query_scalar(
        "WITH d AS (
             INSERT INTO deadlines (id, case_id, case_number, kind, basis, unit_code, start_date, period, period_unit,
                                    fixed_due, due_date, explanation, status, source_event_id, steps_scheduled)
             SELECT t.id, t.case_id, t.case_number, t.kind, t.basis, t.unit_code, t.start_date, t.period, t.period_unit,
                    t.fixed_due, t.due_date, t.explanation, 'open', t.source_event_id, true
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[], $8::int4[],
                         $9::text[], $10::date[], $11::date[], $12::jsonb[], $13::uuid[])
                  WITH ORDINALITY AS t(id, case_id, case_number, kind, basis, unit_code, start_date, period, period_unit,
                                       fixed_due, due_date, explanation, source_event_id, n)
             ORDER BY t.n
             ON CONFLICT (case_id, kind) WHERE status IN ('open', 'paused') DO NOTHING
             RETURNING id),
         s AS (
             INSERT INTO deadline_steps (deadline_id, step, seq, fire_on)
             SELECT u.deadline_id, u.step, u.seq, u.fire_on
             FROM UNNEST($14::uuid[], $15::text[], $16::int2[], $17::date[]) AS u(deadline_id, step, seq, fire_on)
             JOIN d ON d.id = u.deadline_id)
         SELECT id FROM d",
    )
    .bind(&ids)
    .bind(clocks.iter().map(|c| c.case_id).collect::<Vec<_>>())
    .bind(clocks.iter().map(|c| c.case_number).collect::<Vec<_>>())
    .bind(clocks.iter().map(|c| c.kind.as_str()).collect::<Vec<_>>())
    .bind(clocks.iter().map(|c| c.kind.basis()).collect::<Vec<_>>())
    .bind(clocks.iter().map(|c| c.unit).collect::<Vec<_>>())
    .bind(clocks.iter().map(|c| c.start).collect::<Vec<_>>())
    .bind(&periods)
    .bind(&units)
    .bind(clocks.iter().map(|c| c.fixed_due).collect::<Vec<_>>())
    .bind(&dues)
    .bind(&explanations)
    .bind(clocks.iter().map(|c| c.source_event_id).collect::<Vec<_>>())
    .bind(&step_ids)
    .bind(&steps)
    .bind(&seqs)
    .bind(&dates)
    .fetch_all(&mut *conn)
    .await?;
    let inserted: HashSet<Uuid> = inserted.into_iter().collect();
    Ok(clocks
        .iter()
        .zip(ids)
        .zip(dues)
        .zip(periods.into_iter().zip(units))
        .zip(whys)
        .map(|((((c, id), due), (period, unit)), why)| {
            inserted.contains(&id).then(|| {
                tracing::info!(case_number = c.case_number, kind = c.kind.as_str(), due = ?due, "deadline opened");
                StoredDeadline {
                    id,
                    case_id: c.case_id,
                    case_number: c.case_number.to_string(),
                    kind: c.kind,
                    unit_code: c.unit.to_string(),
                    start_date: c.start,
                    period,
                    period_unit: unit.to_string(),
                    fixed_due: c.fixed_due,
                    stops: Vec::new(),
                    extensions: Vec::new(),
                    due_date: due,
                    explanation: why,
                    status: "open".to_string(),
                    paused_since: None,
                    paused_reason: None,
                }
            })
        })
        .collect())
}

/// What [`close`] asks of the clocks it closed: their pending timers cancelled and, when met,
/// their findings resolved.
pub struct ClosedDeadlines {
    pub ids: Vec<Uuid>,
    pub met: bool,
}

/// Close the live deadlines of `kinds` of a case (of one unit, when given), cancel their pending
/// timers, and resolve their findings when met. Returns the ids closed.
///
/// Inside a batch of events ([`UnitOfWork`] in batch mode) the timers and findings of every clock
/// the batch closed are settled at its end, with one statement each, by [`ClosingBatchWriter`]:
/// nothing in the event handlers reads them, and the timer worker fires only steps of open clocks.
pub async fn close(
    uow: &mut UnitOfWork<'_>,
    case_id: Uuid,
    kinds: &[DeadlineKind],
    unit: Option<&str>,
    on: NaiveDate,
    how: Closing,
    by: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let kinds: Vec<String> = kinds.iter().map(|k| k.as_str().to_string()).collect();
    let status = how.status();
    let ids: Vec<Uuid> = sqlx::query_scalar!(
        "UPDATE deadlines SET status = $1, closed_on = $2, closed_by = $3,
                closed_late = CASE WHEN $1 = 'met' THEN due_date IS NOT NULL AND due_date < $2 END,
                paused_since = NULL, updated_at = now()
         WHERE case_id = $4 AND kind = ANY($5) AND status IN ('open', 'paused') AND ($6::text IS NULL OR unit_code = $6)
         RETURNING id",
        status,
        on,
        by,
        case_id,
        &kinds,
        unit
    )
    .fetch_all(uow.conn())
    .await?;
    if ids.is_empty() {
        return Ok(ids);
    }
    tracing::info!(%case_id, kinds = ?kinds, status, "deadlines closed");
    let closed = ClosedDeadlines {
        ids: ids.clone(),
        met: how == Closing::Met,
    };
    if let Some(closed) = uow.defer_or_keep(closed) {
        settle_closed(uow.conn(), &closed.ids, closed.met).await?;
    }
    Ok(ids)
}

/// Cancel the pending timers of closed clocks and, of those `met`, resolve their findings.
async fn settle_closed(
    conn: &mut PgConnection,
    ids: &[Uuid],
    met: bool,
) -> Result<(), sqlx::Error> {
    steps::cancel_pending(&mut *conn, ids).await?;
    if met {
        let refs: Vec<String> = ids.iter().map(|id| deadline_ref(*id)).collect();
        findings_store::resolve_deadline_findings(conn, &refs).await?;
    }
    Ok(())
}

/// Settles, at the end of a batch of events, the timers and findings of the clocks the batch
/// closed ([`close`]): one statement for the timers, one for the findings.
pub struct ClosingBatchWriter;

#[async_trait::async_trait]
impl BatchWriter for ClosingBatchWriter {
    async fn after_batch(
        &self,
        conn: &mut PgConnection,
        deferred: &mut Deferred,
    ) -> Result<(), sqlx::Error> {
        let closed = deferred.take::<ClosedDeadlines>();
        if closed.is_empty() {
            return Ok(());
        }
        let all: Vec<Uuid> = closed.iter().flat_map(|c| c.ids.iter().copied()).collect();
        steps::cancel_pending(&mut *conn, &all).await?;
        let refs: Vec<String> = closed
            .iter()
            .filter(|c| c.met)
            .flat_map(|c| c.ids.iter().map(|id| deadline_ref(*id)))
            .collect();
        if !refs.is_empty() {
            findings_store::resolve_deadline_findings(conn, &refs).await?;
        }
        Ok(())
    }
}

/// Write a deadline's new stops, extensions and status with its re-projection, and move its timers.
/// `note` is appended to the explanation (e.g. why it was re-projected).
pub async fn save_projection(
    conn: &mut PgConnection,
    calendar: &HolidayCalendar,
    limits: &EngineLimits,
    d: &StoredDeadline,
    note: Option<String>,
) -> Result<(Option<NaiveDate>, Vec<String>), sqlx::Error> {
    let (due, explanation) = d.reprojection(calendar, note);
    sqlx::query!(
        "UPDATE deadlines SET stops = $2, extensions = $3, due_date = $4, explanation = $5, status = $6,
                paused_since = $7, paused_reason = $8, steps_scheduled = true, updated_at = now()
         WHERE id = $1",
        d.id,
        serde_json::to_value(&d.stops).unwrap_or_default(),
        serde_json::to_value(&d.extensions).unwrap_or_default(),
        due,
        serde_json::json!(explanation),
        &d.status,
        d.paused_since,
        d.paused_reason.as_deref()
    )
    .execute(&mut *conn)
    .await?;
    let planned = plan(calendar, limits, d.kind, d.start_date, due);
    steps::schedule(conn, d.id, &planned).await?;
    Ok((due, explanation))
}

/// The receipt date of a case: the start of its first acceptance deadline.
pub async fn acceptance_start(
    conn: &mut PgConnection,
    case_id: Uuid,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT start_date FROM deadlines WHERE case_id = $1 AND kind = 'acceptance' ORDER BY created_at LIMIT 1",
        case_id
    )
    .fetch_optional(conn)
    .await
}

/// A simple-track acceptance clock (简易办理受理期限), recorded already met.
#[derive(Debug)]
pub struct MetSimpleAcceptance<'a> {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: &'a str,
    pub unit: &'a str,
    pub start: NaiveDate,
    pub period: u32,
    pub period_unit: &'static str,
    pub due: Option<NaiveDate>,
    pub explanation: Vec<String>,
    pub source_event_id: Uuid,
    pub closed_on: NaiveDate,
    pub closed_by: String,
    pub late: bool,
}

pub async fn insert_met_simple_acceptance(
    conn: &mut PgConnection,
    m: &MetSimpleAcceptance<'_>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO deadlines (id, case_id, case_number, kind, basis, unit_code, start_date, period, period_unit,
                                due_date, explanation, status, source_event_id, steps_scheduled, closed_on, closed_by, closed_late)
         VALUES ($1, $2, $3, 'simple_acceptance', $4, $5, $6, $7, $8, $9, $10, 'met', $11, true, $12, $13, $14)",
        m.id,
        m.case_id,
        m.case_number,
        DeadlineKind::SimpleAcceptance.basis(),
        m.unit,
        m.start,
        m.period as i32,
        m.period_unit,
        m.due,
        serde_json::json!(m.explanation),
        m.source_event_id,
        m.closed_on,
        &m.closed_by,
        m.late
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// A deadline as shown.
#[derive(Debug, sqlx::FromRow)]
pub struct DeadlineRow {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    pub kind: String,
    pub basis: String,
    pub unit_code: String,
    pub start_date: NaiveDate,
    pub period: i32,
    pub period_unit: String,
    pub stops: serde_json::Value,
    pub extensions: serde_json::Value,
    pub due_date: Option<NaiveDate>,
    pub explanation: serde_json::Value,
    pub status: String,
    pub paused_since: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub closed_late: Option<bool>,
}

/// A timer step as shown.
#[derive(Debug, sqlx::FromRow)]
pub struct StepRow {
    pub deadline_id: Uuid,
    pub step: String,
    pub fire_on: Option<NaiveDate>,
    pub fired_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

/// The deadlines of a case in creation order, and their steps in order.
pub async fn for_case(
    pool: &PgPool,
    case_id: Uuid,
) -> Result<(Vec<DeadlineRow>, Vec<StepRow>), sqlx::Error> {
    let deadlines = sqlx::query_as!(
        DeadlineRow,
        "SELECT id, case_id, case_number, kind, basis, unit_code, start_date, period, period_unit, stops, extensions,
                due_date, explanation, status, paused_since, closed_on, closed_late
         FROM deadlines WHERE case_id = $1 ORDER BY created_at, id",
        case_id
    )
    .fetch_all(pool)
    .await?;
    let steps = sqlx::query_as!(
        StepRow,
        "SELECT s.deadline_id, s.step, s.fire_on, s.fired_at, s.cancelled_at FROM deadline_steps s
         JOIN deadlines d ON d.id = s.deadline_id WHERE d.case_id = $1 ORDER BY s.deadline_id, s.seq",
        case_id
    )
    .fetch_all(pool)
    .await?;
    Ok((deadlines, steps))
}
