//! The consumer (消费者): deliveries spread over lanes by case, processed, acked only after commit.

use std::{
    hash::{Hash, Hasher},
    sync::Arc,
    time::Duration,
};

use futures::StreamExt;
use lapin::{
    message::Delivery,
    options::{
        BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions,
        BasicQosOptions, BasicRejectOptions,
    },
    types::FieldTable,
};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::{headers, metrics::MessagingMetrics, session::Session, settings::BrokerSettings};

/// What became of one delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Applied and committed: ack.
    Applied,
    /// Already applied before (inbox hit): ack and count.
    Duplicate,
    /// Cannot ever succeed (malformed, unknown type, invalid): reject to the dead-letter queue.
    Reject(String),
    /// Might succeed later (deadlock, a failing dependency): requeue after a pause; the queue's
    /// delivery limit dead-letters it eventually.
    Retry(String),
    /// The database is unreachable: hold the delivery and try again in place, with backoff, until
    /// it can be processed or the consumer stops. Does not count against the delivery limit.
    Unavailable(String),
}

/// Turns one delivery into an outcome. Implementations commit their effect before returning
/// `Applied`.
#[async_trait::async_trait]
pub trait DeliveryProcessor: Send + Sync + 'static {
    async fn process(&self, delivery: &Delivery) -> Outcome;
    /// Several deliveries of one lane, in order: one outcome each, in the same order. The default
    /// processes them one by one; a processor may apply them together (see
    /// [`crate::inbox::InboxProcessor`]), as long as each outcome is true of its delivery.
    async fn process_batch(
        &self,
        deliveries: &[Delivery],
        _metrics: &MessagingMetrics,
    ) -> Vec<Outcome> {
        let mut out = Vec::with_capacity(deliveries.len());
        for d in deliveries {
            out.push(self.process(d).await);
        }
        out
    }
    /// Best-effort note of why a message is being rejected, kept beside its dead letter.
    async fn note_rejection(&self, _message_id: &str, _reason: &str) {}
}

/// Decides, for a delivery whose effect just committed, whether to simulate a crash before the ack.
pub type CrashHook = Arc<dyn Fn(&Delivery) -> bool + Send + Sync>;

/// Test and fault-injection hooks.
#[derive(Clone, Default)]
pub struct ConsumerHooks {
    /// Called after the processor committed and before the ack; returning true simulates a crash
    /// at that point: the ack is never sent and the channel is closed, so the broker redelivers.
    pub crash_after_commit: Option<CrashHook>,
}

#[derive(Clone)]
pub struct ConsumerSpec {
    pub queue: String,
    pub tag: String,
    pub processor: Arc<dyn DeliveryProcessor>,
    pub hooks: ConsumerHooks,
}

pub(crate) async fn run_consumer(
    session: Arc<Session>,
    spec: ConsumerSpec,
    settings: BrokerSettings,
    metrics: MessagingMetrics,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let channel = session.connection.create_channel().await?;
    channel
        .basic_qos(settings.prefetch.max(1), BasicQosOptions::default())
        .await?;
    let tag = format!("{}-{}", spec.tag, uuid::Uuid::new_v4().simple());
    let mut consumer = channel
        .basic_consume(
            spec.queue.clone().into(),
            tag.clone().into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    tracing::info!(queue = %spec.queue, "consuming");

    let lanes = settings.lanes.max(1);
    let max_batch = settings.batch_size.max(1);
    let linger = std::time::Duration::from_millis(settings.batch_linger_ms);
    let crashed = CancellationToken::new();
    // Deliveries of this channel waiting for a delayed requeue (`Outcome::Retry`): while there are
    // any, a batch may not be acked with `multiple`, which would ack them too.
    let retrying = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // Deliveries handed to the lanes and not yet settled. When they fill the prefetch window the
    // broker sends nothing more until some are settled, so a lane must not wait for companions
    // then: with several lanes it would sit out its whole linger while another lane holds the rest
    // of the window.
    let held = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // The window as given to the broker (`basic_qos` above never takes 0).
    let window = usize::from(settings.prefetch.max(1));
    // Rung when the window fills, for the lanes waiting for companions.
    let full = Arc::new(tokio::sync::Notify::new());
    let mut senders = Vec::with_capacity(lanes);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..lanes {
        let (tx, mut rx) = mpsc::channel::<Delivery>(settings.prefetch.max(1) as usize);
        senders.push(tx);
        let spec = spec.clone();
        let metrics = metrics.clone();
        let channel = channel.clone();
        let crashed = crashed.clone();
        let stop_lane = stop.clone();
        let retrying = retrying.clone();
        let held = held.clone();
        let full = full.clone();
        workers.spawn(async move {
            let mut batch = Vec::with_capacity(max_batch);
            while let Some(delivery) = rx.recv().await {
                if crashed.is_cancelled() {
                    // Simulated crash: everything still held is left unacked for redelivery.
                    held.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    continue;
                }
                // Whatever else is already waiting in this lane joins the batch, and what arrives
                // within the linger (if any) too, unless the prefetch window is full (nothing more
                // can arrive before something is settled).
                batch.push(delivery);
                let until = tokio::time::Instant::now() + linger;
                while batch.len() < max_batch {
                    match rx.try_recv() {
                        Ok(d) => batch.push(d),
                        Err(_) if linger.is_zero() => break,
                        Err(_) => {
                            // Registered before the check, so that a window filling in between
                            // still wakes this lane.
                            let filled = full.notified();
                            tokio::pin!(filled);
                            filled.as_mut().enable();
                            if held.load(std::sync::atomic::Ordering::SeqCst) >= window {
                                break;
                            }
                            tokio::select! {
                                next = tokio::time::timeout_at(until, rx.recv()) => match next {
                                    Ok(Some(d)) => batch.push(d),
                                    _ => break,
                                },
                                // Take what has reached this lane, then go.
                                _ = &mut filled => {}
                            }
                        }
                    }
                }
                let outcomes = spec.processor.process_batch(&batch, &metrics).await;
                metrics.batch_size.observe(batch.len() as f64);
                // One ack for the whole batch (`multiple`: every delivery of the channel up to the
                // last one) when that acks nothing else: one lane (so every earlier delivery was
                // settled before this batch began), no delayed requeue pending, every outcome an
                // ack, and no crash to simulate between commit and ack.
                let ack_together = lanes == 1
                    && batch.len() > 1
                    && spec.hooks.crash_after_commit.is_none()
                    && retrying.load(std::sync::atomic::Ordering::SeqCst) == 0
                    && outcomes
                        .iter()
                        .all(|o| matches!(o, Outcome::Applied | Outcome::Duplicate));
                if let (true, false, Some(last)) =
                    (ack_together, crashed.is_cancelled(), batch.last())
                {
                    for (delivery, outcome) in batch.iter().zip(&outcomes) {
                        count(&metrics, delivery, outcome);
                    }
                    let multiple = BasicAckOptions { multiple: true };
                    if !matches!(last.acker.ack(multiple).await, Ok(true)) {
                        metrics.ack_failures.inc();
                    }
                    held.fetch_sub(batch.len(), std::sync::atomic::Ordering::SeqCst);
                    batch.clear();
                    continue;
                }
                for (delivery, outcome) in batch.drain(..).zip(outcomes) {
                    if !crashed.is_cancelled() {
                        settle(
                            &spec, &metrics, &delivery, outcome, &channel, &crashed, &stop_lane,
                            &retrying,
                        )
                        .await;
                    }
                    held.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                }
            }
        });
    }

    let result: anyhow::Result<()> = loop {
        tokio::select! {
            _ = stop.cancelled() => {
                let _ = channel.basic_cancel(tag.clone().into(), BasicCancelOptions::default()).await;
                break Ok(());
            }
            _ = crashed.cancelled() => {
                break Err(anyhow::anyhow!("simulated crash after commit"));
            }
            next = consumer.next() => match next {
                Some(Ok(delivery)) => {
                    if delivery.redelivered {
                        metrics.redeliveries.inc();
                    }
                    let lane = lane_of(&delivery, lanes);
                    if held.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 >= window {
                        full.notify_waiters();
                    }
                    if senders[lane].send(delivery).await.is_err() {
                        break Err(anyhow::anyhow!("lane closed"));
                    }
                }
                Some(Err(e)) => break Err(e.into()),
                None => break Err(anyhow::anyhow!("consumer stream ended")),
            }
        }
    };
    // In-flight deliveries finish (graceful shutdown) before the channel closes.
    drop(senders);
    while workers.join_next().await.is_some() {}
    if crashed.is_cancelled() {
        let _ = channel.close(200, "simulated crash".into()).await;
    } else if result.is_ok() {
        let _ = channel.close(200, "consumer stopped".into()).await;
    }
    result
}

fn lane_of(delivery: &Delivery, lanes: usize) -> usize {
    let key = headers::get_str(delivery.properties.headers(), headers::CASE_ID)
        .or_else(|| {
            delivery
                .properties
                .message_id()
                .as_ref()
                .map(|m| m.to_string())
        })
        .unwrap_or_default();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() % lanes as u64) as usize
}

/// Count a delivery's final outcome (and log a duplicate).
fn count(metrics: &MessagingMetrics, delivery: &Delivery, outcome: &Outcome) {
    let label = match outcome {
        Outcome::Applied => "applied",
        Outcome::Duplicate => "duplicate",
        Outcome::Reject(_) => "rejected",
        Outcome::Retry(_) => "retry",
        Outcome::Unavailable(_) => "unavailable",
    };
    metrics.consumed.with_label_values(&[label]).inc();
    if *outcome == Outcome::Duplicate {
        metrics.duplicates_skipped.inc();
        tracing::info!(message_id = %message_id_of(delivery), "duplicate delivery skipped by the inbox");
    }
}

fn message_id_of(delivery: &Delivery) -> String {
    delivery
        .properties
        .message_id()
        .as_ref()
        .map(|m| m.to_string())
        .unwrap_or_default()
}

/// Act on a delivery's outcome: ack, reject to the dead-letter queue, requeue after a pause, or
/// (database unavailable) hold it and process it again in place.
#[allow(clippy::too_many_arguments)]
async fn settle(
    spec: &ConsumerSpec,
    metrics: &MessagingMetrics,
    delivery: &Delivery,
    mut outcome: Outcome,
    channel: &lapin::Channel,
    crashed: &CancellationToken,
    stop: &CancellationToken,
    retrying: &Arc<std::sync::atomic::AtomicUsize>,
) {
    let mut pause = Duration::from_millis(200);
    while let Outcome::Unavailable(reason) = &outcome {
        metrics.consumed.with_label_values(&["unavailable"]).inc();
        tracing::warn!(routing_key = %delivery.routing_key, reason = %reason, pause_ms = pause.as_millis() as u64, "database unavailable; holding the delivery");
        tokio::select! {
            _ = stop.cancelled() => {
                // Left unacked: the broker redelivers it to whoever consumes next.
                return;
            }
            _ = tokio::time::sleep(pause) => {}
        }
        pause = (pause * 2).min(Duration::from_secs(5));
        outcome = spec.processor.process(delivery).await;
    }
    let message_id = message_id_of(delivery);
    count(metrics, delivery, &outcome);
    match outcome {
        Outcome::Applied | Outcome::Duplicate => {
            if let Some(hook) = &spec.hooks.crash_after_commit {
                if hook(delivery) {
                    tracing::warn!(message_id = %message_id, "simulated crash after commit, before ack");
                    crashed.cancel();
                    let _ = channel.close(200, "simulated crash".into()).await;
                    return;
                }
            }
            match delivery.acker.ack(BasicAckOptions::default()).await {
                Ok(true) => {}
                _ => metrics.ack_failures.inc(),
            }
        }
        Outcome::Reject(reason) => {
            tracing::error!(message_id = %message_id, routing_key = %delivery.routing_key, reason = %reason, "rejecting to the dead-letter queue");
            spec.processor.note_rejection(&message_id, &reason).await;
            metrics.dead_lettered.inc();
            if !matches!(
                delivery
                    .acker
                    .reject(BasicRejectOptions { requeue: false })
                    .await,
                Ok(true)
            ) {
                metrics.ack_failures.inc();
            }
        }
        Outcome::Unavailable(_) => {}
        Outcome::Retry(reason) => {
            let count =
                headers::get_i64(delivery.properties.headers(), "x-delivery-count").unwrap_or(0);
            let pause = Duration::from_millis((100u64 << count.clamp(0, 6) as u32).min(5_000));
            tracing::warn!(message_id = %message_id, routing_key = %delivery.routing_key, delivery_count = count, reason = %reason, "transient failure; requeueing");
            spec.processor.note_rejection(&message_id, &reason).await;
            let acker = delivery.acker.clone();
            let metrics = metrics.clone();
            retrying.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let retrying = retrying.clone();
            // The pause runs beside the lane so that other deliveries keep flowing.
            tokio::spawn(async move {
                tokio::time::sleep(pause).await;
                if !matches!(
                    acker
                        .nack(BasicNackOptions {
                            requeue: true,
                            multiple: false
                        })
                        .await,
                    Ok(true)
                ) {
                    metrics.ack_failures.inc();
                }
                retrying.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
            });
        }
    }
}
