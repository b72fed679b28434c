//! The performance watch (履行监督): an agreement still not recorded as performed the day after its
//! performance deadline is flagged as not performed (逾期未履行); the case returns to handling with
//! its mediation history kept. Runs every `interval` until the service stops.

use std::time::Duration;

use chrono::NaiveDate;
use serde_json::json;
use sqlx::PgPool;
use xinfang_messaging::UnitOfWork;
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    time::today_in_china,
    WorkerContext,
};

use crate::{
    events::publish,
    store::{agreements, mediations},
};

const REASON: &str = "履行期限届满未见履行（系统自动标记）";

/// Flag what is overdue on `today`, a batch at a time; the number flagged.
#[tracing::instrument(skip(pool))]
pub async fn sweep(pool: &PgPool, today: NaiveDate) -> Result<usize, sqlx::Error> {
    let mut flagged = 0;
    loop {
        let mut uow = UnitOfWork::begin_without_waker(pool).await?;
        let ids = agreements::overdue(uow.conn(), today, 100).await?;
        if ids.is_empty() {
            uow.rollback().await?;
            return Ok(flagged);
        }
        for id in &ids {
            let Some(a) = agreements::load_for_update(uow.conn(), *id).await? else {
                continue;
            };
            let Some(m) = mediations::load(uow.conn(), a.mediation_id).await? else {
                continue;
            };
            agreements::not_performed(uow.conn(), a.id, today, "handling", REASON).await?;
            uow.enqueue(&publish::not_performed(
                &m,
                &a,
                m.mediator_id.unwrap_or_default(),
                "handling",
                REASON,
                today,
            ))
            .await?;
            uow.audit(AuditEntry::system("mediation", "mediation.agreement.not_performed", m.petition_id,
                json!({ "agreement_id": a.id, "perform_by": a.perform_by, "returned_to": "handling" })))
                .await?;
        }
        uow.commit().await?;
        flagged += ids.len();
    }
}

/// The worker: sweep now, then every `interval`.
pub async fn run(ctx: WorkerContext, interval: Duration) {
    loop {
        match sweep(&ctx.pool, today_in_china()).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(flagged = n, "agreements not performed by their deadline");
                ctx.waker.wake();
            }
            Err(e) => tracing::warn!(error = %e, "performance sweep failed; retrying later"),
        }
        tokio::select! {
            _ = ctx.shutdown.cancelled() => return,
            _ = tokio::time::sleep(interval) => {}
        }
    }
}
