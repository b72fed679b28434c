//! The service runner (服务运行器): database, migrations, broker session, consumers, outbox relay,
//! background workers and HTTP server, started together and stopped gracefully together. Every
//! service is one [`Service`], assembled by [`Service::builder`].

use std::{future::Future, net::TcpListener, sync::Arc, time::Duration};

use actix_web::{middleware::from_fn, web, App, HttpServer};
use futures::future::BoxFuture;
use prometheus::Registry;
use sqlx::{
    migrate::Migrator, postgres::PgPoolOptions, Connection, Executor, PgConnection, PgPool,
};
use tokio_util::sync::CancellationToken;
use tracing_actix_web::TracingLogger;
use xinfang_contracts::Producer;
use xinfang_messaging::{
    consumer::ConsumerSpec, dead_letters::DeadLetterStore, BatchWriter, Broker, ConsumerHooks,
    EventHandler, InboxProcessor, MessagingMetrics, OutboxWaker, Relay,
};

use crate::{
    auth::Verifier,
    directory::{self, Directory},
    error::{json_error_handler, not_found_route, path_error_handler, query_error_handler},
    http::{self, HttpMetrics, Probe},
    settings::{DatabaseSettings, PlatformSettings},
};

/// Create the database when missing.
pub async fn ensure_database(db: &DatabaseSettings) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect_with(&db.without_db().database("postgres")).await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&db.database_name)
            .fetch_one(&mut conn)
            .await?;
    if !exists {
        let name = db.database_name.replace('"', "\"\"");
        match conn
            .execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{name}""#)))
            .await
        {
            Ok(_) => tracing::info!(database = %db.database_name, "database created"),
            // A concurrent replica may have created it in between.
            Err(e) if e.to_string().contains("already exists") => {}
            Err(e) => return Err(e.into()),
        }
    }
    let _ = conn.close().await;
    Ok(())
}

/// Apply the platform's and the service's migrations.
pub async fn migrate(pool: &PgPool, service_migrator: &Migrator) -> anyhow::Result<()> {
    xinfang_messaging::migrator().run(pool).await?;
    crate::migrator().run(pool).await?;
    service_migrator.run(pool).await?;
    Ok(())
}

/// What a background worker (后台任务) gets: the service's pool, the relay's waker (to call after
/// committing outbox rows outside a [`xinfang_messaging::UnitOfWork::commit`]) and the token that
/// tells it to stop.
#[derive(Clone)]
pub struct WorkerContext {
    pub pool: PgPool,
    pub waker: OutboxWaker,
    pub shutdown: CancellationToken,
}

type Worker = Box<dyn FnOnce(WorkerContext) -> BoxFuture<'static, ()> + Send>;
type Configure = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// Assembles a [`Service`]: see [`Service::builder`].
pub struct ServiceBuilder {
    producer: Producer,
    settings: PlatformSettings,
    migrator: &'static Migrator,
    consumer: Option<(Arc<dyn EventHandler>, ConsumerHooks)>,
    writers: Vec<Arc<dyn BatchWriter>>,
    workers: Vec<(&'static str, Worker)>,
    openapi: Option<utoipa::openapi::OpenApi>,
    routes: Vec<Configure>,
    verifier: Option<Verifier>,
    directory: Directory,
    sql_gauges: Vec<crate::sql_gauges::SqlGauge>,
}

/// How often a replica checks whether another replica applied a directory change.
const DIRECTORY_REFRESH: Duration = Duration::from_secs(2);

/// Whether `producer` keeps a copy of the units directory (every service the console publishes
/// it to: its queue binds `console.unit.#`).
fn keeps_directory(producer: Producer) -> bool {
    xinfang_contracts::topology::bindings(producer)
        .iter()
        .any(|b| b.starts_with("console.unit") || *b == "#")
}

impl ServiceBuilder {
    /// The service's units directory copy (单位目录副本), loaded when the service is built and kept
    /// current by its consumer: hand it to the event handler or state that needs it.
    pub fn directory(&self) -> Directory {
        self.directory.clone()
    }

    /// Verify tokens with `verifier` instead of one built from `auth.*` (the console, which
    /// verifies with its own key set).
    pub fn verifier(mut self, verifier: Verifier) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// Consume the service's queue with `handler` (inbox-guarded, in batches) and store its dead
    /// letters; `hooks` inject faults in tests.
    pub fn consumer(mut self, handler: Arc<dyn EventHandler>, hooks: ConsumerHooks) -> Self {
        self.consumer = Some((handler, hooks));
        self
    }

    /// A writer of items the handler deferred, run at the end of each batch in the order added,
    /// after the audit rows (so that the service's most contended rows are locked last).
    pub fn batch_writer(mut self, writer: Arc<dyn BatchWriter>) -> Self {
        self.writers.push(writer);
        self
    }

    /// A background worker, started with the service and stopped (its token cancelled, then
    /// awaited) after the HTTP server and before the consumers on shutdown.
    pub fn worker<F, Fut>(mut self, name: &'static str, worker: F) -> Self
    where
        F: FnOnce(WorkerContext) -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.workers
            .push((name, Box::new(move |ctx| Box::pin(worker(ctx)))));
        self
    }

    /// A gauge `name` read from the service's database with `sql` (one bigint) every 30 s
    /// (see [`crate::sql_gauges`]).
    pub fn sql_gauge(mut self, name: &'static str, help: &'static str, sql: &'static str) -> Self {
        self.sql_gauges
            .push(crate::sql_gauges::SqlGauge { name, help, sql });
        self
    }

    /// The service's OpenAPI document, served merged with the platform's at
    /// `/api-docs/openapi.json`.
    pub fn openapi(mut self, api: utoipa::openapi::OpenApi) -> Self {
        self.openapi = Some(api);
        self
    }

    /// The service's routes and app data; called once per HTTP worker, in the order added.
    pub fn routes(
        mut self,
        configure: impl Fn(&mut web::ServiceConfig) + Send + Sync + 'static,
    ) -> Self {
        self.routes.push(Arc::new(configure));
        self
    }

    /// Shared state for the handlers (`web::Data<T>` extractors).
    pub fn app_data<T: Send + Sync + 'static>(self, data: web::Data<T>) -> Self {
        self.routes(move |cfg| {
            cfg.app_data(data.clone());
        })
    }

    /// Connect, migrate, bind the listener (port 0 picks a free port) and prepare the broker.
    /// Nothing runs until [`Service::run_until_stopped`].
    pub async fn build(self) -> anyhow::Result<Service> {
        let ServiceBuilder {
            producer,
            settings,
            migrator,
            consumer,
            writers,
            openapi,
            mut routes,
            mut workers,
            verifier,
            directory,
            sql_gauges,
        } = self;
        // Refuse a bad configuration before touching the database.
        let keys = match verifier {
            Some(v) => v,
            None => Verifier::from_settings(&settings.auth, crate::settings::is_production())?,
        };
        if settings.database.create_if_missing {
            ensure_database(&settings.database).await?;
        }
        let pool = pool_options(&settings.database)
            .connect_with(settings.database.with_db())
            .await?;
        migrate(&pool, migrator).await?;
        let consumer = if keeps_directory(producer) {
            directory.reload(&pool).await?;
            let refresh = directory.clone();
            workers.push((
                "directory-refresh",
                Box::new(move |ctx: WorkerContext| {
                    Box::pin(directory::refresh(
                        refresh,
                        ctx.pool,
                        DIRECTORY_REFRESH,
                        ctx.shutdown,
                    ))
                }),
            ));
            let data = web::Data::new(directory.clone());
            // First: a service's own `/api/v1` scope would otherwise swallow these paths.
            routes.insert(
                0,
                Arc::new(move |cfg| {
                    cfg.app_data(data.clone());
                    directory::api::configure(cfg);
                }),
            );
            consumer.map(|(handler, hooks)| {
                let wrapped: Arc<dyn EventHandler> = Arc::new(directory::events::WithDirectory {
                    inner: handler,
                    directory: directory.clone(),
                });
                (wrapped, hooks)
            })
        } else {
            consumer
        };
        let registry = Registry::new();
        let metrics = MessagingMetrics::new(&registry)?;
        let http_metrics = HttpMetrics::new(&registry)?;
        if !sql_gauges.is_empty() {
            let gauges = crate::sql_gauges::register(&registry, sql_gauges)?;
            let worker: Worker = Box::new(move |ctx: WorkerContext| {
                Box::pin(crate::sql_gauges::refresh_loop(
                    ctx.pool,
                    gauges,
                    ctx.shutdown,
                ))
            });
            workers.push(("sql-gauges", worker));
        }
        let broker = Broker::new(settings.broker.clone(), producer, metrics.clone());
        let listener = TcpListener::bind((
            settings.application.host.as_str(),
            settings.application.port,
        ))?;
        let port = listener.local_addr()?.port();
        let waker = OutboxWaker::new();
        let mut consumers = Vec::new();
        if let Some((handler, hooks)) = consumer {
            let topology = &broker.topology;
            let mut processor = InboxProcessor::new(pool.clone(), handler, Some(waker.clone()))
                .with_writer(Arc::new(crate::audit::AuditBatchWriter));
            for writer in writers {
                processor = processor.with_writer(writer);
            }
            consumers.push(ConsumerSpec {
                queue: topology.queue(producer),
                tag: format!("{producer}-events"),
                processor: Arc::new(processor),
                hooks,
            });
            consumers.push(ConsumerSpec {
                queue: topology.dead_letter_queue(producer),
                tag: format!("{producer}-dlq"),
                processor: Arc::new(DeadLetterStore { pool: pool.clone() }),
                hooks: ConsumerHooks::default(),
            });
        }
        if let Some(mut api) = openapi {
            if keeps_directory(producer) {
                use utoipa::OpenApi;
                api.merge(directory::api::DirectoryApi::openapi());
            }
            let document = Arc::new(http::openapi_json(api)?);
            routes.insert(
                0,
                Arc::new(move |cfg| http::serve_openapi(cfg, document.clone())),
            );
        }
        Ok(Service {
            producer,
            settings,
            pool,
            broker,
            waker,
            keys,
            registry,
            metrics,
            http_metrics,
            shutdown: CancellationToken::new(),
            port,
            listener,
            consumers,
            workers,
            routes,
            handle_signals: true,
            directory,
        })
    }
}

/// A built service (服务), ready to run: every service's `startup::build` returns one.
pub struct Service {
    producer: Producer,
    settings: PlatformSettings,
    pool: PgPool,
    broker: Arc<Broker>,
    waker: OutboxWaker,
    keys: Verifier,
    registry: Registry,
    metrics: MessagingMetrics,
    http_metrics: HttpMetrics,
    shutdown: CancellationToken,
    port: u16,
    listener: TcpListener,
    consumers: Vec<ConsumerSpec>,
    workers: Vec<(&'static str, Worker)>,
    routes: Vec<Configure>,
    /// Whether SIGTERM/SIGINT stop the service (production); tests stop it through `shutdown`.
    handle_signals: bool,
    directory: Directory,
}

impl Service {
    /// Start assembling a service: `migrator` holds the service's own migrations (the platform's
    /// and messaging's are applied too).
    pub fn builder(
        producer: Producer,
        settings: PlatformSettings,
        migrator: &'static Migrator,
    ) -> ServiceBuilder {
        ServiceBuilder {
            producer,
            settings,
            migrator,
            consumer: None,
            writers: Vec::new(),
            workers: Vec::new(),
            openapi: None,
            routes: Vec::new(),
            verifier: None,
            directory: Directory::new(),
            sql_gauges: Vec::new(),
        }
    }

    /// The service's units directory copy (单位目录副本).
    pub fn directory(&self) -> &Directory {
        &self.directory
    }

    /// The bound HTTP port (the real one when the settings asked for port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub fn broker(&self) -> &Arc<Broker> {
        &self.broker
    }

    pub fn waker(&self) -> &OutboxWaker {
        &self.waker
    }

    /// Cancelling it stops the service gracefully, as SIGTERM does.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Tests stop the service through its shutdown token instead of signals.
    pub fn without_signal_handling(mut self) -> Self {
        self.handle_signals = false;
        self
    }

    /// Serve HTTP, run the broker session with its consumers, the outbox relay and the workers,
    /// until SIGTERM (or the shutdown token). In-flight requests and deliveries finish before the
    /// process ends.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Service {
            producer,
            settings,
            pool,
            broker,
            waker,
            keys,
            registry,
            metrics,
            http_metrics,
            shutdown,
            listener,
            consumers,
            workers,
            routes,
            handle_signals,
            ..
        } = self;

        let refresh_keys = keys.clone();
        let server = build_server(
            listener,
            &settings,
            Probe {
                pool: pool.clone(),
                broker: broker.clone(),
                registry,
                metrics,
            },
            keys,
            http_metrics,
            pool.clone(),
            waker.clone(),
            move |cfg: &mut web::ServiceConfig| {
                for configure in &routes {
                    configure(cfg);
                }
            },
        )?;
        let server_handle = server.handle();
        let server_task = tokio::spawn(server);

        let consumer_stop = CancellationToken::new();
        let broker_close = CancellationToken::new();
        let broker_task = tokio::spawn(broker.clone().run_until_closed(
            consumers,
            consumer_stop.clone(),
            broker_close.clone(),
        ));
        let relay_stop = CancellationToken::new();
        let relay = Relay {
            pool: pool.clone(),
            broker: broker.clone(),
            settings: settings.outbox.clone(),
            waker: waker.clone(),
        };
        let relay_task = tokio::spawn(relay.run(relay_stop.clone()));
        let worker_stop = CancellationToken::new();
        let mut worker_tasks = tokio::task::JoinSet::new();
        // The trusted keys: fetched from the issuer from now on (retrying until it answers).
        worker_tasks.spawn(refresh_keys.run_refresh(worker_stop.clone()));
        for (name, worker) in workers {
            let ctx = WorkerContext {
                pool: pool.clone(),
                waker: waker.clone(),
                shutdown: worker_stop.clone(),
            };
            worker_tasks.spawn(async move {
                worker(ctx).await;
                tracing::debug!(worker = name, "worker stopped");
            });
        }
        tracing::info!(service = %producer, "service started");

        if handle_signals {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = wait_for_signal() => { tracing::info!("termination signal received"); }
            }
        } else {
            shutdown.cancelled().await;
        }
        tracing::info!(service = %producer, "shutting down gracefully");
        // 1. stop taking requests and let in-flight ones finish;
        server_handle.stop(true).await;
        let _ = server_task.await;
        // 2. stop the workers, letting a round in progress commit;
        worker_stop.cancel();
        while worker_tasks.join_next().await.is_some() {}
        // 3. stop consuming, finishing (and acking) what is in hand;
        consumer_stop.cancel();
        // 4. publish what was committed (the relay's last rounds, on the still open session), then
        //    close the broker session.
        relay_stop.cancel();
        let _ = relay_task.await;
        broker_close.cancel();
        let _ = broker_task.await;
        pool.close().await;
        tracing::info!(service = %producer, "stopped");
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn build_server<F>(
    listener: TcpListener,
    settings: &PlatformSettings,
    probe: Probe,
    keys: Verifier,
    http_metrics: HttpMetrics,
    pool: PgPool,
    waker: OutboxWaker,
    configure: F,
) -> std::io::Result<actix_web::dev::Server>
where
    F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
{
    let probe = web::Data::new(probe);
    let keys = web::Data::new(keys);
    let http_metrics = web::Data::new(http_metrics);
    let pool_data = web::Data::new(pool.clone());
    let waker_data = web::Data::new(waker.clone());
    let json_limit = settings.application.json_limit;
    let mut server = HttpServer::new(move || {
        App::new()
            // Innermost: the shared input rule (NUL characters, the JSON body kept for errors).
            .wrap(from_fn(crate::input_guard::guard))
            .wrap(from_fn(http::observe))
            .wrap(TracingLogger::default())
            .app_data(
                web::JsonConfig::default()
                    .limit(json_limit)
                    .error_handler(json_error_handler),
            )
            .app_data(crate::input_guard::JsonBodyLimit(json_limit))
            .app_data(web::QueryConfig::default().error_handler(query_error_handler))
            .app_data(web::PathConfig::default().error_handler(path_error_handler))
            .app_data(probe.clone())
            .app_data(keys.clone())
            .app_data(http_metrics.clone())
            .app_data(pool_data.clone())
            .app_data(waker_data.clone())
            .route("/health/live", web::get().to(http::live))
            .route("/health/ready", web::get().to(http::ready))
            .route("/metrics", web::get().to(http::metrics))
            .configure(configure.clone())
            .default_service(web::to(|req: actix_web::HttpRequest| async move {
                use actix_web::http::Method;
                // No route serves TRACE or CONNECT anywhere: 405, not 404.
                if matches!(*req.method(), Method::TRACE | Method::CONNECT) {
                    return Err::<actix_web::HttpResponse, _>(crate::error::method_not_allowed(
                        req.method(),
                    ));
                }
                Err::<actix_web::HttpResponse, _>(not_found_route().await)
            }))
    })
    .listen(listener)?
    .disable_signals()
    .shutdown_timeout(settings.application.shutdown_timeout_secs);
    if settings.application.workers > 0 {
        server = server.workers(settings.application.workers);
    }
    Ok(server.run())
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "no SIGTERM handler; stopping on Ctrl-C only");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The pool's options (连接池). sqlx pings a connection when it goes back to the pool (and drops it
/// if the ping fails) and, by default, pings it again when it is handed out: a round trip before
/// every statement run on the pool and every transaction. Here only a connection that has been idle
/// for `ping_idle_after_ms` is pinged on the way out, so a connection broken while it sat in the
/// pool (a database restart, a server-side timeout) is still replaced without an error, and one
/// released a moment ago is used as it is (docs/decisions/0022-ping-only-idle-connections.md).
fn pool_options(database: &crate::settings::DatabaseSettings) -> PgPoolOptions {
    let options = PgPoolOptions::new()
        .max_connections(database.max_connections)
        .acquire_timeout(Duration::from_secs(database.acquire_timeout_secs));
    if database.ping_idle_after_ms == 0 {
        return options;
    }
    let idle_limit = Duration::from_millis(database.ping_idle_after_ms);
    options
        .test_before_acquire(false)
        .before_acquire(move |conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= idle_limit {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

#[cfg(test)]
mod pool_tests {
    use std::time::{Duration, Instant};

    use secrecy::SecretString;
    use sqlx::{PgPool, Row};

    use super::pool_options;
    use crate::settings::DatabaseSettings;

    fn settings(ping_idle_after_ms: u64) -> DatabaseSettings {
        DatabaseSettings {
            host: "127.0.0.1".into(),
            port: 5432,
            username: "postgres".into(),
            password: SecretString::from(""),
            database_name: "postgres".into(),
            require_ssl: false,
            max_connections: 1,
            acquire_timeout_secs: 5,
            ping_idle_after_ms,
            create_if_missing: false,
        }
    }

    async fn backend_pid(pool: &PgPool) -> Result<i32, sqlx::Error> {
        sqlx::query("SELECT pg_backend_pid()")
            .fetch_one(pool)
            .await
            .map(|r| r.get(0))
    }

    /// Terminate the pool's one (idle) connection from outside, as a database restart would, and
    /// wait until its backend is gone.
    async fn kill_idle_connection(pool: &PgPool, pid: i32) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while pool.num_idle() != 1 {
            assert!(
                Instant::now() < deadline,
                "the connection never went back to the pool"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let admin = PgPool::connect_with(settings(0).with_db()).await.unwrap();
        sqlx::query("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .execute(&admin)
            .await
            .unwrap();
        loop {
            let alive: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = $1)")
                    .bind(pid)
                    .fetch_one(&admin)
                    .await
                    .unwrap();
            if !alive {
                break;
            }
            assert!(Instant::now() < deadline, "backend {pid} did not exit");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        admin.close().await;
    }

    #[tokio::test]
    async fn a_connection_broken_while_idle_long_enough_is_replaced_without_an_error() {
        let s = settings(50);
        let pool = pool_options(&s).connect_with(s.with_db()).await.unwrap();
        let first = backend_pid(&pool).await.unwrap();
        kill_idle_connection(&pool, first).await;
        tokio::time::sleep(Duration::from_millis(60)).await;
        let second = backend_pid(&pool)
            .await
            .expect("the idle connection is pinged, found broken and replaced");
        assert_ne!(first, second);
        pool.close().await;
    }

    #[tokio::test]
    async fn a_connection_released_a_moment_ago_is_used_without_a_ping() {
        // The limit is far away: the broken connection is handed out as it is, its statement
        // fails, and the pool drops it, so the next statement gets a new one.
        let s = settings(60_000);
        let pool = pool_options(&s).connect_with(s.with_db()).await.unwrap();
        let first = backend_pid(&pool).await.unwrap();
        kill_idle_connection(&pool, first).await;
        assert!(
            backend_pid(&pool).await.is_err(),
            "no ping before use: the broken connection's statement fails"
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        let second = loop {
            if let Ok(pid) = backend_pid(&pool).await {
                break pid;
            }
            assert!(Instant::now() < deadline, "the broken connection was kept");
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        assert_ne!(first, second);
        pool.close().await;
    }
}
