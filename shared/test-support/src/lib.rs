//! Test harness (测试支撑): each test gets fresh databases and a private exchange/queue prefix,
//! both removed when the test ends (also when it panics), and waits by polling with a timeout.

// Only tests use this crate, and a harness that cannot set up must fail the test loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod case_register;
pub mod directory;

use std::{future::Future, time::Duration};

use lapin::{Connection, ConnectionProperties};
use secrecy::SecretString;
use sqlx::{Connection as _, Executor, PgConnection};
use xinfang_messaging::{BrokerSettings, OutboxSettings, Topology};
use xinfang_platform::{
    auth::{dev, Claims, TokenType},
    settings::{ApplicationSettings, AuthSettings, DatabaseSettings},
    PlatformSettings, Role,
};

/// The development key (开发密钥), private half, checked into the repository on purpose: the test
/// services trust its public half (`auth.public_keys`), exactly as `local.yaml` does.
pub const DEV_KEY_PEM: &str = include_str!("../../../deploy/dev-keys/dev-ed25519.pem");
pub const BUREAU: &str = "140423-XFJ";
pub const AMQP_URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

/// Resources of one test: database names and a broker prefix. Dropping it removes them.
pub struct TestEnv {
    /// HTTP workers and pool size per service (benchmarks raise them).
    pub workers: usize,
    pub pool_size: u32,
    /// Deliveries applied per consumer transaction (`broker.batch_size`).
    pub consumer_batch: usize,
    /// Lanes per consumer and how long a lane waits for a batch (`broker.lanes`,
    /// `broker.batch_linger_ms`).
    pub lanes: usize,
    pub batch_linger_ms: u64,
    /// `broker.single_active_consumer` of every service of this environment (as deployed: on).
    pub single_active_consumer: bool,
    pub id: String,
    pub prefix: String,
    databases: std::sync::Mutex<Vec<String>>,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    pub fn new() -> TestEnv {
        xinfang_platform::telemetry::init_for_tests();
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        TestEnv {
            workers: 1,
            pool_size: 4,
            consumer_batch: 32,
            // As deployed (`broker.lanes`, `broker.batch_linger_ms`), so that the services' tests
            // run the consumers as production does (one lane: batches acked together).
            lanes: xinfang_messaging::BrokerSettings::local("").lanes,
            batch_linger_ms: xinfang_messaging::BrokerSettings::local("").batch_linger_ms,
            single_active_consumer: xinfang_messaging::BrokerSettings::local("")
                .single_active_consumer,
            prefix: format!("t{id}."),
            id,
            databases: std::sync::Mutex::new(Vec::new()),
        }
    }

    /// Platform settings for `service` with its own fresh database (created by the service at start).
    pub fn settings(&self, service: &str) -> PlatformSettings {
        let db_name = format!("xf_test_{}_{}", self.id, service.replace('-', "_"));
        self.databases.lock().expect("lock").push(db_name.clone());
        PlatformSettings {
            application: ApplicationSettings {
                host: "127.0.0.1".into(),
                port: 0,
                workers: self.workers,
                json_limit: 64 * 1024,
                shutdown_timeout_secs: 5,
            },
            database: DatabaseSettings {
                host: "127.0.0.1".into(),
                port: 5432,
                username: "postgres".into(),
                password: SecretString::from(""),
                database_name: db_name,
                require_ssl: false,
                max_connections: self.pool_size,
                acquire_timeout_secs: 10,
                ping_idle_after_ms: xinfang_platform::settings::DEFAULT_PING_IDLE_AFTER_MS,
                create_if_missing: true,
            },
            broker: BrokerSettings {
                delivery_limit: 3,
                prefetch: 32,
                lanes: self.lanes,
                batch_size: self.consumer_batch,
                batch_linger_ms: self.batch_linger_ms,
                single_active_consumer: self.single_active_consumer,
                reconnect_min_ms: 100,
                reconnect_max_ms: 1_000,
                ..BrokerSettings::local(&self.prefix)
            },
            outbox: OutboxSettings {
                poll_interval_ms: 100,
                max_backoff_ms: 1_000,
                ..OutboxSettings::default()
            },
            auth: auth_settings(),
        }
    }

    pub fn topology(&self) -> Topology {
        Topology::new(&self.prefix, 3).with_single_active_consumer(self.single_active_consumer)
    }
}

/// Token settings of the test services: the development public key, trusted inline.
pub fn auth_settings() -> AuthSettings {
    AuthSettings::with_keys("xinfang", "xinfang", BUREAU, vec![dev::dev_jwk()])
}

/// Sign `claims` with the development key (kid `xinfang-dev-1`).
pub fn sign(claims: &Claims) -> String {
    dev::sign_with_dev_key(DEV_KEY_PEM, claims).expect("sign with the development key")
}

/// A person's claims valid for `ttl_secs` (negative: already expired).
pub fn person_claims(user: &str, unit: &str, roles: &[Role], ttl_secs: i64) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: user.to_string(),
        typ: TokenType::User,
        unit: Some(unit.to_string()),
        roles: roles.iter().map(|r| r.as_str().to_string()).collect(),
        scopes: Vec::new(),
        sid: None,
        iss: "xinfang".into(),
        aud: "xinfang".into(),
        iat: now,
        nbf: now.min(now + ttl_secs),
        exp: now + ttl_secs,
        jti: uuid::Uuid::new_v4().to_string(),
    }
}

/// A token for the test services, valid for an hour.
pub fn token(user: &str, unit: &str, roles: &[Role]) -> String {
    token_with_ttl(user, unit, roles, 3600)
}

/// A token valid for `ttl_secs` (negative: expired that long ago).
pub fn token_with_ttl(user: &str, unit: &str, roles: &[Role], ttl_secs: i64) -> String {
    let mut claims = person_claims(user, unit, roles, ttl_secs);
    if ttl_secs < 0 {
        claims.iat = claims.exp - 60;
        claims.nbf = claims.iat;
    }
    sign(&claims)
}

/// A service identity token (服务身份令牌) with `scopes`.
pub fn service_token(client_id: &str, scopes: &[&str]) -> String {
    let mut claims = person_claims(&format!("service:{client_id}"), "", &[], 300);
    claims.typ = TokenType::Service;
    claims.unit = None;
    claims.scopes = scopes.iter().map(|s| s.to_string()).collect();
    sign(&claims)
}

/// A bureau clerk's token.
pub fn clerk_token() -> String {
    token("clerk-1", BUREAU, &[Role::Clerk])
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        let databases =
            std::mem::take(&mut *self.databases.lock().unwrap_or_else(|e| e.into_inner()));
        let topology = self.topology();
        // Drop runs inside the test's runtime; clean up on a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(rt) = rt {
                rt.block_on(async move {
                    let _ = drop_databases(&databases).await;
                    let _ = delete_topology(&topology).await;
                });
            }
        })
        .join();
    }
}

pub async fn drop_databases(names: &[String]) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres").await?;
    for name in names {
        let _ = conn
            .execute(sqlx::AssertSqlSafe(format!(
                r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#
            )))
            .await;
    }
    Ok(())
}

pub async fn delete_topology(topology: &Topology) -> anyhow::Result<()> {
    let conn = Connection::connect(AMQP_URL, ConnectionProperties::default()).await?;
    let ch = conn.create_channel().await?;
    topology.delete(&ch).await?;
    let _ = conn.close(200, "cleanup".into()).await;
    Ok(())
}

/// Poll `check` until it yields `Some`, or fail after `timeout` with `what`.
pub async fn wait_for<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut pause = Duration::from_millis(20);
    loop {
        if let Some(v) = check().await {
            return v;
        }
        if tokio::time::Instant::now() >= deadline {
            panic!("timed out after {timeout:?} waiting for {what}");
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

/// A broker session of its own (no consumers), for tests that publish events as if another service
/// had. Stop it with the returned token.
pub async fn publisher(
    env: &TestEnv,
    as_service: xinfang_contracts::Producer,
) -> (
    std::sync::Arc<xinfang_messaging::Broker>,
    tokio_util::sync::CancellationToken,
) {
    let metrics = xinfang_messaging::MessagingMetrics::new(&prometheus::Registry::new())
        .expect("messaging metrics");
    let settings = BrokerSettings {
        delivery_limit: 3,
        single_active_consumer: env.single_active_consumer,
        reconnect_min_ms: 100,
        reconnect_max_ms: 1_000,
        ..BrokerSettings::local(&env.prefix)
    };
    let broker = xinfang_messaging::Broker::new(settings, as_service, metrics);
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(broker.clone().run(Vec::new(), stop.clone()));
    assert!(
        broker.wait_connected(Duration::from_secs(10)).await,
        "publisher broker session"
    );
    (broker, stop)
}

/// Publish envelopes to the platform exchange with confirms, as the outbox relay would.
pub async fn publish(
    broker: &xinfang_messaging::Broker,
    envelopes: &[xinfang_contracts::Envelope],
) {
    let messages: Vec<_> = envelopes
        .iter()
        .map(|e| xinfang_messaging::OutboundMessage {
            exchange: broker.topology.exchange(),
            routing_key: e.routing_key(),
            message_id: e.event_id.to_string(),
            payload: e.to_bytes(),
            headers: xinfang_messaging::headers::for_envelope(e),
            kind: e.routing_key(),
            correlation_id: Some(e.correlation_id.to_string()),
        })
        .collect();
    for r in broker.publish_batch(&messages).await {
        r.expect("event published");
    }
}

/// A service running in the test, on a free port, stopped through its shutdown token
/// ([`spawn_app`]).
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    pub port: u16,
    pub pool: sqlx::PgPool,
    pub broker: std::sync::Arc<xinfang_messaging::Broker>,
    pub waker: xinfang_messaging::OutboxWaker,
    pub shutdown: tokio_util::sync::CancellationToken,
    pub client: reqwest::Client,
    /// The service's units directory copy.
    pub directory: xinfang_platform::directory::Directory,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

/// Build a service (the future of a service's `startup::build…` over settings from a
/// [`TestEnv`]), run it without signal handling and return its handles. The caller keeps the
/// `TestEnv` alive for as long as the service runs.
pub async fn spawn_app<F>(build: F) -> TestApp
where
    F: Future<Output = anyhow::Result<xinfang_platform::Service>>,
{
    let app = build.await.expect("build the service");
    TestApp::start(app).await
}

impl TestApp {
    /// Run an already built service with the county's seeded units directory in its copy.
    pub async fn start(app: xinfang_platform::Service) -> TestApp {
        directory::add_units(app.pool(), app.directory(), &directory::seed_units()).await;
        TestApp::run(app)
    }

    /// Run an already built service as it is (its units directory copy as the database holds it).
    pub fn run(app: xinfang_platform::Service) -> TestApp {
        let app = app.without_signal_handling();
        let port = app.port();
        let pool = app.pool().clone();
        let broker = app.broker().clone();
        let waker = app.waker().clone();
        let shutdown = app.shutdown_token();
        let directory = app.directory().clone();
        let handle = tokio::spawn(app.run_until_stopped());
        TestApp {
            address: format!("http://127.0.0.1:{port}"),
            port,
            pool,
            broker,
            waker,
            shutdown,
            client: test_client(),
            directory,
            handle,
        }
    }

    /// Add units (beyond the seed) to this service's directory copy.
    pub async fn add_units(&self, units: &[xinfang_contracts::events::UnitRecordV1]) {
        directory::add_units(&self.pool, &self.directory, units).await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Wait until the service's broker session is up (its consumers run from then on).
    pub async fn wait_connected(&self) {
        assert!(
            self.broker.wait_connected(Duration::from_secs(15)).await,
            "broker session"
        );
    }

    /// A token for this service (they all share the test key).
    pub fn token(&self, user: &str, unit: &str, roles: &[Role]) -> String {
        token(user, unit, roles)
    }

    /// A bureau clerk's token.
    pub fn clerk_token(&self) -> String {
        clerk_token()
    }

    /// Stop gracefully, as SIGTERM would, and wait until the service has stopped.
    pub async fn stop(self) {
        self.shutdown.cancel();
        let _ = self.handle.await;
    }
}

/// An HTTP client that never reuses a connection the server may have closed for idleness (actix
/// closes keep-alive connections after 5 s; a test that pauses, e.g. while a broker restarts, would
/// otherwise send its next request on a dead connection).
pub fn test_client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(1))
        .build()
        .expect("HTTP client")
}
