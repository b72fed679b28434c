//! The supervised broker session (消息代理会话).
//!
//! lapin's own recovery is not relied on: one supervision loop connects, declares the topology,
//! opens a confirming publish channel, starts the consumers, and on any connection or consumer
//! failure tears everything down and rebuilds it with exponential backoff.

use std::{sync::Arc, time::Duration};

use futures::StreamExt;
use lapin::{
    options::{BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions},
    types::FieldTable,
    BasicProperties, Channel, Confirmation, Connection, ConnectionProperties,
};
use tokio::{
    sync::{watch, Mutex},
    task::JoinSet,
};
use tokio_util::sync::CancellationToken;
use xinfang_contracts::Producer;

pub use crate::session::Session;
use crate::{
    consumer::{run_consumer, ConsumerSpec},
    metrics::MessagingMetrics,
    settings::BrokerSettings,
    topology::Topology,
};

/// A message ready to publish.
#[derive(Debug, Clone)]
pub struct OutboundMessage {
    pub exchange: String,
    pub routing_key: String,
    pub message_id: String,
    pub payload: Vec<u8>,
    pub headers: FieldTable,
    pub kind: String,
    pub correlation_id: Option<String>,
}

#[derive(Debug, thiserror::Error, Clone)]
pub enum PublishError {
    #[error("broker not connected")]
    NotConnected,
    #[error("unroutable: {0}")]
    Unroutable(String),
    #[error("nacked by the broker")]
    Nacked,
    #[error("no confirm within the timeout")]
    Unconfirmed,
    #[error("publisher confirms were not enabled")]
    ConfirmsNotRequested,
    #[error("channel error: {0}")]
    Channel(String),
}

impl PublishError {
    pub fn kind(&self) -> &'static str {
        match self {
            PublishError::NotConnected => "not_connected",
            PublishError::Unroutable(_) => "unroutable",
            PublishError::Nacked => "nacked",
            PublishError::Unconfirmed => "unconfirmed",
            PublishError::ConfirmsNotRequested => "confirms_not_requested",
            PublishError::Channel(_) => "channel",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BrokerStatus {
    Connected,
    Disconnected,
}

pub struct Broker {
    pub settings: BrokerSettings,
    pub service: Producer,
    pub topology: Topology,
    pub metrics: MessagingMetrics,
    session: watch::Sender<Option<Arc<Session>>>,
}

impl Broker {
    pub fn new(
        settings: BrokerSettings,
        service: Producer,
        metrics: MessagingMetrics,
    ) -> Arc<Broker> {
        let topology = Topology::new(&settings.prefix, settings.delivery_limit)
            .with_single_active_consumer(settings.single_active_consumer);
        let (tx, _) = watch::channel(None);
        Arc::new(Broker {
            settings,
            service,
            topology,
            metrics,
            session: tx,
        })
    }

    pub fn status(&self) -> BrokerStatus {
        match &*self.session.borrow() {
            Some(s) if s.connection.status().connected() => BrokerStatus::Connected,
            _ => BrokerStatus::Disconnected,
        }
    }

    pub fn current(&self) -> Option<Arc<Session>> {
        self.session.borrow().clone()
    }

    /// Wait until a session is up (or the timeout passes).
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let mut rx = self.session.subscribe();
        tokio::time::timeout(timeout, async {
            loop {
                if rx.borrow_and_update().is_some() {
                    return;
                }
                if rx.changed().await.is_err() {
                    return;
                }
            }
        })
        .await
        .is_ok()
    }

    #[tracing::instrument(skip(self), fields(service = %self.service))]
    async fn connect_once(&self) -> anyhow::Result<Arc<Session>> {
        let connection =
            Connection::connect(self.settings.url(), ConnectionProperties::default()).await?;
        let admin = connection.create_channel().await?;
        match self.topology.declare(&admin).await {
            Ok(()) => {
                let _ = admin.close(200, "topology declared".into()).await;
            }
            // The queues were declared by a version in the other consumer mode: the broker keeps a
            // queue's arguments for its life, so use them as they are (the refusal closed the channel).
            Err(e) if Topology::is_mismatch(&e) => {
                let existing = self
                    .topology
                    .clone()
                    .with_single_active_consumer(!self.topology.single_active_consumer);
                tracing::warn!(
                    error = %e,
                    configured = self.topology.single_active_consumer,
                    "the queues exist in the other consumer mode (single active consumer {}); using them as declared",
                    existing.single_active_consumer
                );
                let retry = connection.create_channel().await?;
                existing.declare(&retry).await?;
                let _ = retry.close(200, "topology declared".into()).await;
            }
            Err(e) => return Err(e.into()),
        }
        let publish = connection.create_channel().await?;
        publish
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        Ok(Arc::new(Session {
            connection,
            publish: Mutex::new(publish),
        }))
    }

    /// The supervision loop. Runs until `shutdown` is cancelled, then stops the consumers gracefully
    /// (in-flight deliveries finish and are acked) and closes the connection.
    pub async fn run(self: Arc<Self>, consumers: Vec<ConsumerSpec>, shutdown: CancellationToken) {
        let close = shutdown.clone();
        self.run_until_closed(consumers, shutdown, close).await
    }

    /// [`Broker::run`], but after `shutdown` stops the consumers the session stays open for
    /// publishing until `close` is cancelled too: a service's outbox relay makes its last round on
    /// it (publishing what was committed before the stop) and only then is the connection closed.
    pub async fn run_until_closed(
        self: Arc<Self>,
        consumers: Vec<ConsumerSpec>,
        shutdown: CancellationToken,
        close: CancellationToken,
    ) {
        let min = Duration::from_millis(self.settings.reconnect_min_ms);
        let max = Duration::from_millis(self.settings.reconnect_max_ms);
        let mut backoff = min;
        let mut first = true;
        while !shutdown.is_cancelled() {
            let session = match self.connect_once().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!(error = %e, backoff_ms = backoff.as_millis() as u64, "broker connection failed; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => break,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(max);
                    continue;
                }
            };
            if !first {
                self.metrics.reconnects.inc();
            }
            first = false;
            tracing::info!(service = %self.service, "broker session up");
            let mut events = Box::pin(session.connection.events_listener());
            self.session.send_replace(Some(session.clone()));
            self.metrics.broker_connected.set(1);

            let consumer_stop = shutdown.child_token();
            let mut tasks = JoinSet::new();
            for spec in &consumers {
                tasks.spawn(run_consumer(
                    session.clone(),
                    spec.clone(),
                    self.settings.clone(),
                    self.metrics.clone(),
                    consumer_stop.clone(),
                ));
            }
            let healthy_since = tokio::time::Instant::now();
            // Shutdown first: its cancellation also stops the consumers (their token is its
            // child), and a consumer ending then is not a reason to rebuild.
            let graceful = tokio::select! {
                biased;
                _ = shutdown.cancelled() => true,
                ev = next_error(&mut events) => {
                    tracing::warn!(error = %ev, "broker connection error; rebuilding the session");
                    false
                }
                r = tasks.join_next(), if !consumers.is_empty() => {
                    if shutdown.is_cancelled() {
                        true
                    } else {
                        tracing::warn!(result = ?r.map(|x| x.map_err(|e| e.to_string())), "a consumer stopped; rebuilding the session");
                        false
                    }
                }
            };
            if graceful {
                // Let consumers finish what they hold; publishers keep the session until `close`.
                consumer_stop.cancel();
                while tasks.join_next().await.is_some() {}
                close.cancelled().await;
                self.session.send_replace(None);
                self.metrics.broker_connected.set(0);
                let _ = session.connection.close(200, "shutdown".into()).await;
                break;
            }
            self.session.send_replace(None);
            self.metrics.broker_connected.set(0);
            consumer_stop.cancel();
            let _ = tokio::time::timeout(Duration::from_secs(5), async {
                while tasks.join_next().await.is_some() {}
            })
            .await;
            tasks.abort_all();
            let _ = session.connection.close(320, "rebuilding".into()).await;
            if healthy_since.elapsed() > Duration::from_secs(30) {
                backoff = min;
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(max);
        }
        self.session.send_replace(None);
        self.metrics.broker_connected.set(0);
    }

    /// Publish a batch with confirms pipelined: every message is sent, then every confirm awaited.
    /// One result per message, in order. Unroutable, nacked and unconfirmed are errors.
    pub async fn publish_batch(
        &self,
        messages: &[OutboundMessage],
    ) -> Vec<Result<(), PublishError>> {
        let Some(session) = self.current() else {
            return messages
                .iter()
                .map(|_| Err(PublishError::NotConnected))
                .collect();
        };
        let channel = session.publish.lock().await;
        let mut pending = Vec::with_capacity(messages.len());
        for m in messages {
            let mut props = BasicProperties::default()
                .with_delivery_mode(2)
                .with_content_type("application/json".into())
                .with_message_id(m.message_id.clone().into())
                .with_type(m.kind.clone().into())
                .with_app_id(self.service.as_str().into())
                .with_headers(m.headers.clone());
            if let Some(c) = &m.correlation_id {
                props = props.with_correlation_id(c.clone().into());
            }
            let r = channel
                .basic_publish(
                    m.exchange.clone().into(),
                    m.routing_key.clone().into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..Default::default()
                    },
                    &m.payload,
                    props,
                )
                .await;
            pending.push(r);
        }
        let timeout = Duration::from_millis(self.settings.confirm_timeout_ms);
        let mut results = Vec::with_capacity(messages.len());
        for (p, m) in pending.into_iter().zip(messages) {
            let r = match p {
                Err(e) => Err(PublishError::Channel(e.to_string())),
                Ok(confirm) => match tokio::time::timeout(timeout, confirm).await {
                    Err(_) => Err(PublishError::Unconfirmed),
                    Ok(Err(e)) => Err(PublishError::Channel(e.to_string())),
                    Ok(Ok(Confirmation::Ack(None))) => Ok(()),
                    Ok(Ok(Confirmation::Ack(Some(ret)))) => Err(PublishError::Unroutable(format!(
                        "{} {} ({})",
                        ret.reply_code, ret.reply_text, m.routing_key
                    ))),
                    Ok(Ok(Confirmation::Nack(_))) => Err(PublishError::Nacked),
                    Ok(Ok(Confirmation::NotRequested)) => Err(PublishError::ConfirmsNotRequested),
                },
            };
            match &r {
                Ok(()) => {
                    self.metrics.published.inc();
                    self.metrics
                        .published_by_key
                        .with_label_values(&[m.routing_key.as_str()])
                        .inc();
                }
                Err(e) => self
                    .metrics
                    .publish_failures
                    .with_label_values(&[e.kind()])
                    .inc(),
            }
            results.push(r);
        }
        results
    }

    /// Messages ready in a queue, read with a passive declare on a throw-away channel.
    pub async fn queue_depth(&self, queue: &str) -> Option<u32> {
        let session = self.current()?;
        let ch = session.connection.create_channel().await.ok()?;
        let q = ch
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .ok()?;
        let _ = ch.close(200, "depth".into()).await;
        Some(q.message_count())
    }

    /// A fresh channel on the live connection (operators' tools and tests).
    pub async fn channel(&self) -> Option<Channel> {
        let session = self.current()?;
        session.connection.create_channel().await.ok()
    }
}

async fn next_error(events: &mut (impl futures::Stream<Item = lapin::Event> + Unpin)) -> String {
    while let Some(ev) = events.next().await {
        if let lapin::Event::Error(e) = ev {
            return e.to_string();
        }
    }
    "connection event stream ended".to_string()
}
