//! The inbox (收件去重): exactly-once effects over at-least-once delivery.

use std::sync::Arc;

use lapin::message::Delivery;
use sqlx::{PgConnection, PgPool};
use tracing::Instrument;
use xinfang_contracts::{ContractError, DomainEvent, Envelope};

use crate::{
    consumer::{DeliveryProcessor, Outcome},
    outbox::OutboxWaker,
};

/// Why a handler failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Will never succeed: the message goes to the dead-letter queue now.
    #[error("permanent: {0}")]
    Permanent(String),
    /// May succeed later: requeued until the delivery limit.
    #[error("transient: {0}")]
    Transient(#[from] anyhow::Error),
    /// The database cannot be reached: the message is held and retried in place until it can,
    /// without counting against its delivery limit.
    #[error("unavailable: {0}")]
    Unavailable(anyhow::Error),
}

impl From<sqlx::Error> for HandlerError {
    fn from(e: sqlx::Error) -> Self {
        if crate::availability::is_unavailable(&e) {
            HandlerError::Unavailable(e.into())
        } else {
            HandlerError::Transient(e.into())
        }
    }
}

/// A service's reaction to events. It runs inside the transaction that also records the inbox row,
/// so its effect and the "processed" mark commit together. It may enqueue outbox events on `conn`.
#[async_trait::async_trait]
pub trait EventHandler: Send + Sync + 'static {
    /// Name recorded in `processed_events`.
    fn name(&self) -> &'static str;
    async fn handle(
        &self,
        conn: &mut PgConnection,
        envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError>;
}

/// Wraps an [`EventHandler`] with decoding, the inbox check and the transaction.
pub struct InboxProcessor {
    pub pool: PgPool,
    pub handler: Arc<dyn EventHandler>,
    pub waker: Option<OutboxWaker>,
}

impl InboxProcessor {
    /// Apply one envelope exactly once. Public so tests and replays can drive it directly.
    pub async fn apply(&self, envelope: &Envelope) -> Outcome {
        let event = match DomainEvent::decode(envelope) {
            Ok(e) => e,
            Err(e @ ContractError::UnknownType { .. }) => {
                return Outcome::Reject(format!("未知事件类型 unknown event type: {e}"))
            }
            Err(e) => return Outcome::Reject(format!("事件内容无法解析 malformed event: {e}")),
        };
        match self.apply_decoded(envelope, event).await {
            Ok(true) => Outcome::Applied,
            Ok(false) => Outcome::Duplicate,
            Err(HandlerError::Permanent(reason)) => Outcome::Reject(reason),
            Err(HandlerError::Transient(e)) if crate::availability::chain_is_unavailable(&e) => {
                Outcome::Unavailable(format!("{e:#}"))
            }
            Err(HandlerError::Transient(e)) => Outcome::Retry(format!("{e:#}")),
            Err(HandlerError::Unavailable(e)) => Outcome::Unavailable(format!("{e:#}")),
        }
    }

    async fn apply_decoded(
        &self,
        envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<bool, HandlerError> {
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO processed_events (event_id, handler) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        )
        .bind(envelope.event_id)
        .bind(self.handler.name())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        self.handler.handle(&mut tx, envelope, event).await?;
        tx.commit().await?;
        if let Some(w) = &self.waker {
            w.wake();
        }
        Ok(true)
    }
}

#[async_trait::async_trait]
impl DeliveryProcessor for InboxProcessor {
    async fn process(&self, delivery: &Delivery) -> Outcome {
        let envelope = match Envelope::from_bytes(&delivery.data) {
            Ok(e) => e,
            Err(e) => {
                return Outcome::Reject(format!("消息不是有效的事件信封 not an envelope: {e}"))
            }
        };
        let span = tracing::info_span!(
            "consume",
            handler = self.handler.name(),
            event_id = %envelope.event_id,
            event_type = %envelope.routing_key(),
            correlation_id = %envelope.correlation_id,
            case_id = ?envelope.case_id,
        );
        async {
            let outcome = self.apply(&envelope).await;
            if outcome == Outcome::Applied {
                tracing::info!("event applied");
            }
            outcome
        }
        .instrument(span)
        .await
    }

    async fn note_rejection(&self, message_id: &str, reason: &str) {
        let r = sqlx::query(
            "INSERT INTO rejection_notes (message_id, reason) VALUES ($1, $2)
             ON CONFLICT (message_id) DO UPDATE SET reason = EXCLUDED.reason, noted_at = now()",
        )
        .bind(message_id)
        .bind(reason)
        .execute(&self.pool)
        .await;
        if let Err(e) = r {
            tracing::warn!(error = %e, "could not note the rejection reason");
        }
    }
}
