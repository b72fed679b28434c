//! The findings sweep (考核巡查): the findings no event announces, looked for by the timer worker on
//! each tick.

use chrono::NaiveDate;
use sqlx::{PgConnection, PgPool};
use xinfang_messaging::UnitOfWork;

use crate::{
    configuration::EngineLimits,
    deadlines::domain::kind::DeadlineKind,
    findings::{domain::NewFinding, events::raise, store},
};

/// Rows per transaction of a sweep.
const SWEEP_BATCH: i64 = 500;

/// The three sweeps, each over its own query.
#[derive(Debug, Clone, Copy)]
enum Sweep {
    /// 应登记不登记
    UnregisteredVisits,
    /// 应追责不追责
    Unaccounted,
    /// 应查处不查处
    Uninvestigated,
}

/// Look for the findings no event announces: visits not registered in time (应登记不登记), long
/// overdue deadlines with no accountability case after the grace period (应追责不追责), and
/// misconduct reports with no accountability case in time (应查处不查处). Returns how many were
/// raised. `today` is the China date.
#[tracing::instrument(skip(pool, limits))]
pub async fn sweep(
    pool: &PgPool,
    limits: &EngineLimits,
    today: NaiveDate,
) -> Result<u64, sqlx::Error> {
    let mut raised = 0;
    for sweep in [
        Sweep::UnregisteredVisits,
        Sweep::Unaccounted,
        Sweep::Uninvestigated,
    ] {
        raised += sweep_batches(pool, sweep, limits, today).await?;
    }
    Ok(raised)
}

/// Run one sweep in transactions of [`SWEEP_BATCH`] rows until it comes back short, raising the
/// finding each row calls for. Returns how many findings were new.
async fn sweep_batches(
    pool: &PgPool,
    sweep: Sweep,
    limits: &EngineLimits,
    today: NaiveDate,
) -> Result<u64, sqlx::Error> {
    let mut raised = 0;
    loop {
        let mut uow = UnitOfWork::begin_without_waker(pool).await?;
        let candidates = candidates(uow.conn(), sweep, limits, today).await?;
        let n = candidates.len();
        for finding in &candidates {
            if raise(&mut uow, finding).await? {
                raised += 1;
            }
        }
        uow.commit().await?;
        if (n as i64) < SWEEP_BATCH {
            break;
        }
    }
    Ok(raised)
}

/// The findings one batch of a sweep's rows calls for.
async fn candidates(
    conn: &mut PgConnection,
    sweep: Sweep,
    limits: &EngineLimits,
    today: NaiveDate,
) -> Result<Vec<NewFinding>, sqlx::Error> {
    Ok(match sweep {
        Sweep::UnregisteredVisits => store::unregistered_visits(conn, today, SWEEP_BATCH)
            .await?
            .into_iter()
            .map(|r| {
                NewFinding::unregistered_visit(
                    r.visit_id,
                    r.unit_code,
                    xinfang_platform::time::china_date(r.arrived_at),
                    r.register_by,
                    today,
                )
            })
            .collect(),
        Sweep::Unaccounted => store::unaccounted_deadlines(
            conn,
            today,
            limits.accountability_grace_days as i32,
            SWEEP_BATCH,
        )
        .await?
        .into_iter()
        .map(|r| {
            let label = DeadlineKind::parse(&r.kind)
                .map(|k| k.label_zh())
                .unwrap_or("期限");
            NewFinding::unaccounted(
                r.id,
                r.case_id,
                &r.case_number,
                r.unit_code,
                label,
                r.fire_on,
                limits.accountability_grace_days,
            )
        })
        .collect(),
        Sweep::Uninvestigated => store::uninvestigated_reports(
            conn,
            today,
            limits.investigation_days as i32,
            SWEEP_BATCH,
        )
        .await?
        .into_iter()
        .map(|r| {
            NewFinding::uninvestigated(
                r.id,
                r.case_id,
                r.unit_code,
                r.reported_on,
                limits.investigation_days,
            )
        })
        .collect(),
    })
}
