//! The inbox (收件去重): exactly-once effects over at-least-once delivery.

use std::sync::Arc;

use lapin::message::Delivery;
use sqlx::{PgConnection, PgPool};
use tracing::Instrument;
use xinfang_contracts::{ContractError, DomainEvent, Envelope};

use crate::{
    consumer::{DeliveryProcessor, Outcome},
    metrics::MessagingMetrics,
    outbox::OutboxWaker,
    unit_of_work::{Deferred, UnitOfWork},
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
/// so its effect and the "processed" mark commit together; it enqueues outbox events and offers
/// deferrable writes through the [`UnitOfWork`].
///
/// A batch of new events is applied by [`EventHandler::handle_many`]: its runs of two or more
/// consecutive [`EventHandler::batchable`] events go to [`EventHandler::handle_together`] (批量写入:
/// one statement per table for the run), every other event to [`EventHandler::handle`], each in
/// its place in the order. A service that writes nothing set-wise implements `handle` only.
#[async_trait::async_trait]
pub trait EventHandler: Send + Sync + 'static {
    /// Name recorded in `processed_events`.
    fn name(&self) -> &'static str;

    /// Apply one event.
    async fn handle(
        &self,
        uow: &mut UnitOfWork<'_>,
        envelope: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError>;

    /// Whether `item` may be written together with like neighbours by
    /// [`EventHandler::handle_together`]. None by default.
    fn batchable(&self, _item: &(&Envelope, DomainEvent)) -> bool {
        false
    }

    /// Apply a run of two or more consecutive batchable events set-wise; it must leave what
    /// applying them one by one would. The default applies them one by one.
    async fn handle_together(
        &self,
        uow: &mut UnitOfWork<'_>,
        items: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(), HandlerError> {
        handle_each(self, uow, items).await
    }

    /// Apply the new events of one batch, in order, in the batch's transaction (批量处理): the
    /// [`runs`] of batchable events together, the rest one by one. Services implement the two
    /// hooks above rather than this.
    async fn handle_many(
        &self,
        uow: &mut UnitOfWork<'_>,
        items: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(), HandlerError> {
        for run in runs(items, |item| self.batchable(item)) {
            match run {
                Run::OneByOne(run) => handle_each(self, uow, run).await?,
                Run::Together(run) => self.handle_together(uow, run).await?,
            }
        }
        Ok(())
    }
}

/// Apply events one by one with [`EventHandler::handle`], each in its own `consume` span.
pub async fn handle_each<H: EventHandler + ?Sized>(
    handler: &H,
    uow: &mut UnitOfWork<'_>,
    items: Vec<(&Envelope, DomainEvent)>,
) -> Result<(), HandlerError> {
    for (envelope, event) in items {
        handler
            .handle(uow, envelope, event)
            .instrument(consume_span(handler.name(), envelope))
            .await?;
    }
    Ok(())
}

/// A stretch of a batch ([`runs`]).
#[derive(Debug, PartialEq, Eq)]
pub enum Run<T> {
    /// Two or more consecutive like items, to be written together.
    Together(Vec<T>),
    /// Items to apply one by one.
    OneByOne(Vec<T>),
}

/// Split a batch into its runs, in order: maximal stretches of two or more consecutive items that
/// are `like` (to be written together) and the items between them (to be applied one by one). A
/// handler writes the first kind set-wise and applies the rest in place, so that no event moves
/// past another.
pub fn runs<T>(items: Vec<T>, like: impl Fn(&T) -> bool) -> Vec<Run<T>> {
    let mut stretches: Vec<(bool, Vec<T>)> = Vec::new();
    for item in items {
        let l = like(&item);
        match stretches.last_mut() {
            Some((k, run)) if *k == l => run.push(item),
            _ => stretches.push((l, vec![item])),
        }
    }
    let mut out: Vec<Run<T>> = Vec::new();
    for (l, run) in stretches {
        if l && run.len() >= 2 {
            out.push(Run::Together(run));
        } else if let Some(Run::OneByOne(prev)) = out.last_mut() {
            prev.extend(run);
        } else {
            out.push(Run::OneByOne(run));
        }
    }
    out
}

/// Whether an item of a batch is a petition's registration, the bulk of every consumer's traffic.
pub fn is_registration(item: &(&Envelope, DomainEvent)) -> bool {
    matches!(item.1, DomainEvent::PetitionRegistered(_))
}

/// Writes, at the end of a batch transaction and before its commit, what the batch's handlers
/// deferred ([`UnitOfWork::defer_or_keep`]): it takes the items of its own kind out of `deferred`
/// ([`Deferred::take`]) and leaves the rest to the next writer. An item no writer takes is
/// an error: the batch is then rolled back and applied one by one, where nothing is deferred.
///
/// Nothing is locked before the handlers run: the batch's contended locks (audit chains, shared
/// counter rows) are taken here, last, each writer in one sorted order, so they are held only from
/// here to the commit and two batches cannot deadlock on them.
#[async_trait::async_trait]
pub trait BatchWriter: Send + Sync + 'static {
    async fn after_batch(
        &self,
        conn: &mut PgConnection,
        deferred: &mut Deferred,
    ) -> Result<(), sqlx::Error>;
}

/// Wraps an [`EventHandler`] with decoding, the inbox check and the transaction.
///
/// Several deliveries of one lane are applied in one transaction ([`DeliveryProcessor::process_batch`]):
/// one inbox insert for all of them, each handler in order, one commit. If anything in the batch
/// fails, the transaction is rolled back and every delivery is applied again on its own, so one
/// bad event never takes the others with it and each gets its own outcome.
pub struct InboxProcessor {
    pub pool: PgPool,
    pub handler: Arc<dyn EventHandler>,
    pub waker: Option<OutboxWaker>,
    /// Run in order at the end of each batch.
    pub writers: Vec<Arc<dyn BatchWriter>>,
}

impl InboxProcessor {
    pub fn new(pool: PgPool, handler: Arc<dyn EventHandler>, waker: Option<OutboxWaker>) -> Self {
        InboxProcessor {
            pool,
            handler,
            waker,
            writers: Vec::new(),
        }
    }

    /// Add a writer of deferred items; writers run in the order they were added.
    pub fn with_writer(mut self, writer: Arc<dyn BatchWriter>) -> Self {
        self.writers.push(writer);
        self
    }

    /// Apply a batch in one transaction; the outcomes, and whether it enqueued events.
    async fn commit_batch(
        &self,
        items: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<(Vec<Outcome>, bool), HandlerError> {
        let mut tx = self.pool.begin().await?;
        let ids: Vec<uuid::Uuid> = items.iter().map(|(e, _)| e.event_id).collect();
        let fresh: std::collections::HashSet<uuid::Uuid> = sqlx::query_scalar(
            "INSERT INTO processed_events (event_id, handler)
             SELECT id, $2 FROM unnest($1::uuid[]) AS t(id)
             ON CONFLICT DO NOTHING RETURNING event_id",
        )
        .bind(&ids)
        .bind(self.handler.name())
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        let mut seen = std::collections::HashSet::new();
        let mut outcomes = Vec::with_capacity(items.len());
        let mut new = Vec::with_capacity(items.len());
        for (envelope, event) in items {
            // A second copy of the same event in one batch is a duplicate too.
            if !fresh.contains(&envelope.event_id) || !seen.insert(envelope.event_id) {
                outcomes.push(Outcome::Duplicate);
                continue;
            }
            new.push((envelope, event));
            outcomes.push(Outcome::Applied);
        }
        let mut uow = UnitOfWork::consumer_batch(&mut tx);
        self.handler.handle_many(&mut uow, new).await?;
        let (mut deferred, enqueued) = uow.finish().await?;
        for writer in &self.writers {
            writer.after_batch(&mut tx, &mut deferred).await?;
        }
        if !deferred.is_empty() {
            return Err(HandlerError::Transient(anyhow::anyhow!(
                "{} deferred writes and no batch writer to write them",
                deferred.len()
            )));
        }
        tx.commit().await?;
        Ok((outcomes, enqueued))
    }

    /// Wake the relay after a commit that wrote outbox rows (and only then: most consumed events
    /// write none, and a needless relay round is three statements).
    fn wake_if(&self, enqueued: bool) {
        if let (true, Some(w)) = (enqueued, &self.waker) {
            w.wake();
        }
    }

    /// Apply several envelopes, in order, in one transaction. `Ok(outcomes)` when the batch
    /// committed (each `Applied` or `Duplicate`); `Err` when it did not, and nothing of it remains.
    async fn apply_batch(
        &self,
        items: Vec<(&Envelope, DomainEvent)>,
    ) -> Result<Vec<Outcome>, HandlerError> {
        let (outcomes, enqueued) = self.commit_batch(items).await?;
        self.wake_if(enqueued);
        Ok(outcomes)
    }

    /// Apply several envelopes in one transaction, as a batch of deliveries is: `Err` (and nothing
    /// applied) when any of them does not decode or the batch fails. Public so tests can drive the
    /// batch path directly.
    pub async fn apply_together(
        &self,
        envelopes: &[Envelope],
    ) -> Result<Vec<Outcome>, HandlerError> {
        let mut items = Vec::with_capacity(envelopes.len());
        for envelope in envelopes {
            let event = DomainEvent::decode(envelope).map_err(|e| {
                HandlerError::Permanent(format!("事件内容无法解析 malformed event: {e}"))
            })?;
            items.push((envelope, event));
        }
        self.apply_batch(items).await
    }

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
        let mut uow = UnitOfWork::immediate(&mut tx);
        self.handler.handle(&mut uow, envelope, event).await?;
        let enqueued = uow.enqueued();
        tx.commit().await?;
        self.wake_if(enqueued);
        Ok(true)
    }
}

fn consume_span(handler: &'static str, envelope: &Envelope) -> tracing::Span {
    tracing::info_span!(
        "consume",
        handler,
        event_id = %envelope.event_id,
        event_type = %envelope.routing_key(),
        correlation_id = %envelope.correlation_id,
        case_id = ?envelope.case_id,
    )
}

fn decode_envelope(delivery: &Delivery) -> Result<Envelope, Outcome> {
    Envelope::from_bytes(&delivery.data)
        .map_err(|e| Outcome::Reject(format!("消息不是有效的事件信封 not an envelope: {e}")))
}

#[async_trait::async_trait]
impl DeliveryProcessor for InboxProcessor {
    async fn process_batch(
        &self,
        deliveries: &[Delivery],
        metrics: &MessagingMetrics,
    ) -> Vec<Outcome> {
        if deliveries.len() < 2 {
            let mut out = Vec::with_capacity(1);
            for d in deliveries {
                out.push(self.process(d).await);
            }
            return out;
        }
        let envelopes: Vec<Result<Envelope, Outcome>> =
            deliveries.iter().map(decode_envelope).collect();
        let mut outcomes: Vec<Option<Outcome>> = vec![None; deliveries.len()];
        let mut batch = Vec::new();
        let mut positions = Vec::new();
        for (i, e) in envelopes.iter().enumerate() {
            match e {
                Err(o) => outcomes[i] = Some(o.clone()),
                // An event that does not decode is left for the one-by-one path, which words the
                // rejection.
                Ok(envelope) => {
                    if let Ok(event) = DomainEvent::decode(envelope) {
                        batch.push((envelope, event));
                        positions.push(i);
                    }
                }
            }
        }
        if batch.len() >= 2 {
            let size = batch.len();
            match self.apply_batch(batch).await {
                Ok(applied) => {
                    for (i, o) in positions.iter().zip(applied) {
                        if let (Outcome::Applied, Ok(envelope)) = (&o, &envelopes[*i]) {
                            let _g = consume_span(self.handler.name(), envelope).entered();
                            tracing::info!("event applied");
                        }
                        outcomes[*i] = Some(o);
                    }
                    tracing::debug!(handler = self.handler.name(), size, "batch applied");
                }
                Err(e) => {
                    metrics.batch_fallbacks.inc();
                    tracing::info!(handler = self.handler.name(), size, error = %e, "batch rolled back; applying its events one by one");
                }
            }
        }
        let mut out = Vec::with_capacity(deliveries.len());
        for (i, d) in deliveries.iter().enumerate() {
            match outcomes[i].take() {
                Some(o) => out.push(o),
                None => out.push(self.process(d).await),
            }
        }
        out
    }

    async fn process(&self, delivery: &Delivery) -> Outcome {
        let envelope = match decode_envelope(delivery) {
            Ok(e) => e,
            Err(o) => return o,
        };
        let span = consume_span(self.handler.name(), &envelope);
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

#[cfg(test)]
mod tests {
    use super::{runs, Run};

    #[test]
    fn runs_keep_the_order_and_split_where_the_kind_changes() {
        let even = |n: &u32| n.is_multiple_of(2);
        assert_eq!(
            runs(vec![2, 4, 1, 6, 8, 10, 3, 5, 12, 7, 14, 16], even),
            vec![
                Run::Together(vec![2, 4]),
                Run::OneByOne(vec![1]),
                Run::Together(vec![6, 8, 10]),
                // A like item alone is applied one by one, with its neighbours.
                Run::OneByOne(vec![3, 5, 12, 7]),
                Run::Together(vec![14, 16]),
            ]
        );
        assert!(runs(Vec::<u32>::new(), even).is_empty());
        assert_eq!(runs(vec![2], even), vec![Run::OneByOne(vec![2])]);
        assert_eq!(runs(vec![1, 3], even), vec![Run::OneByOne(vec![1, 3])]);
    }
}
