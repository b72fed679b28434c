//! The service runtime (服务运行时): database, migrations, broker session, consumers, outbox relay
//! and HTTP server, started together and stopped gracefully together.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_web::{middleware::from_fn, web, App, HttpServer};
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
    auth::TokenKeys,
    error::{json_error_handler, not_found_route, path_error_handler, query_error_handler},
    http::{self, HttpMetrics, Probe},
    settings::{DatabaseSettings, PlatformSettings},
};

/// Everything a service needs at run time, built once by [`Runtime::build`].
pub struct Runtime {
    pub service: Producer,
    pub settings: PlatformSettings,
    pub pool: PgPool,
    pub broker: Arc<Broker>,
    pub waker: OutboxWaker,
    pub keys: TokenKeys,
    pub registry: Registry,
    pub metrics: MessagingMetrics,
    pub http_metrics: HttpMetrics,
    pub shutdown: CancellationToken,
    pub port: u16,
    listener: TcpListener,
    consumers: Vec<ConsumerSpec>,
    /// Whether SIGTERM/SIGINT stop the service (production); tests stop it through `shutdown`.
    pub handle_signals: bool,
}

/// Handles to a built runtime that tests and services keep after `run` consumes it.
#[derive(Clone)]
pub struct RuntimeParts {
    pub pool: PgPool,
    pub broker: Arc<Broker>,
    pub waker: OutboxWaker,
    pub shutdown: CancellationToken,
    pub port: u16,
}

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

impl Runtime {
    /// Connect, migrate, bind the listener (port 0 picks a free port) and prepare the broker.
    pub async fn build(
        service: Producer,
        settings: PlatformSettings,
        service_migrator: &Migrator,
    ) -> anyhow::Result<Runtime> {
        // Refuse a bad configuration before touching the database.
        let keys = TokenKeys::new(&settings.auth)?;
        if settings.database.create_if_missing {
            ensure_database(&settings.database).await?;
        }
        let pool = PgPoolOptions::new()
            .max_connections(settings.database.max_connections)
            .acquire_timeout(Duration::from_secs(settings.database.acquire_timeout_secs))
            .connect_with(settings.database.with_db())
            .await?;
        migrate(&pool, service_migrator).await?;
        let registry = Registry::new();
        let metrics = MessagingMetrics::new(&registry);
        let http_metrics = HttpMetrics::new(&registry);
        let broker = Broker::new(settings.broker.clone(), service, metrics.clone());
        let listener = TcpListener::bind((
            settings.application.host.as_str(),
            settings.application.port,
        ))?;
        let port = listener.local_addr()?.port();
        Ok(Runtime {
            service,
            settings,
            pool,
            broker,
            waker: OutboxWaker::new(),
            keys,
            registry,
            metrics,
            http_metrics,
            shutdown: CancellationToken::new(),
            port,
            listener,
            consumers: Vec::new(),
            handle_signals: true,
        })
    }

    /// Build and consume the service's queue with `handler` in one step.
    pub async fn start(
        service: Producer,
        settings: PlatformSettings,
        service_migrator: &Migrator,
        handler: Arc<dyn EventHandler>,
        hooks: ConsumerHooks,
    ) -> anyhow::Result<Runtime> {
        let mut runtime = Runtime::build(service, settings, service_migrator).await?;
        runtime.consume(handler, hooks);
        Ok(runtime)
    }

    /// Tests stop the service through its shutdown token instead of signals.
    pub fn without_signal_handling(mut self) -> Self {
        self.handle_signals = false;
        self
    }

    pub fn parts(&self) -> RuntimeParts {
        RuntimeParts {
            pool: self.pool.clone(),
            broker: self.broker.clone(),
            waker: self.waker.clone(),
            shutdown: self.shutdown.clone(),
            port: self.port,
        }
    }

    /// Consume this service's queue with `handler` (inbox-guarded) and drain its dead-letter queue.
    pub fn consume(&mut self, handler: Arc<dyn EventHandler>, hooks: ConsumerHooks) {
        self.consume_with_writers(handler, hooks, Vec::new());
    }

    /// [`Runtime::consume`], with the service's own writers of deferred items, which run at the end
    /// of each batch after the audit rows are written (so the service's most contended rows are
    /// locked last).
    pub fn consume_with_writers(
        &mut self,
        handler: Arc<dyn EventHandler>,
        hooks: ConsumerHooks,
        writers: Vec<Arc<dyn BatchWriter>>,
    ) {
        let topology = &self.broker.topology;
        let mut processor =
            InboxProcessor::new(self.pool.clone(), handler, Some(self.waker.clone()))
                .with_writer(Arc::new(crate::audit::AuditBatchWriter));
        for writer in writers {
            processor = processor.with_writer(writer);
        }
        self.consumers.push(ConsumerSpec {
            queue: topology.queue(self.service),
            tag: format!("{}-events", self.service),
            processor: Arc::new(processor),
            hooks,
        });
        self.consumers.push(ConsumerSpec {
            queue: topology.dead_letter_queue(self.service),
            tag: format!("{}-dlq", self.service),
            processor: Arc::new(DeadLetterStore {
                pool: self.pool.clone(),
            }),
            hooks: ConsumerHooks::default(),
        });
    }

    /// Serve HTTP, run the broker session with its consumers and the outbox relay, until SIGTERM
    /// (or the shutdown token). In-flight requests and deliveries finish before the process ends.
    pub async fn run<F>(self, configure: F) -> anyhow::Result<()>
    where
        F: Fn(&mut web::ServiceConfig) + Send + Clone + 'static,
    {
        let Runtime {
            service,
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
            handle_signals,
            ..
        } = self;

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
            configure,
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
            waker,
        };
        let relay_task = tokio::spawn(relay.run(relay_stop.clone()));
        tracing::info!(service = %service, "service started");

        if handle_signals {
            tokio::select! {
                _ = shutdown.cancelled() => {}
                _ = wait_for_signal() => { tracing::info!("termination signal received"); }
            }
        } else {
            shutdown.cancelled().await;
        }
        tracing::info!(service = %service, "shutting down gracefully");
        // 1. stop taking requests and let in-flight ones finish;
        server_handle.stop(true).await;
        let _ = server_task.await;
        // 2. stop consuming, finishing (and acking) what is in hand;
        consumer_stop.cancel();
        // 3. publish what was committed (the relay's last rounds, on the still open session), then
        //    close the broker session.
        relay_stop.cancel();
        let _ = relay_task.await;
        broker_close.cancel();
        let _ = broker_task.await;
        pool.close().await;
        tracing::info!(service = %service, "stopped");
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
fn build_server<F>(
    listener: TcpListener,
    settings: &PlatformSettings,
    probe: Probe,
    keys: TokenKeys,
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
            .wrap(from_fn(http::observe))
            .wrap(TracingLogger::default())
            .app_data(
                web::JsonConfig::default()
                    .limit(json_limit)
                    .error_handler(json_error_handler),
            )
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
            .default_service(web::to(|| async {
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
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

type Configure = Arc<dyn Fn(&mut web::ServiceConfig) + Send + Sync>;

/// A built service ready to run: the runtime plus the service's routes. Every service's
/// `Application::build` returns one.
pub struct Service {
    runtime: Runtime,
    configure: Configure,
}

impl Service {
    /// Build the runtime, consume the service's queue with `handler`, and keep `configure` (the
    /// service's routes and app data) for `run_until_stopped`. The OpenAPI document of `api` is
    /// served at `/api-docs/openapi.json`.
    pub async fn start(
        service: Producer,
        settings: PlatformSettings,
        migrator: &Migrator,
        handler: Arc<dyn EventHandler>,
        hooks: ConsumerHooks,
        api: utoipa::openapi::OpenApi,
        configure: impl Fn(&mut web::ServiceConfig) + Send + Sync + 'static,
    ) -> anyhow::Result<Service> {
        let runtime = Runtime::start(service, settings, migrator, handler, hooks).await?;
        let document = Arc::new(http::openapi_json(api));
        Ok(Service {
            runtime,
            configure: Arc::new(move |cfg| {
                http::serve_openapi(cfg, document.clone());
                configure(cfg);
            }),
        })
    }

    pub fn port(&self) -> u16 {
        self.runtime.port
    }

    pub fn parts(&self) -> RuntimeParts {
        self.runtime.parts()
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Tests stop the service through its shutdown token instead of signals.
    pub fn without_signal_handling(self) -> Self {
        Service {
            runtime: self.runtime.without_signal_handling(),
            configure: self.configure,
        }
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let configure = self.configure;
        self.runtime.run(move |cfg| configure(cfg)).await
    }
}
