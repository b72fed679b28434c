//! Removes ended sessions and old login failures (过期会话清理). Safe with several replicas: each
//! round is idempotent deletes.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::configuration::ConsoleSettings;
use crate::store;

/// What one round removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cleaned {
    pub sessions: u64,
    pub throttle_rows: u64,
}

/// One round as of `now` (tests drive it step by step).
#[tracing::instrument(skip(pool, settings))]
pub async fn run_once(
    pool: &PgPool,
    settings: &ConsoleSettings,
    now: DateTime<Utc>,
) -> Result<Cleaned, sqlx::Error> {
    let keep = chrono::Duration::seconds(settings.workers.keep_ended_sessions_secs);
    let sessions = store::sessions::delete_ended(
        pool,
        now - keep,
        settings.sessions.idle_timeout_secs,
        settings.sessions.absolute_timeout_secs,
    )
    .await?;
    let window =
        chrono::Duration::seconds(settings.login.window_secs.max(settings.login.lockout_secs));
    let throttle_rows = store::throttle::delete_old(pool, now - window).await?;
    if sessions + throttle_rows > 0 {
        tracing::info!(sessions, throttle_rows, "cleaned up");
    }
    Ok(Cleaned {
        sessions,
        throttle_rows,
    })
}

/// Run rounds every `cleanup_interval_secs` until `stop`.
pub async fn run(pool: PgPool, settings: ConsoleSettings, stop: CancellationToken) {
    let every = Duration::from_secs(settings.workers.cleanup_interval_secs.max(1));
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        if let Err(e) = run_once(&pool, &settings, Utc::now()).await {
            tracing::warn!(error = %e, "session cleanup failed; next round will retry");
        }
    }
}
