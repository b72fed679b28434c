//! Messaging over RabbitMQ (消息总线): topology, a supervised connection, a confirming publisher,
//! the transactional outbox and its relay, the inbox-guarded consumer and the dead-letter store.
//!
//! Delivery is at-least-once; the *effect* is exactly-once because every handler records
//! `(event_id, handler)` in `processed_events` inside the transaction of its state change, and acks
//! only after that transaction commits.

pub mod availability;
pub mod broker;
pub mod consumer;
pub mod dead_letters;
pub mod headers;
pub mod inbox;
pub mod metrics;
pub mod outbox;
pub mod session;
pub mod settings;
pub mod topology;
pub mod unit_of_work;

pub use broker::{Broker, BrokerStatus, OutboundMessage, PublishError};
pub use consumer::{ConsumerHooks, DeliveryProcessor, Outcome};
pub use inbox::{
    handle_each, is_registration, runs, BatchWriter, EventHandler, HandlerError, InboxProcessor,
    Run,
};
pub use metrics::MessagingMetrics;
pub use outbox::{Outbox, OutboxWaker, Relay};
pub use settings::{BrokerSettings, OutboxSettings};
pub use topology::Topology;
pub use unit_of_work::{Deferred, UnitOfWork};

/// Migrations of the tables every service has (outbox, inbox, dead letters). They are tracked in
/// their own table so that each service's own migrations stay independent.
pub fn migrator() -> sqlx::migrate::Migrator {
    let mut m = sqlx::migrate!("./migrations");
    m.dangerous_set_table_name("_messaging_migrations");
    m
}
