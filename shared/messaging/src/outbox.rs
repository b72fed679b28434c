//! Transactional outbox (发件箱) and its relay (转发器).

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use xinfang_contracts::Envelope;

use crate::{
    broker::{Broker, OutboundMessage, PublishError},
    headers,
    settings::OutboxSettings,
};

/// Wakes the relay right after a commit that wrote outbox rows.
#[derive(Clone, Default)]
pub struct OutboxWaker(Arc<Notify>);

impl OutboxWaker {
    pub fn new() -> OutboxWaker {
        OutboxWaker::default()
    }
    pub fn wake(&self) {
        self.0.notify_one();
    }
    async fn woken(&self) {
        self.0.notified().await
    }
}

pub struct Outbox;

/// The unpublished rows of the outbox: how many, and the age in seconds of the oldest.
#[derive(sqlx::FromRow)]
struct BacklogRow {
    n: i64,
    age: i64,
}

impl Outbox {
    /// Write an event into the outbox, inside the caller's transaction. Callers go through
    /// [`crate::UnitOfWork::enqueue`], which remembers that the relay has work after the commit.
    pub(crate) async fn enqueue(
        conn: &mut PgConnection,
        envelope: &Envelope,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO outbox (event_id, case_id, routing_key, envelope) VALUES ($1, $2, $3, $4)",
        )
        .bind(envelope.event_id)
        .bind(envelope.case_id)
        .bind(envelope.routing_key())
        .bind(sqlx::types::Json(envelope))
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Write several events into the outbox with one statement, in order, inside the caller's
    /// transaction ([`crate::UnitOfWork::enqueue_many`]).
    pub(crate) async fn enqueue_many(
        conn: &mut PgConnection,
        envelopes: &[&Envelope],
    ) -> Result<(), sqlx::Error> {
        if envelopes.is_empty() {
            return Ok(());
        }
        let json: Vec<sqlx::types::Json<&Envelope>> =
            envelopes.iter().map(|e| sqlx::types::Json(*e)).collect();
        sqlx::query(
            "INSERT INTO outbox (event_id, case_id, routing_key, envelope)
             SELECT t.e, t.c, t.r, t.v
             FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::jsonb[]) WITH ORDINALITY AS t(e, c, r, v, n)
             ORDER BY t.n",
        )
        .bind(envelopes.iter().map(|e| e.event_id).collect::<Vec<_>>())
        .bind(envelopes.iter().map(|e| e.case_id).collect::<Vec<_>>())
        .bind(envelopes.iter().map(|e| e.routing_key()).collect::<Vec<_>>())
        .bind(json)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// (rows not yet published, age in seconds of the oldest one)
    pub async fn backlog(pool: &PgPool) -> Result<(i64, i64), sqlx::Error> {
        let row = sqlx::query_as::<_, BacklogRow>(
            "SELECT count(*) AS n, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at))::BIGINT, 0) AS age
             FROM outbox WHERE published_at IS NULL",
        )
        .fetch_one(pool)
        .await?;
        Ok((row.n, row.age))
    }
}

/// Publishes outbox rows with confirms. Safe with several replicas: rows are claimed with
/// `FOR UPDATE SKIP LOCKED`, and a row is only claimed when no earlier unpublished row of the same
/// case exists, so events of one case leave in the order they were written.
pub struct Relay {
    pub pool: PgPool,
    pub broker: Arc<Broker>,
    pub settings: OutboxSettings,
    pub waker: OutboxWaker,
}

/// A row claimed by [`Relay::relay_once`].
#[derive(sqlx::FromRow)]
struct ClaimedRow {
    id: i64,
    attempts: i32,
    envelope: sqlx::types::Json<Envelope>,
}

struct Claimed {
    id: i64,
    attempts: i32,
    envelope: Envelope,
}

impl From<ClaimedRow> for Claimed {
    fn from(r: ClaimedRow) -> Claimed {
        Claimed {
            id: r.id,
            attempts: r.attempts,
            envelope: r.envelope.0,
        }
    }
}

/// How many of the oldest pending rows a claim looks at: at least this many, or five batches.
const CLAIM_WINDOW: i64 = 1_000;

/// A pending row as the claim first reads it.
#[derive(sqlx::FromRow)]
struct WindowRow {
    id: i64,
    case_id: Option<Uuid>,
    due: bool,
}

/// Claim up to `batch_size` rows to publish: of the oldest pending rows (the window, in id order),
/// the first pending row of each case (and every row without a case), due unless
/// `ignore_backoff`, locked `FOR UPDATE SKIP LOCKED` (another relay may hold some). A row is
/// claimed only when no earlier row of its case is pending, so a case's events leave in the order
/// they were written (a case's rows are written under its lock, so ids follow commits within a
/// case). Every earlier row of a case is in the window whenever a later one is, because the window
/// is a prefix of the pending rows: the check needs no join.
///
/// Two plain statements instead of one with `NOT EXISTS`: that one's plan depended on statistics,
/// and with the usual statistics of an outbox (nearly every row published) PostgreSQL probed the
/// pending rows one by one for each candidate, so that a burst of n pending rows cost n² (1.5 s a
/// claim at 30,000 pending, docs/performance.md). These two read by index under any plan.
async fn claim(
    conn: &mut PgConnection,
    batch_size: i64,
    ignore_backoff: bool,
) -> Result<Vec<ClaimedRow>, sqlx::Error> {
    let window = sqlx::query_as::<_, WindowRow>(
        "SELECT id, case_id, next_attempt_at <= now() AS due FROM outbox
         WHERE published_at IS NULL ORDER BY id LIMIT $1",
    )
    .bind(CLAIM_WINDOW.max(batch_size.saturating_mul(5)))
    .fetch_all(&mut *conn)
    .await?;
    let ids = first_of_each_case(&window, batch_size.max(0) as usize, ignore_backoff);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut rows = sqlx::query_as::<_, ClaimedRow>(
        "SELECT id, attempts, envelope FROM outbox
         WHERE id = ANY($1) AND published_at IS NULL
         FOR UPDATE SKIP LOCKED",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// The ids of the window's rows that may be published now, in order, at most `limit`: each
/// case's first pending row (a later one waits for it, due or not), and every row without a case.
fn first_of_each_case(window: &[WindowRow], limit: usize, ignore_backoff: bool) -> Vec<i64> {
    let mut seen = std::collections::HashSet::new();
    window
        .iter()
        .filter(|r| r.case_id.is_none_or(|case| seen.insert(case)))
        .filter(|r| ignore_backoff || r.due)
        .map(|r| r.id)
        .take(limit)
        .collect()
}

impl Relay {
    pub async fn run(self, shutdown: CancellationToken) {
        let poll = Duration::from_millis(self.settings.poll_interval_ms);
        let linger = Duration::from_millis(self.settings.linger_ms);
        let mut last_cleanup = tokio::time::Instant::now();
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            let n = match self.relay_once().await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "outbox relay round failed");
                    0
                }
            };
            if last_cleanup.elapsed() > Duration::from_secs(600) {
                last_cleanup = tokio::time::Instant::now();
                if let Err(e) = self.cleanup().await {
                    tracing::warn!(error = %e, "outbox cleanup failed");
                }
            }
            if n as i64 >= self.settings.batch_size {
                continue;
            }
            let woken = tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.waker.woken() => true,
                _ = tokio::time::sleep(poll) => false,
            };
            // Commits that follow within the linger are published in the same round.
            if woken && linger > Duration::ZERO {
                tokio::select! {
                    _ = shutdown.cancelled() => break,
                    _ = tokio::time::sleep(linger) => {}
                }
            }
        }
        self.drain().await;
    }

    /// The last rounds on shutdown: publish what was committed now rather than at the next start.
    /// Rows waiting out a retry backoff are tried at once, and a session that is reconnecting is
    /// waited for, within [`OutboxSettings::drain_timeout_ms`]; whatever is left then stays in the
    /// outbox for the next start (nothing is lost either way).
    #[tracing::instrument(skip(self))]
    async fn drain(&self) {
        let deadline =
            tokio::time::Instant::now() + Duration::from_millis(self.settings.drain_timeout_ms);
        while tokio::time::Instant::now() < deadline {
            match self.relay_round(true).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => match Outbox::backlog(&self.pool).await {
                    Ok((0, _)) | Err(_) => return,
                    Ok((left, _)) => {
                        tracing::debug!(left, "outbox not yet empty at shutdown; retrying");
                    }
                },
                Err(e) => tracing::debug!(error = %format!("{e:#}"), "outbox drain round failed"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if let Ok((left, _)) = Outbox::backlog(&self.pool).await {
            if left > 0 {
                tracing::warn!(left, "outbox rows left for the next start");
            }
        }
    }

    /// One round: claim a batch, publish it, record the results. Returns the number claimed.
    #[tracing::instrument(skip(self), level = "debug")]
    pub async fn relay_once(&self) -> anyhow::Result<usize> {
        self.relay_round(false).await
    }

    /// One round; `ignore_backoff` also claims rows whose next attempt is not yet due.
    async fn relay_round(&self, ignore_backoff: bool) -> anyhow::Result<usize> {
        if self.broker.current().is_none() {
            return Ok(0);
        }
        let mut tx = self.pool.begin().await?;
        let rows = claim(&mut tx, self.settings.batch_size, ignore_backoff).await?;
        if rows.is_empty() {
            tx.rollback().await?;
            return Ok(0);
        }
        let claimed: Vec<Claimed> = rows.into_iter().map(Claimed::from).collect();
        let exchange = self.broker.topology.exchange();
        let messages: Vec<OutboundMessage> = claimed
            .iter()
            .map(|c| OutboundMessage {
                exchange: exchange.clone(),
                routing_key: c.envelope.routing_key(),
                message_id: c.envelope.event_id.to_string(),
                payload: c.envelope.to_bytes(),
                headers: headers::for_envelope(&c.envelope),
                kind: c.envelope.routing_key(),
                correlation_id: Some(c.envelope.correlation_id.to_string()),
            })
            .collect();
        let results = self.broker.publish_batch(&messages).await;
        if results
            .iter()
            .all(|r| matches!(r, Err(PublishError::NotConnected)))
        {
            tx.rollback().await?;
            return Ok(0);
        }
        let mut published: Vec<i64> = Vec::new();
        for (c, r) in claimed.iter().zip(results) {
            match r {
                Ok(()) => published.push(c.id),
                Err(e) => {
                    let backoff_ms = (100u64 << (c.attempts.clamp(0, 20) as u32))
                        .min(self.settings.max_backoff_ms);
                    tracing::warn!(event_id = %c.envelope.event_id, correlation_id = %c.envelope.correlation_id, error = %e, attempts = c.attempts + 1, "publish failed; will retry");
                    sqlx::query(
                        "UPDATE outbox SET attempts = attempts + 1, last_error = $2,
                                next_attempt_at = now() + make_interval(secs => $3::double precision / 1000.0)
                         WHERE id = $1",
                    )
                    .bind(c.id)
                    .bind(e.to_string())
                    .bind(backoff_ms as f64)
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        if !published.is_empty() {
            sqlx::query("UPDATE outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL WHERE id = ANY($1)")
                .bind(&published)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(claimed.len())
    }

    async fn cleanup(&self) -> Result<u64, sqlx::Error> {
        let r = sqlx::query(
            "DELETE FROM outbox WHERE published_at IS NOT NULL
             AND published_at < now() - make_interval(hours => $1::int)",
        )
        .bind(self.settings.retention_hours as i32)
        .execute(&self.pool)
        .await?;
        Ok(r.rows_affected())
    }
}

/// One unpublished outbox row, for operators.
#[derive(Debug, Clone, serde::Serialize, sqlx::FromRow)]
pub struct PendingRow {
    pub id: i64,
    pub event_id: Uuid,
    pub routing_key: String,
    pub created_at: DateTime<Utc>,
    pub attempts: i32,
    pub last_error: Option<String>,
}

pub async fn pending(pool: &PgPool, limit: i64) -> Result<Vec<PendingRow>, sqlx::Error> {
    sqlx::query_as::<_, PendingRow>(
        "SELECT id, event_id, routing_key, created_at, attempts, last_error FROM outbox
         WHERE published_at IS NULL ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, case: Option<u128>, due: bool) -> WindowRow {
        WindowRow {
            id,
            case_id: case.map(Uuid::from_u128),
            due,
        }
    }

    #[test]
    fn a_later_row_of_a_case_waits_for_the_first_due_or_not() {
        let window = [
            row(1, Some(1), true),
            row(2, Some(1), true),
            row(3, Some(2), false),
            row(4, Some(2), true),
            row(5, None, true),
            row(6, None, true),
            row(7, Some(3), true),
        ];
        assert_eq!(first_of_each_case(&window, 10, false), vec![1, 5, 6, 7]);
        assert_eq!(first_of_each_case(&window, 10, true), vec![1, 3, 5, 6, 7]);
        assert_eq!(first_of_each_case(&window, 2, false), vec![1, 5]);
        assert!(first_of_each_case(&window, 0, true).is_empty());
    }
}

#[cfg(test)]
mod database_tests {
    use sqlx::Connection;

    use super::*;

    /// A session on the test server with a temporary `outbox` of the relay's columns (the
    /// `postgres` database has none), dropped with the session.
    async fn session() -> PgConnection {
        let mut conn = PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
            .await
            .expect("test database");
        sqlx::raw_sql(
            "CREATE TEMP TABLE outbox (
                 id BIGINT PRIMARY KEY, case_id UUID, envelope JSONB,
                 published_at TIMESTAMPTZ, attempts INT NOT NULL DEFAULT 0,
                 next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now())",
        )
        .execute(&mut conn)
        .await
        .expect("temporary outbox");
        conn
    }

    async fn claimed(conn: &mut PgConnection, ignore_backoff: bool) -> Vec<i64> {
        claim(conn, 200, ignore_backoff)
            .await
            .expect("claim")
            .iter()
            .map(|r| r.id)
            .collect()
    }

    #[tokio::test]
    async fn a_claim_takes_each_cases_first_pending_row_and_rows_without_a_case() {
        let mut conn = session().await;
        let (a, b, c) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        // Case a: 1, 2, 3; case b: 4 (waiting out a backoff), 5; no case: 6; case c: 7 (published)
        // and 8.
        sqlx::query(
            "INSERT INTO outbox (id, case_id, next_attempt_at, published_at) VALUES
                 (1, $1, now(), NULL), (2, $1, now(), NULL), (3, $1, now(), NULL),
                 (4, $2, now() + interval '1 hour', NULL), (5, $2, now(), NULL),
                 (6, NULL, now(), NULL), (7, $3, now(), now()), (8, $3, now(), NULL)",
        )
        .bind(a)
        .bind(b)
        .bind(c)
        .execute(&mut conn)
        .await
        .expect("rows");
        let event = xinfang_contracts::events::CaseFinalizedV1 {
            petition_id: a,
            case_number: "140423-2025-000001".into(),
            level: "review".into(),
            final_opinion: None,
            concluded_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 2).expect("date"),
        };
        sqlx::query("UPDATE outbox SET envelope = $1")
            .bind(sqlx::types::Json(Envelope::new(
                &event,
                Some(a),
                None,
                None,
            )))
            .execute(&mut conn)
            .await
            .expect("envelopes");
        assert_eq!(claimed(&mut conn, false).await, vec![1, 6, 8]);
        assert_eq!(claimed(&mut conn, true).await, vec![1, 4, 6, 8]);
        sqlx::query("UPDATE outbox SET published_at = now() WHERE id IN (1, 6, 8)")
            .execute(&mut conn)
            .await
            .expect("published");
        assert_eq!(claimed(&mut conn, false).await, vec![2]);
        assert_eq!(claimed(&mut conn, true).await, vec![2, 4]);
    }
}
