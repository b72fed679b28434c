//! Prometheus metrics of the messaging layer (消息指标).

use prometheus::{Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry};

#[derive(Clone)]
pub struct MessagingMetrics {
    pub consumed: IntCounterVec,
    pub duplicates_skipped: IntCounter,
    pub redeliveries: IntCounter,
    pub dead_lettered: IntCounter,
    pub ack_failures: IntCounter,
    pub published: IntCounter,
    /// Confirmed publishes by routing key (e.g. `notification.notice.delivery_failed.v1`), for
    /// alerts on one kind of event (发布计数，按路由键).
    pub published_by_key: IntCounterVec,
    pub publish_failures: IntCounterVec,
    pub reconnects: IntCounter,
    pub outbox_backlog: IntGauge,
    pub outbox_oldest_age_seconds: IntGauge,
    pub consumer_lag: IntGauge,
    pub dead_letters_stored: IntGauge,
    pub broker_connected: IntGauge,
    pub batch_size: Histogram,
    pub batch_fallbacks: IntCounter,
}

impl MessagingMetrics {
    /// The messaging metrics, registered in `registry` (which must not hold them yet).
    pub fn new(registry: &Registry) -> prometheus::Result<MessagingMetrics> {
        let m = MessagingMetrics {
            consumed: IntCounterVec::new(
                Opts::new(
                    "xinfang_events_consumed_total",
                    "Deliveries processed, by outcome",
                ),
                &["outcome"],
            )?,
            duplicates_skipped: IntCounter::new(
                "xinfang_events_duplicates_skipped_total",
                "Deliveries skipped by the inbox because they were already applied",
            )?,
            redeliveries: IntCounter::new(
                "xinfang_events_redeliveries_total",
                "Deliveries flagged as redelivered",
            )?,
            dead_lettered: IntCounter::new(
                "xinfang_events_dead_lettered_total",
                "Deliveries this consumer rejected to the dead-letter queue",
            )?,
            ack_failures: IntCounter::new(
                "xinfang_events_ack_failures_total",
                "Acks not sent because the channel was gone (the broker redelivers)",
            )?,
            published: IntCounter::new(
                "xinfang_events_published_total",
                "Events confirmed by the broker",
            )?,
            published_by_key: IntCounterVec::new(
                Opts::new(
                    "xinfang_events_published_by_key_total",
                    "Events published and confirmed by the broker, by routing key",
                ),
                &["routing_key"],
            )?,
            publish_failures: IntCounterVec::new(
                Opts::new(
                    "xinfang_events_publish_failures_total",
                    "Publishes not confirmed, by kind",
                ),
                &["kind"],
            )?,
            reconnects: IntCounter::new(
                "xinfang_broker_reconnects_total",
                "Broker sessions re-established",
            )?,
            outbox_backlog: IntGauge::new(
                "xinfang_outbox_backlog",
                "Outbox rows not yet published",
            )?,
            outbox_oldest_age_seconds: IntGauge::new(
                "xinfang_outbox_oldest_age_seconds",
                "Age of the oldest unpublished outbox row",
            )?,
            consumer_lag: IntGauge::new(
                "xinfang_consumer_lag",
                "Messages ready in this service's queue",
            )?,
            dead_letters_stored: IntGauge::new(
                "xinfang_dead_letters",
                "Dead letters stored and not yet replayed",
            )?,
            broker_connected: IntGauge::new(
                "xinfang_broker_connected",
                "1 when the broker session is up",
            )?,
            batch_size: Histogram::with_opts(
                HistogramOpts::new(
                    "xinfang_events_batch_size",
                    "Deliveries applied together in one transaction",
                )
                .buckets(vec![1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0]),
            )?,
            batch_fallbacks: IntCounter::new(
                "xinfang_events_batch_fallbacks_total",
                "Batches rolled back and applied again one delivery at a time",
            )?,
        };
        for c in [
            Box::new(m.consumed.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(m.duplicates_skipped.clone()),
            Box::new(m.redeliveries.clone()),
            Box::new(m.dead_lettered.clone()),
            Box::new(m.ack_failures.clone()),
            Box::new(m.published.clone()),
            Box::new(m.published_by_key.clone()),
            Box::new(m.publish_failures.clone()),
            Box::new(m.reconnects.clone()),
            Box::new(m.outbox_backlog.clone()),
            Box::new(m.outbox_oldest_age_seconds.clone()),
            Box::new(m.consumer_lag.clone()),
            Box::new(m.dead_letters_stored.clone()),
            Box::new(m.broker_connected.clone()),
            Box::new(m.batch_size.clone()),
            Box::new(m.batch_fallbacks.clone()),
        ] {
            registry.register(c)?;
        }
        Ok(m)
    }
}
