//! Statutory clocks (法定时限): which event opens, closes, moves or stops which deadline.
//!
//! One row of the domain brief's table is one [`DeadlineKind`]: its limit comes from configuration
//! ([`period_of`], national values by default), its timer steps from [`steps_of`], and the events
//! that drive it from [`on_event`]. Review and re-review clocks arrive with administrative-review:
//! a variant, a limit and two match arms.

use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::PgConnection;
use uuid::Uuid;
use xinfang_calendar::{ClockStop, DeadlineSpec, Extension, HolidayCalendar, PeriodUnit};
use xinfang_contracts::{
    events::{Category, DeadlineStep, PetitionRegisteredV1},
    DomainEvent, Envelope,
};
use xinfang_messaging::UnitOfWork;
use xinfang_platform::time::china_date;

use crate::{
    configuration::Limits,
    deadlines::{self, DeadlineKind, SharedCalendar, StoredDeadline},
    events::add_case_unit,
    findings::{self, Question},
    timers,
};

/// The limits of every clock but acceptance, the timer steps, and the finding thresholds; all under
/// `supervision.limits` (national defaults; a province may set stricter ones).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct EngineLimits {
    /// 第二十三条第三款: receiving organ's acceptance notice, 15 日.
    pub receipt_notice_days: u32,
    /// 第二十三条第三款: objection by a receiving organ outside its remit, 5 个工作日.
    pub objection_working_days: u32,
    /// 第三十四条: handling opinion within 60 日 of 受理.
    pub handling_days: u32,
    /// 第三十四条: one extension of at most 30 日.
    pub handling_extension_days: u32,
    pub handling_max_extensions: u32,
    /// 简易办理: accept within 3 个工作日.
    pub simple_acceptance_working_days: u32,
    /// 简易办理: opinion within 10 个工作日.
    pub simple_opinion_working_days: u32,
    /// Warning step (临期预警): working days before the due date.
    pub warning_working_days: u32,
    /// Long-overdue step (严重超期): calendar days after the due date.
    pub long_overdue_days: u32,
    /// 应登记不登记: a logged visit must be registered within this many working days of arrival
    /// (1 = by the end of the next working day).
    pub visit_registration_working_days: u32,
    /// 应追责不追责: days after the long-overdue step within which an accountability case must exist.
    pub accountability_grace_days: u32,
    /// 应查处不查处: days within which reported misconduct must get an accountability case.
    pub investigation_days: u32,
    /// Timer worker: how often it looks for due steps (ms), and how many it fires per transaction.
    pub timer_interval_ms: u64,
    pub timer_batch_size: i64,
    /// How often the calendar directory and table are rescanned for new years (s).
    pub calendar_rescan_secs: u64,
}

impl Default for EngineLimits {
    fn default() -> Self {
        EngineLimits {
            receipt_notice_days: 15,
            objection_working_days: 5,
            handling_days: 60,
            handling_extension_days: 30,
            handling_max_extensions: 1,
            simple_acceptance_working_days: 3,
            simple_opinion_working_days: 10,
            warning_working_days: 3,
            long_overdue_days: 30,
            visit_registration_working_days: 1,
            accountability_grace_days: 15,
            investigation_days: 30,
            timer_interval_ms: 5_000,
            timer_batch_size: 500,
            calendar_rescan_secs: 300,
        }
    }
}

/// The period of a computed clock (fixed-date kinds have none).
pub fn period_of(kind: DeadlineKind, limits: &Limits) -> (u32, PeriodUnit) {
    let e = &limits.engine;
    match kind {
        DeadlineKind::Acceptance => (limits.acceptance_days, PeriodUnit::CalendarDays),
        DeadlineKind::ReceiptNotice => (e.receipt_notice_days, PeriodUnit::CalendarDays),
        DeadlineKind::ObjectionWindow => (e.objection_working_days, PeriodUnit::WorkingDays),
        DeadlineKind::Handling => (e.handling_days, PeriodUnit::CalendarDays),
        DeadlineKind::SimpleAcceptance => {
            (e.simple_acceptance_working_days, PeriodUnit::WorkingDays)
        }
        DeadlineKind::SimpleOpinion => (e.simple_opinion_working_days, PeriodUnit::WorkingDays),
        DeadlineKind::Assignment | DeadlineKind::UpstreamAssignment => {
            (0, PeriodUnit::CalendarDays)
        }
    }
}

/// The timer steps a kind gets.
pub fn steps_of(kind: DeadlineKind) -> &'static [DeadlineStep] {
    const ALL: &[DeadlineStep] = &[
        DeadlineStep::Warning,
        DeadlineStep::Due,
        DeadlineStep::Overdue,
        DeadlineStep::LongOverdue,
    ];
    match kind {
        // A window, not a duty: remind before it closes, nothing after.
        DeadlineKind::ObjectionWindow => &[DeadlineStep::Warning, DeadlineStep::Due],
        // Recorded when the decision is known, already closed.
        DeadlineKind::SimpleAcceptance => &[],
        _ => ALL,
    }
}

/// How many extensions of at most how many days a kind allows (延期).
pub fn extension_policy(kind: DeadlineKind, limits: &Limits) -> Option<(u32, u32)> {
    match kind {
        DeadlineKind::Handling => Some((
            limits.engine.handling_max_extensions,
            limits.engine.handling_extension_days,
        )),
        _ => None,
    }
}

/// A deadline to open.
#[derive(Debug, Clone)]
pub struct OpenClock<'a> {
    pub case_id: Uuid,
    pub case_number: &'a str,
    pub kind: DeadlineKind,
    pub unit: &'a str,
    pub start: NaiveDate,
    /// A date fixed by another body (交办期限) instead of a period.
    pub fixed_due: Option<NaiveDate>,
    pub source_event_id: Uuid,
}

/// Open a deadline and schedule its timers, unless one of this kind is live for the case already.
/// Returns the new deadline's id.
pub async fn open(
    conn: &mut PgConnection,
    calendar: &HolidayCalendar,
    limits: &Limits,
    c: OpenClock<'_>,
) -> Result<Option<Uuid>, sqlx::Error> {
    let mut ids = open_many(conn, calendar, limits, &[c]).await?;
    Ok(ids.pop().flatten())
}

/// Open several deadlines, with their timer steps, in one statement, as [`open`] would one after
/// another: a clock whose kind is live for its case already (or earlier in `clocks`) is skipped.
/// Returns each clock's new deadline id, in order (`None` for a skipped one).
pub async fn open_many(
    conn: &mut PgConnection,
    calendar: &HolidayCalendar,
    limits: &Limits,
    clocks: &[OpenClock<'_>],
) -> Result<Vec<Option<Uuid>>, sqlx::Error> {
    if clocks.is_empty() {
        return Ok(Vec::new());
    }
    let n = clocks.len();
    let mut ids = Vec::with_capacity(n);
    let (mut periods, mut units, mut dues, mut explanations) = (
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
                deadlines::fixed_explanation(c.start, fixed),
                0,
                "fixed_date",
            ),
            None => {
                let (due, why) =
                    deadlines::project(calendar, &DeadlineSpec::new(c.start, period, unit));
                (due, why, period, unit.as_str())
            }
        };
        let id = Uuid::now_v7();
        let plan = timers::plan(calendar, &limits.engine, c.kind, c.start, due);
        let (s, q, d) = timers::step_columns(&plan);
        step_ids.extend(std::iter::repeat_n(id, s.len()));
        steps.extend(s);
        seqs.extend(q);
        dates.extend(d);
        ids.push(id);
        periods.push(period as i32);
        units.push(unit_str);
        dues.push(due);
        explanations.push(serde_json::json!(explanation));
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
    let inserted: std::collections::HashSet<Uuid> = inserted.into_iter().collect();
    Ok(clocks
        .iter()
        .zip(ids)
        .zip(dues)
        .map(|((c, id), due)| {
            inserted.contains(&id).then(|| {
                tracing::info!(case_number = c.case_number, kind = c.kind.as_str(), due = ?due, "deadline opened");
                id
            })
        })
        .collect())
}

/// How a deadline stops being live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// 已办结/已履行: the duty was done (maybe late).
    Met,
    /// 已撤销: the duty fell away (an objection returned the matter).
    Cancelled,
}

/// Close the live deadlines of `kinds` of a case (of one unit, when given), cancel their pending
/// timers, and resolve their findings when met. Returns the ids closed.
pub async fn close(
    conn: &mut PgConnection,
    case_id: Uuid,
    kinds: &[DeadlineKind],
    unit: Option<&str>,
    on: NaiveDate,
    how: Closing,
    by: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    let status = match how {
        Closing::Met => "met",
        Closing::Cancelled => "cancelled",
    };
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "UPDATE deadlines SET status = $1, closed_on = $2, closed_by = $3,
                closed_late = CASE WHEN $1 = 'met' THEN due_date IS NOT NULL AND due_date < $2 END,
                paused_since = NULL, updated_at = now()
         WHERE case_id = $4 AND kind = ANY($5) AND status IN ('open', 'paused') AND ($6::text IS NULL OR unit_code = $6)
         RETURNING id",
    )
    .bind(status)
    .bind(on)
    .bind(by)
    .bind(case_id)
    .bind(&kinds)
    .bind(unit)
    .fetch_all(&mut *conn)
    .await?;
    if ids.is_empty() {
        return Ok(ids);
    }
    sqlx::query(
        "UPDATE deadline_steps SET cancelled_at = now()
         WHERE deadline_id = ANY($1) AND fired_at IS NULL AND cancelled_at IS NULL",
    )
    .bind(&ids)
    .execute(&mut *conn)
    .await?;
    if how == Closing::Met {
        let refs: Vec<String> = ids.iter().map(|id| findings::deadline_ref(*id)).collect();
        sqlx::query(
            "UPDATE findings SET resolved_at = now()
             WHERE subject_ref = ANY($1) AND question IN ('unaccepted', 'unhandled') AND resolved_at IS NULL",
        )
        .bind(&refs)
        .execute(&mut *conn)
        .await?;
    }
    tracing::info!(%case_id, kinds = ?kinds, status, "deadlines closed");
    Ok(ids)
}

/// Every live kind: a case concluded closes them all.
const ALL_KINDS: [DeadlineKind; 8] = DeadlineKind::ALL;

/// The clocks registrations start, with one statement for all of them: the acceptance period
/// (受理期限), and the upstream body's date where the petition was assigned from above (交办期限);
/// then each walk-in visit is tied to its registration.
pub async fn open_registrations(
    conn: &mut PgConnection,
    cal: &HolidayCalendar,
    limits: &Limits,
    items: &[(&Envelope, &PetitionRegisteredV1)],
) -> Result<(), sqlx::Error> {
    let mut clocks = Vec::with_capacity(items.len());
    for (envelope, e) in items {
        let clock = |kind, fixed_due| OpenClock {
            case_id: e.petition_id,
            case_number: &e.case_number,
            kind,
            unit: &e.registering_unit,
            start: e.received_on,
            fixed_due,
            source_event_id: envelope.event_id,
        };
        clocks.push(clock(DeadlineKind::Acceptance, None));
        if let Some(due) = e.upstream_due_on {
            clocks.push(clock(DeadlineKind::UpstreamAssignment, Some(due)));
        }
    }
    open_many(conn, cal, limits, &clocks).await?;
    for (_, e) in items {
        if let Some(visit_id) = e.visit_id {
            sqlx::query(
                "INSERT INTO visits (visit_id, registered_case, registered_at) VALUES ($1, $2, $3)
                 ON CONFLICT (visit_id) DO UPDATE SET registered_case = COALESCE(visits.registered_case, EXCLUDED.registered_case),
                                                     registered_at = COALESCE(visits.registered_at, EXCLUDED.registered_at)",
            )
            .bind(visit_id)
            .bind(e.petition_id)
            .bind(e.registered_at)
            .execute(&mut *conn)
            .await?;
        }
    }
    Ok(())
}

/// Apply an event to the clocks. Runs inside the inbox transaction, before the rest of the
/// supervision handler.
#[tracing::instrument(skip_all, fields(event_id = %envelope.event_id))]
pub async fn on_event(
    uow: &mut UnitOfWork<'_>,
    shared: &SharedCalendar,
    limits: &Limits,
    envelope: &Envelope,
    event: &DomainEvent,
) -> Result<(), sqlx::Error> {
    let calendar = deadlines::current(shared);
    let cal = calendar.as_ref();
    let by = envelope.routing_key();
    match event {
        DomainEvent::PetitionRegistered(e) => {
            open_registrations(uow.conn(), cal, limits, &[(envelope, e)]).await?;
        }
        DomainEvent::PetitionAccepted(e) => {
            close_acceptance(uow.conn(), e.petition_id, e.accepted_on, &by).await?;
            let unit = e.handling_unit.as_deref().unwrap_or(&e.decided_by_unit);
            add_case_unit(uow, e.petition_id, unit).await?;
            let base = OpenClock {
                case_id: e.petition_id,
                case_number: &e.case_number,
                kind: DeadlineKind::Handling,
                unit,
                start: e.accepted_on,
                fixed_due: None,
                source_event_id: envelope.event_id,
            };
            if e.simple_track {
                record_simple_acceptance(
                    uow,
                    cal,
                    limits,
                    envelope,
                    e.petition_id,
                    &e.case_number,
                    unit,
                    e.accepted_on,
                )
                .await?;
                open(
                    uow.conn(),
                    cal,
                    limits,
                    OpenClock {
                        kind: DeadlineKind::SimpleOpinion,
                        ..base
                    },
                )
                .await?;
            } else if e.category == Some(Category::Claim) {
                open(uow.conn(), cal, limits, base).await?;
            }
        }
        DomainEvent::PetitionDeclined(e) => {
            close_acceptance(uow.conn(), e.petition_id, e.decided_on, &by).await?;
        }
        DomainEvent::PetitionBarred(e) => {
            close_acceptance(uow.conn(), e.petition_id, e.decided_on, &by).await?;
        }
        DomainEvent::PetitionTransferred(e) => {
            hand_over(
                uow,
                cal,
                limits,
                envelope,
                e.petition_id,
                &e.case_number,
                &e.to_unit,
                e.decided_on,
            )
            .await?;
        }
        DomainEvent::PetitionAssigned(e) => {
            hand_over(
                uow,
                cal,
                limits,
                envelope,
                e.petition_id,
                &e.case_number,
                &e.to_unit,
                e.decided_on,
            )
            .await?;
            open(
                uow.conn(),
                cal,
                limits,
                OpenClock {
                    case_id: e.petition_id,
                    case_number: &e.case_number,
                    kind: DeadlineKind::Assignment,
                    unit: &e.to_unit,
                    start: e.decided_on,
                    fixed_due: Some(e.due_on),
                    source_event_id: envelope.event_id,
                },
            )
            .await?;
        }
        DomainEvent::AssignmentAccepted(e) => {
            close_receiving(uow.conn(), e.petition_id, &e.unit, e.accepted_on, &by).await?;
        }
        DomainEvent::AssignmentObjected(e) => {
            close_receiving(uow.conn(), e.petition_id, &e.unit, e.objected_on, &by).await?;
            // The matter returns to the bureau: the objecting unit no longer owes the result.
            close(
                uow.conn(),
                e.petition_id,
                &[DeadlineKind::Assignment],
                Some(&e.unit),
                e.objected_on,
                Closing::Cancelled,
                &by,
            )
            .await?;
        }
        DomainEvent::CaseFinalized(e) => {
            close(
                uow.conn(),
                e.petition_id,
                &ALL_KINDS,
                None,
                e.concluded_on,
                Closing::Met,
                &by,
            )
            .await?;
        }
        DomainEvent::VisitLogged(e) => {
            let arrived = china_date(e.arrived_at);
            let register_by = cal
                .add_working_days(arrived, limits.engine.visit_registration_working_days)
                .ok();
            sqlx::query(
                "INSERT INTO visits (visit_id, unit_code, arrived_at, visitor_count, register_by) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (visit_id) DO UPDATE SET unit_code = EXCLUDED.unit_code, arrived_at = EXCLUDED.arrived_at,
                     visitor_count = EXCLUDED.visitor_count, register_by = EXCLUDED.register_by",
            )
            .bind(e.visit_id)
            .bind(&e.unit)
            .bind(e.arrived_at)
            .bind(e.visitor_count as i32)
            .bind(register_by)
            .execute(uow.conn())
            .await?;
        }
        _ => {}
    }
    Ok(())
}

/// A decision on the petition (受理, 不予受理, 不再受理, 转送, 交办) meets the acceptance clock.
async fn close_acceptance(
    conn: &mut PgConnection,
    case_id: Uuid,
    on: NaiveDate,
    by: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    close(
        conn,
        case_id,
        &[DeadlineKind::Acceptance],
        None,
        on,
        Closing::Met,
        by,
    )
    .await
}

/// A receiving organ's answer (受理 or 异议) meets its two clocks.
async fn close_receiving(
    conn: &mut PgConnection,
    case_id: Uuid,
    unit: &str,
    on: NaiveDate,
    by: &str,
) -> Result<Vec<Uuid>, sqlx::Error> {
    close(
        conn,
        case_id,
        &RECEIVING_KINDS,
        Some(unit),
        on,
        Closing::Met,
        by,
    )
    .await
}

/// The clocks a receiving organ owes: the acceptance notice and the objection window.
const RECEIVING_KINDS: [DeadlineKind; 2] =
    [DeadlineKind::ReceiptNotice, DeadlineKind::ObjectionWindow];

/// A transfer or assignment (转送, 交办; art 23 ¶3): the acceptance clock is met, the receiving
/// organ becomes one of the case's units and its two clocks open.
#[allow(clippy::too_many_arguments)]
async fn hand_over(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    case_id: Uuid,
    case_number: &str,
    unit: &str,
    on: NaiveDate,
) -> Result<(), sqlx::Error> {
    close_acceptance(uow.conn(), case_id, on, &envelope.routing_key()).await?;
    add_case_unit(uow, case_id, unit).await?;
    for kind in RECEIVING_KINDS {
        open(
            uow.conn(),
            cal,
            limits,
            OpenClock {
                case_id,
                case_number,
                kind,
                unit,
                start: on,
                fixed_due: None,
                source_event_id: envelope.event_id,
            },
        )
        .await?;
    }
    Ok(())
}

/// The simple track's acceptance clock is known only once the decision is: record it closed, late
/// or not, and raise 应受理不受理 when late.
#[allow(clippy::too_many_arguments)]
async fn record_simple_acceptance(
    uow: &mut UnitOfWork<'_>,
    cal: &HolidayCalendar,
    limits: &Limits,
    envelope: &Envelope,
    case_id: Uuid,
    case_number: &str,
    unit: &str,
    accepted_on: NaiveDate,
) -> Result<(), sqlx::Error> {
    let received: Option<NaiveDate> = sqlx::query_scalar(
        "SELECT start_date FROM deadlines WHERE case_id = $1 AND kind = 'acceptance' ORDER BY created_at LIMIT 1",
    )
    .bind(case_id)
    .fetch_optional(uow.conn())
    .await?;
    let start = received.unwrap_or(accepted_on);
    let (period, unit_kind) = period_of(DeadlineKind::SimpleAcceptance, limits);
    let (due, explanation) = deadlines::project(cal, &DeadlineSpec::new(start, period, unit_kind));
    let late = due.is_some_and(|d| d < accepted_on);
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO deadlines (id, case_id, case_number, kind, basis, unit_code, start_date, period, period_unit,
                                due_date, explanation, status, source_event_id, steps_scheduled, closed_on, closed_by, closed_late)
         VALUES ($1, $2, $3, 'simple_acceptance', $4, $5, $6, $7, $8, $9, $10, 'met', $11, true, $12, $13, $14)",
    )
    .bind(id)
    .bind(case_id)
    .bind(case_number)
    .bind(DeadlineKind::SimpleAcceptance.basis())
    .bind(unit)
    .bind(start)
    .bind(period as i32)
    .bind(unit_kind.as_str())
    .bind(due)
    .bind(serde_json::json!(explanation))
    .bind(envelope.event_id)
    .bind(accepted_on)
    .bind(envelope.routing_key())
    .bind(late)
    .execute(uow.conn())
    .await?;
    if let (true, Some(due)) = (late, due) {
        findings::raise(
            uow,
            Question::Unaccepted,
            Some(case_id),
            unit,
            &findings::deadline_ref(id),
            &format!("{case_number} 简易办理应于 {due} 前受理，实际 {accepted_on} 受理"),
        )
        .await?;
    }
    Ok(())
}

/// Why a change to a deadline was refused.
#[derive(Debug, thiserror::Error)]
pub enum ClockError {
    #[error("期限不存在")]
    NotFound,
    #[error("该期限已{0}，不能再变更")]
    NotLive(String),
    #[error("{0}不适用延期")]
    NotExtendable(&'static str),
    #[error("{kind}最多延期 {max} 次，已延期 {used} 次")]
    TooManyExtensions {
        kind: &'static str,
        max: u32,
        used: usize,
    },
    #[error("延长期间应在 1 至 {max} 日之间")]
    ExtensionTooLong { max: u32 },
    #[error("交办机关确定日期的期限不适用中止计时")]
    FixedDate,
    #[error("{0}")]
    InvalidStop(String),
    #[error("该期限当前未中止计时")]
    NotPaused,
    #[error("该期限已处于中止计时状态")]
    AlreadyPaused,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Write a deadline's new stops/extensions/status, re-project it and move its timers. `note` is
/// appended to the explanation (e.g. why it was re-projected).
pub async fn apply(
    conn: &mut PgConnection,
    calendar: &HolidayCalendar,
    limits: &Limits,
    d: &StoredDeadline,
    note: Option<String>,
) -> Result<(Option<NaiveDate>, Vec<String>), sqlx::Error> {
    let (due, mut explanation) = d.project(calendar);
    if d.status == "paused" {
        if let Some(since) = d.paused_since {
            explanation.push(format!(
                "自 {since} 起中止计时（{}），恢复计时后重新计算届满日",
                d.paused_reason.as_deref().unwrap_or("未说明事由")
            ));
        }
    }
    if let Some(note) = note {
        explanation.push(note);
    }
    sqlx::query(
        "UPDATE deadlines SET stops = $2, extensions = $3, due_date = $4, explanation = $5, status = $6,
                paused_since = $7, paused_reason = $8, steps_scheduled = true, updated_at = now()
         WHERE id = $1",
    )
    .bind(d.id)
    .bind(serde_json::to_value(&d.stops).unwrap_or_default())
    .bind(serde_json::to_value(&d.extensions).unwrap_or_default())
    .bind(due)
    .bind(serde_json::json!(explanation))
    .bind(&d.status)
    .bind(d.paused_since)
    .bind(&d.paused_reason)
    .execute(&mut *conn)
    .await?;
    let plan = timers::plan(calendar, &limits.engine, d.kind, d.start_date, due);
    timers::schedule(conn, d.id, &plan).await?;
    Ok((due, explanation))
}

fn ensure_live(d: &StoredDeadline) -> Result<(), ClockError> {
    match d.status.as_str() {
        "open" | "paused" => Ok(()),
        "met" => Err(ClockError::NotLive("办结".into())),
        other => Err(ClockError::NotLive(if other == "cancelled" {
            "撤销".into()
        } else {
            other.into()
        })),
    }
}

/// Approve an extension (延期, art 34) and move the timers.
pub async fn extend(
    conn: &mut PgConnection,
    calendar: &HolidayCalendar,
    limits: &Limits,
    mut d: StoredDeadline,
    days: u32,
    reason: &str,
) -> Result<(Option<NaiveDate>, Vec<String>), ClockError> {
    ensure_live(&d)?;
    let (max_count, max_days) =
        extension_policy(d.kind, limits).ok_or(ClockError::NotExtendable(d.kind.label_zh()))?;
    if d.extensions.len() >= max_count as usize {
        return Err(ClockError::TooManyExtensions {
            kind: d.kind.label_zh(),
            max: max_count,
            used: d.extensions.len(),
        });
    }
    if days == 0 || days > max_days {
        return Err(ClockError::ExtensionTooLong { max: max_days });
    }
    d.extensions.push(Extension {
        period: days,
        unit: PeriodUnit::CalendarDays,
        reason: reason.to_string(),
    });
    Ok(apply(conn, calendar, limits, &d, None).await?)
}

/// Stop the clock (中止计时): for a known interval, or open-ended until [`resume`] (status paused;
/// no timer fires meanwhile).
pub async fn stop(
    conn: &mut PgConnection,
    calendar: &HolidayCalendar,
    limits: &Limits,
    mut d: StoredDeadline,
    from: NaiveDate,
    to: Option<NaiveDate>,
    reason: &str,
) -> Result<(Option<NaiveDate>, Vec<String>), ClockError> {
    ensure_live(&d)?;
    if d.fixed_due.is_some() {
        return Err(ClockError::FixedDate);
    }
    if d.status == "paused" {
        return Err(ClockError::AlreadyPaused);
    }
    if from <= d.start_date {
        return Err(ClockError::InvalidStop(format!(
            "中止首日应晚于起算日 {}",
            d.start_date
        )));
    }
    match to {
        Some(to) => {
            if to < from {
                return Err(ClockError::InvalidStop("中止末日不得早于中止首日".into()));
            }
            d.stops.push(ClockStop {
                from,
                to,
                reason: reason.to_string(),
            });
        }
        None => {
            d.status = "paused".into();
            d.paused_since = Some(from);
            d.paused_reason = Some(reason.to_string());
        }
    }
    Ok(apply(conn, calendar, limits, &d, None).await?)
}

/// Resume a paused clock: the stop ends on `to` (its last stopped day, inclusive).
pub async fn resume(
    conn: &mut PgConnection,
    calendar: &HolidayCalendar,
    limits: &Limits,
    mut d: StoredDeadline,
    to: NaiveDate,
) -> Result<(Option<NaiveDate>, Vec<String>), ClockError> {
    ensure_live(&d)?;
    let (Some(since), "paused") = (d.paused_since, d.status.as_str()) else {
        return Err(ClockError::NotPaused);
    };
    if to < since {
        return Err(ClockError::InvalidStop(format!(
            "中止末日不得早于中止首日 {since}"
        )));
    }
    d.stops.push(ClockStop {
        from: since,
        to,
        reason: d.paused_reason.take().unwrap_or_default(),
    });
    d.status = "open".into();
    d.paused_since = None;
    Ok(apply(conn, calendar, limits, &d, None).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_period_and_steps() {
        let limits = Limits::default();
        assert_eq!(
            period_of(DeadlineKind::Handling, &limits),
            (60, PeriodUnit::CalendarDays)
        );
        assert_eq!(
            period_of(DeadlineKind::ObjectionWindow, &limits),
            (5, PeriodUnit::WorkingDays)
        );
        assert_eq!(
            period_of(DeadlineKind::SimpleOpinion, &limits),
            (10, PeriodUnit::WorkingDays)
        );
        assert_eq!(steps_of(DeadlineKind::Acceptance).len(), 4);
        assert_eq!(steps_of(DeadlineKind::ObjectionWindow).len(), 2);
        assert!(extension_policy(DeadlineKind::Handling, &limits).is_some());
        assert!(extension_policy(DeadlineKind::Acceptance, &limits).is_none());
    }

    #[test]
    fn the_shipped_configuration_loads_every_limit() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("configuration");
        let settings: crate::configuration::Settings =
            xinfang_platform::settings::load(&dir).expect("base.yaml loads");
        let limits = settings.supervision.limits;
        assert_eq!(limits.acceptance_days, 15);
        assert_eq!(limits.engine.handling_days, 60);
        assert_eq!(limits.engine.objection_working_days, 5);
        assert_eq!(limits.engine.calendar_rescan_secs, 300);
    }

    #[test]
    fn limits_come_from_configuration_with_national_defaults() {
        let limits: Limits = serde_json::from_value(
            serde_json::json!({ "handling_days": 45, "warning_working_days": 5 }),
        )
        .unwrap();
        assert_eq!(limits.acceptance_days, 15);
        assert_eq!(limits.engine.handling_days, 45);
        assert_eq!(limits.engine.warning_working_days, 5);
        assert_eq!(limits.engine.receipt_notice_days, 15);
    }
}
