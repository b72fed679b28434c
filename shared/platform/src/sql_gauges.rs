//! Gauges read from the service's own database (数据库指标), for the operators' alerts on state
//! that no event counter shows: open deadlines past their due date (超期未办结), notices whose
//! delivery failed (送达失败). A service names each gauge with one `SELECT` of one integer
//! ([`crate::ServiceBuilder::sql_gauge`]); the runner registers it beside the other metrics and
//! refreshes it every [`REFRESH`] in a background worker. A failing query logs a warning and
//! keeps the last value (an alert on a stale value beats no metric during a database outage).

use std::time::Duration;

use prometheus::{IntGauge, Registry};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// How often the gauges are read.
pub const REFRESH: Duration = Duration::from_secs(30);

/// One gauge: its metric name, help text and the query of its value.
#[derive(Debug, Clone)]
pub struct SqlGauge {
    pub name: &'static str,
    pub help: &'static str,
    /// A `SELECT` of one `bigint` (e.g. `SELECT count(*) FROM ...`).
    pub sql: &'static str,
}

/// Register `gauges` in `registry`; the returned pairs are what [`refresh_loop`] updates.
pub fn register(
    registry: &Registry,
    gauges: Vec<SqlGauge>,
) -> prometheus::Result<Vec<(SqlGauge, IntGauge)>> {
    gauges
        .into_iter()
        .map(|g| {
            let gauge = IntGauge::new(g.name, g.help)?;
            registry.register(Box::new(gauge.clone()))?;
            Ok((g, gauge))
        })
        .collect()
}

/// Read every gauge once.
pub async fn refresh(pool: &PgPool, gauges: &[(SqlGauge, IntGauge)]) {
    for (g, gauge) in gauges {
        match sqlx::query_scalar::<_, Option<i64>>(g.sql)
            .fetch_one(pool)
            .await
        {
            Ok(v) => gauge.set(v.unwrap_or(0)),
            Err(e) => tracing::warn!(gauge = g.name, error = %e, "sql gauge not refreshed"),
        }
    }
}

/// Refresh the gauges every [`REFRESH`] until `shutdown`.
pub async fn refresh_loop(
    pool: PgPool,
    gauges: Vec<(SqlGauge, IntGauge)>,
    shutdown: CancellationToken,
) {
    loop {
        refresh(&pool, &gauges).await;
        tokio::select! {
            _ = shutdown.cancelled() => return,
            _ = tokio::time::sleep(REFRESH) => {}
        }
    }
}
