//! Harness for end-to-end tests: all five services in-process against the real PostgreSQL and
//! RabbitMQ, each with a fresh database, all sharing one private queue prefix.

// Only tests and the benchmark use this crate, and a harness that cannot set up must fail loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod console;

use std::time::Duration;

use serde_json::Value;
use xinfang_messaging::ConsumerHooks;
pub use xinfang_test_support::test_client;
use xinfang_test_support::{clerk_token, spawn_app, wait_for, TestApp, TestEnv};

/// One running service.
pub struct Service {
    pub name: &'static str,
    pub app: TestApp,
}

impl Service {
    pub fn url(&self, path: &str) -> String {
        self.app.url(path)
    }

    pub async fn stop(self) {
        self.app.stop().await
    }
}

async fn start(
    name: &'static str,
    build: impl std::future::Future<Output = anyhow::Result<xinfang_platform::Service>>,
) -> Service {
    Service {
        name,
        app: spawn_app(build).await,
    }
}

/// Hooks per service, for fault injection.
#[derive(Default, Clone)]
pub struct Hooks {
    pub supervision: ConsumerHooks,
    pub notification: ConsumerHooks,
    /// Supervision's timer clock and timer interval (ms), to fire the steps of a chosen day (the
    /// lifecycle benchmark: windows that lapse a month after delivery).
    pub supervision_timer: Option<(supervision::deadlines::domain::calendar::Clock, u64)>,
}

pub struct Platform {
    pub env: TestEnv,
    pub intake: Service,
    pub mediation: Service,
    pub review: Service,
    pub supervision: Service,
    pub notification: Service,
    pub client: reqwest::Client,
}

pub async fn start_intake(env: &TestEnv) -> Service {
    start(
        "intake",
        intake::startup::build(intake::configuration::Settings {
            platform: env.settings("intake"),
            intake: intake::configuration::IntakeSettings {
                division_code: "140423".into(),
            },
        }),
    )
    .await
}

pub async fn start_supervision(env: &TestEnv, hooks: ConsumerHooks) -> Service {
    start(
        "supervision",
        supervision::startup::build_with_hooks(
            supervision::configuration::Settings {
                platform: env.settings("supervision"),
                supervision: supervision::configuration::SupervisionSettings {
                    calendar_dir: String::new(),
                    limits: Default::default(),
                },
            },
            hooks,
        ),
    )
    .await
}

/// Supervision with its timers on `clock`, looking for due steps every `interval_ms`.
pub async fn start_supervision_at(
    env: &TestEnv,
    hooks: ConsumerHooks,
    clock: supervision::deadlines::domain::calendar::Clock,
    interval_ms: u64,
) -> Service {
    let mut limits = supervision::configuration::Limits::default();
    limits.engine.timer_interval_ms = interval_ms;
    let build = async move {
        let (app, _) = supervision::startup::build_with(
            supervision::configuration::Settings {
                platform: env.settings("supervision"),
                supervision: supervision::configuration::SupervisionSettings {
                    calendar_dir: String::new(),
                    limits,
                },
            },
            supervision::startup::SupervisionOptions {
                hooks,
                timer_clock: Some(clock),
            },
        )
        .await?;
        Ok(app)
    };
    start("supervision", build).await
}

pub async fn start_notification(env: &TestEnv, hooks: ConsumerHooks) -> Service {
    start(
        "notification",
        notification::startup::build_with_hooks(
            notification::configuration::Settings {
                platform: env.settings("notification"),
                notification: Default::default(),
            },
            hooks,
        ),
    )
    .await
}

impl Platform {
    pub async fn start() -> Platform {
        Platform::start_with(Hooks::default()).await
    }

    pub async fn start_with(hooks: Hooks) -> Platform {
        Platform::start_in(TestEnv::new(), hooks).await
    }

    /// Start in a prepared environment (benchmarks tune workers and pools).
    pub async fn start_in(env: TestEnv, hooks: Hooks) -> Platform {
        let intake = start_intake(&env).await;
        let mediation = start(
            "mediation",
            mediation::startup::build(mediation::configuration::Settings {
                platform: env.settings("mediation"),
            }),
        )
        .await;
        let review = start(
            "administrative-review",
            administrative_review::startup::build(administrative_review::configuration::Settings {
                platform: env.settings("administrative-review"),
            }),
        )
        .await;
        let supervision = match hooks.supervision_timer {
            None => start_supervision(&env, hooks.supervision).await,
            Some((clock, interval_ms)) => {
                start_supervision_at(&env, hooks.supervision, clock, interval_ms).await
            }
        };
        let notification = start_notification(&env, hooks.notification).await;
        let p = Platform {
            env,
            intake,
            mediation,
            review,
            supervision,
            notification,
            client: test_client(),
        };
        for s in p.services() {
            assert!(
                s.app.broker.wait_connected(Duration::from_secs(15)).await,
                "{} broker session",
                s.name
            );
        }
        p
    }

    /// Add units beyond the seeded directory to every service's copy (as if the console had
    /// published them).
    pub async fn add_units(&self, units: &[xinfang_contracts::events::UnitRecordV1]) {
        for s in self.services() {
            s.app.add_units(units).await;
        }
    }

    pub fn services(&self) -> [&Service; 5] {
        [
            &self.intake,
            &self.mediation,
            &self.review,
            &self.supervision,
            &self.notification,
        ]
    }

    /// Register a petition through intake's API; returns the response body.
    pub async fn register(&self, body: &Value) -> Value {
        let res = self
            .client
            .post(self.intake.url("/api/v1/petitions"))
            .bearer_auth(clerk_token())
            .json(body)
            .send()
            .await
            .expect("register");
        assert_eq!(res.status().as_u16(), 201, "registration failed");
        res.json().await.expect("json")
    }

    /// GET with a clerk token; returns (status, body).
    pub async fn get(&self, url: String) -> (u16, Value) {
        let res = self
            .client
            .get(url)
            .bearer_auth(clerk_token())
            .send()
            .await
            .expect("get");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// Wait until `count_sql` (a `SELECT count(*)`) on the service's database returns `expected`.
    pub async fn wait_count(
        &self,
        service: &Service,
        count_sql: &'static str,
        expected: i64,
        timeout: Duration,
    ) {
        let pool = service.app.pool.clone();
        wait_for(
            &format!("{} rows in {} ({count_sql})", expected, service.name),
            timeout,
            || {
                let pool = pool.clone();
                async move {
                    let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(count_sql))
                        .fetch_one(&pool)
                        .await
                        .ok()?;
                    (n == expected).then_some(())
                }
            },
        )
        .await
    }

    pub async fn stop(self) {
        let Platform {
            intake,
            mediation,
            review,
            supervision,
            notification,
            env,
            ..
        } = self;
        for s in [intake, mediation, review, supervision, notification] {
            s.stop().await;
        }
        drop(env);
    }
}

/// A petition as the window clerk would enter it, received today.
/// The in-process benchmarks' platform settings (bench-e2e, bench-lifecycle): 2 HTTP workers and 16
/// connections per service, consumers as deployed; overridden by `BENCH_WORKERS`,
/// `BENCH_CONSUMER_BATCH`, `BENCH_LANES` and `BENCH_LINGER_MS`.
pub fn bench_env() -> TestEnv {
    fn var<T: std::str::FromStr>(name: &str) -> Option<T> {
        std::env::var(name).ok().and_then(|v| v.parse().ok())
    }
    let mut env = TestEnv::new();
    env.workers = var("BENCH_WORKERS").unwrap_or(2);
    env.pool_size = 16;
    let deployed = xinfang_messaging::BrokerSettings::local("");
    env.consumer_batch = var("BENCH_CONSUMER_BATCH").unwrap_or(env.consumer_batch);
    env.lanes = var("BENCH_LANES").unwrap_or(deployed.lanes);
    env.batch_linger_ms = var("BENCH_LINGER_MS").unwrap_or(deployed.batch_linger_ms);
    env
}

pub fn petition(summary: &str) -> Value {
    serde_json::json!({ "channel": "visit", "summary": summary, "petitioners": [{ "name": "张三" }] })
}

/// A petition received on a given day (YYYY-MM-DD), for tests that check statutory dates.
pub fn petition_received_on(summary: &str, received_on: &str) -> Value {
    let mut p = petition(summary);
    p["received_on"] = serde_json::json!(received_on);
    p
}

/// Benchmarks only: autovacuum, on a PostgreSQL server where it is off (as on the development
/// machines), following the server's own autovacuum settings, so that a benchmark measures the
/// platform on a server as deployed (autovacuum on, PostgreSQL's default) and neither a server that
/// never analyses (every prepared statement would keep the plan it got while its tables were nearly
/// empty: sequential scans that grow with the run) nor one that analyses far more than autovacuum
/// would (an `ANALYZE` of every table of every database every few seconds took a third of
/// PostgreSQL's CPU in `bench-deployed`).
///
/// As autovacuum's launcher does, it visits one database every `autovacuum_naptime` / number of
/// databases, so each database once per naptime (60 s by default), and there vacuums the tables with
/// more dead rows than `autovacuum_vacuum_threshold + autovacuum_vacuum_scale_factor × rows` or
/// more inserts since their last vacuum than `autovacuum_vacuum_insert_threshold +
/// autovacuum_vacuum_insert_scale_factor × rows`, and analyses those with more changed rows than
/// `autovacuum_analyze_threshold + autovacuum_analyze_scale_factor × rows`, throttled by
/// `autovacuum_vacuum_cost_delay` / `autovacuum_vacuum_cost_limit`. `every` overrides the interval
/// between two visits (`None`: the server's naptime / databases). `None` when autovacuum is on.
pub async fn stand_in_for_autovacuum(
    pools: Vec<sqlx::PgPool>,
    every: Option<Duration>,
) -> Option<tokio::task::JoinHandle<()>> {
    let first = pools.first()?;
    let autovacuum: String = sqlx::query_scalar("SHOW autovacuum")
        .fetch_one(first)
        .await
        .ok()?;
    if autovacuum != "off" || pools.is_empty() {
        return None;
    }
    let naptime: f64 = sqlx::query_scalar(
        "SELECT setting::float8 FROM pg_settings WHERE name = 'autovacuum_naptime'",
    )
    .fetch_one(first)
    .await
    .unwrap_or(60.0);
    let every =
        every.unwrap_or_else(|| Duration::from_secs_f64(naptime.max(1.0) / pools.len() as f64));
    Some(tokio::spawn(async move {
        for pool in pools.iter().cycle() {
            tokio::time::sleep(every).await;
            if let Err(e) = autovacuum_round(pool).await {
                eprintln!("autovacuum stand-in: {e}");
            }
        }
    }))
}

/// One visit of [`stand_in_for_autovacuum`] to a database: what autovacuum would vacuum and analyse
/// there now, with its thresholds and its cost-based delay.
async fn autovacuum_round(pool: &sqlx::PgPool) -> Result<(), sqlx::Error> {
    let tables: Vec<(String, bool, bool)> = sqlx::query_as(
        "WITH s AS (
             SELECT name, setting::float8 AS v FROM pg_settings WHERE name LIKE 'autovacuum_%'),
         t AS (
             SELECT format('%I.%I', u.schemaname, u.relname) AS name,
                    greatest(c.reltuples, 0) AS rows, u.n_dead_tup, u.n_ins_since_vacuum,
                    u.n_mod_since_analyze
             FROM pg_stat_user_tables u JOIN pg_class c ON c.oid = u.relid)
         SELECT t.name,
                t.n_dead_tup > (SELECT v FROM s WHERE name = 'autovacuum_vacuum_threshold')
                               + (SELECT v FROM s WHERE name = 'autovacuum_vacuum_scale_factor') * t.rows
                OR t.n_ins_since_vacuum > (SELECT v FROM s WHERE name = 'autovacuum_vacuum_insert_threshold')
                               + (SELECT v FROM s WHERE name = 'autovacuum_vacuum_insert_scale_factor') * t.rows,
                t.n_mod_since_analyze > (SELECT v FROM s WHERE name = 'autovacuum_analyze_threshold')
                               + (SELECT v FROM s WHERE name = 'autovacuum_analyze_scale_factor') * t.rows
         FROM t",
    )
    .fetch_all(pool)
    .await?;
    let mut conn = pool.acquire().await?;
    // autovacuum's throttle (its cost limit -1 means vacuum_cost_limit's).
    sqlx::raw_sql(
        "SELECT set_config('vacuum_cost_delay', current_setting('autovacuum_vacuum_cost_delay'), false),
                set_config('vacuum_cost_limit',
                           CASE current_setting('autovacuum_vacuum_cost_limit') WHEN '-1'
                                THEN current_setting('vacuum_cost_limit')
                                ELSE current_setting('autovacuum_vacuum_cost_limit') END, false)",
    )
    .execute(&mut *conn)
    .await?;
    for (table, vacuum, analyze) in tables {
        let sql = match (vacuum, analyze) {
            (true, true) => format!("VACUUM (ANALYZE) {table}"),
            (true, false) => format!("VACUUM {table}"),
            (false, true) => format!("ANALYZE {table}"),
            (false, false) => continue,
        };
        // Table names from the catalogue, quoted by format('%I').
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut *conn)
            .await?;
    }
    sqlx::raw_sql("RESET vacuum_cost_delay; RESET vacuum_cost_limit")
        .execute(&mut *conn)
        .await?;
    Ok(())
}
