//! The directory announcement at start (启动时发布单位目录): every unit is published once when the
//! console starts, so that the other services' copies hold the seeded directory (and catch up
//! after their databases were restored) without an administrator's action.

use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use xinfang_messaging::OutboxWaker;

use crate::events::unit_changed::republish_all;

/// Publish the directory once; retry while the database is unavailable.
pub async fn run(pool: PgPool, waker: OutboxWaker, stop: CancellationToken) {
    let mut pause = Duration::from_millis(200);
    loop {
        match republish_all(&pool, Some(&waker), "system:console", "").await {
            Ok(units) => {
                tracing::info!(units, "units directory announced");
                return;
            }
            Err(e) => tracing::warn!(error = %e, "units directory announcement failed; retrying"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(Duration::from_secs(10));
    }
}
