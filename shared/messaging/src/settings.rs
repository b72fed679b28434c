use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// RabbitMQ settings (消息代理配置).
#[derive(Debug, Clone, Deserialize)]
pub struct BrokerSettings {
    /// `amqp://user:password@host:port/vhost`; secret because it holds the password.
    pub url: SecretString,
    /// Prefix for every exchange and queue name; tests use a unique one.
    #[serde(default)]
    pub prefix: String,
    /// Unacknowledged deliveries per consumer (never 0).
    #[serde(default = "default_prefetch")]
    pub prefetch: u16,
    /// Deliveries before a message is dead-lettered (`x-delivery-limit`).
    #[serde(default = "default_delivery_limit")]
    pub delivery_limit: u32,
    /// Parallel processing lanes per consumer; one case always goes to the same lane. One lane with
    /// batches (below) measured best on two cores; a machine with more may use more.
    #[serde(default = "default_lanes")]
    pub lanes: usize,
    /// Most deliveries of one lane applied in one transaction (1 = one by one). A batch takes only
    /// what is already waiting, so a quiet queue still sees each event at once.
    #[serde(default = "default_consumer_batch_size")]
    pub batch_size: usize,
    /// How long (ms) a lane whose batch is not full waits for more deliveries to join it (0 = never
    /// waits). A few milliseconds let events arriving close together share one transaction; an
    /// event alone is applied that much later. A lane never waits while the consumer's deliveries
    /// fill the prefetch window: none could arrive before some are settled.
    #[serde(default = "default_batch_linger_ms")]
    pub batch_linger_ms: u64,
    /// One replica at a time consumes each service's queue (单一活跃消费者, RabbitMQ's
    /// `x-single-active-consumer`); the others stand by and the broker hands the queue to one of
    /// them when the active one's channel closes (a crash, a restart, a lost connection). `false`:
    /// the replicas compete for deliveries. Either way each event is applied once (the inbox); a
    /// single consumer keeps each service's batches as large as one replica's, so a second replica
    /// adds availability without splitting the work into more, smaller transactions (decision 0019).
    /// A queue keeps the mode it was declared with: a service finding its queues in the other mode
    /// uses them as they are and says so in its log (`deploy/README.md`, section 7, to switch).
    #[serde(default = "default_single_active_consumer")]
    pub single_active_consumer: bool,
    #[serde(default = "default_reconnect_min_ms")]
    pub reconnect_min_ms: u64,
    #[serde(default = "default_reconnect_max_ms")]
    pub reconnect_max_ms: u64,
    /// How long a publish waits for the broker's confirm.
    #[serde(default = "default_confirm_timeout_ms")]
    pub confirm_timeout_ms: u64,
}

impl BrokerSettings {
    pub fn url(&self) -> &str {
        self.url.expose_secret()
    }

    pub fn local(prefix: &str) -> BrokerSettings {
        BrokerSettings {
            url: SecretString::from("amqp://guest:guest@127.0.0.1:5672/%2f"),
            prefix: prefix.to_string(),
            prefetch: default_prefetch(),
            delivery_limit: default_delivery_limit(),
            lanes: default_lanes(),
            batch_size: default_consumer_batch_size(),
            batch_linger_ms: default_batch_linger_ms(),
            single_active_consumer: default_single_active_consumer(),
            reconnect_min_ms: default_reconnect_min_ms(),
            reconnect_max_ms: default_reconnect_max_ms(),
            confirm_timeout_ms: default_confirm_timeout_ms(),
        }
    }
}

fn default_prefetch() -> u16 {
    64
}
fn default_delivery_limit() -> u32 {
    5
}
fn default_lanes() -> usize {
    1
}
fn default_consumer_batch_size() -> usize {
    32
}
fn default_batch_linger_ms() -> u64 {
    50
}
/// The default of [`BrokerSettings::single_active_consumer`] (and of [`crate::Topology::new`]).
pub const SINGLE_ACTIVE_CONSUMER_BY_DEFAULT: bool = true;

fn default_single_active_consumer() -> bool {
    SINGLE_ACTIVE_CONSUMER_BY_DEFAULT
}
fn default_reconnect_min_ms() -> u64 {
    200
}
fn default_reconnect_max_ms() -> u64 {
    10_000
}
fn default_confirm_timeout_ms() -> u64 {
    15_000
}

/// Outbox relay settings (发件箱转发).
#[derive(Debug, Clone, Deserialize)]
pub struct OutboxSettings {
    #[serde(default = "default_batch_size")]
    pub batch_size: i64,
    /// Poll interval when nothing wakes the relay (another replica wrote the row).
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// How long (ms) the relay, woken by a commit, waits for more commits to publish with it in one
    /// round (0 = publishes at once). Each round is a claim, a publish and an update: under a steady
    /// trickle of registrations a few milliseconds let several events share them; every event
    /// reaches the broker that much later.
    #[serde(default = "default_relay_linger_ms")]
    pub linger_ms: u64,
    /// Upper bound of the retry backoff of one row.
    #[serde(default = "default_max_backoff_ms")]
    pub max_backoff_ms: u64,
    /// Published rows older than this are deleted.
    #[serde(default = "default_retention_hours")]
    pub retention_hours: i64,
    /// On shutdown, how long the relay keeps trying to publish what was committed (rows in
    /// backoff are tried at once; a session that is reconnecting is waited for) before leaving the
    /// rest for the next start.
    #[serde(default = "default_drain_timeout_ms")]
    pub drain_timeout_ms: u64,
}

impl Default for OutboxSettings {
    fn default() -> Self {
        OutboxSettings {
            batch_size: default_batch_size(),
            poll_interval_ms: default_poll_interval_ms(),
            linger_ms: default_relay_linger_ms(),
            max_backoff_ms: default_max_backoff_ms(),
            retention_hours: default_retention_hours(),
            drain_timeout_ms: default_drain_timeout_ms(),
        }
    }
}

fn default_batch_size() -> i64 {
    200
}
fn default_poll_interval_ms() -> u64 {
    250
}
fn default_relay_linger_ms() -> u64 {
    20
}
fn default_max_backoff_ms() -> u64 {
    30_000
}
fn default_retention_hours() -> i64 {
    72
}
fn default_drain_timeout_ms() -> u64 {
    5_000
}
