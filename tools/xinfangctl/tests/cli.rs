//! End-to-end tests of the `xinfangctl` binary against the local PostgreSQL and RabbitMQ. Each test
//! uses a fresh database `xf_test_ctl_<random>` and a private broker prefix `t<random>.`, both
//! removed when the test ends (also when it panics).

// Test code: a failed unwrap is a failed test. clippy.toml allows it in `#[test]` functions; this
// also covers the helpers beside them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    process::Output,
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use lapin::{options::QueueDeclareOptions, types::FieldTable, Connection, ConnectionProperties};
use serde_json::{json, Value};
use sqlx::{Executor, PgPool};
use xinfang_contracts::Producer;
use xinfang_messaging::Topology;
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    auth::{Actor, Verifier},
    settings, PlatformSettings, Role,
};
use xinfang_test_support::{delete_topology, drop_databases, wait_for, AMQP_URL};

const BIN: &str = env!("CARGO_BIN_EXE_xinfangctl");

/// One test's database and broker prefix; dropping it removes both.
struct Ctl {
    db: String,
    prefix: String,
    uses_broker: AtomicBool,
}

/// What a run of the binary gave back.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

impl Ctl {
    fn new() -> Ctl {
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        Ctl {
            db: format!("xf_test_ctl_{id}"),
            prefix: format!("t{id}."),
            uses_broker: AtomicBool::new(false),
        }
    }

    /// Run the binary with this test's database and prefix (and `extra` environment variables).
    async fn run_with(&self, args: &[&str], extra: &[(&str, &str)]) -> Run {
        let mut cmd = tokio::process::Command::new(BIN);
        cmd.args(args);
        // Only this test's settings: nothing inherited from the developer's shell.
        for (k, _) in std::env::vars_os() {
            if k.to_string_lossy().starts_with("XINFANG_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("XINFANG_DATABASE__DATABASE_NAME", &self.db)
            .env("XINFANG_DATABASE__ACQUIRE_TIMEOUT_SECS", "2")
            .env("XINFANG_BROKER__PREFIX", &self.prefix)
            .env("XINFANG_BROKER__DELIVERY_LIMIT", "3")
            .env("XINFANG_BROKER__RECONNECT_MAX_MS", "500");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out: Output = tokio::time::timeout(Duration::from_secs(60), cmd.output())
            .await
            .expect("xinfangctl finished within a minute")
            .expect("xinfangctl runs");
        Run {
            code: out.status.code().expect("exited normally"),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    async fn run(&self, args: &[&str]) -> Run {
        self.run_with(args, &[]).await
    }

    /// `xinfangctl migrate --service intake`, which must succeed.
    async fn migrate(&self) {
        let r = self.run(&["migrate", "--service", "intake"]).await;
        assert_eq!(r.code, 0, "{r:?}");
    }

    async fn pool(&self) -> PgPool {
        PgPool::connect(&format!("postgres://postgres@127.0.0.1:5432/{}", self.db))
            .await
            .expect("test database")
    }

    fn topology(&self) -> Topology {
        Topology::new(&self.prefix, 3)
    }

    async fn broker(&self) -> Connection {
        self.uses_broker.store(true, Ordering::SeqCst);
        Connection::connect(AMQP_URL, ConnectionProperties::default())
            .await
            .expect("RabbitMQ on 127.0.0.1:5672")
    }
}

impl Drop for Ctl {
    fn drop(&mut self) {
        let db = self.db.clone();
        let topology = self
            .uses_broker
            .load(Ordering::SeqCst)
            .then(|| self.topology());
        // Drop runs inside the test's runtime; clean up on a thread with a runtime of its own.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async move {
                    let _ = drop_databases(&[db]).await;
                    if let Some(t) = topology {
                        let _ = delete_topology(&t).await;
                    }
                });
            }
        })
        .join();
    }
}

async fn table_exists(pool: &PgPool, table: &str) -> bool {
    sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(table)
        .fetch_one(pool)
        .await
        .expect("to_regclass")
}

#[tokio::test]
async fn token_verifies_with_the_intake_key() {
    let ctl = Ctl::new();
    let r = ctl
        .run(&[
            "token",
            "--user",
            "clerk-7",
            "--unit",
            "140423-XFJ",
            "--roles",
            "clerk,pii_viewer",
            "--ttl-hours",
            "2",
        ])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    assert_eq!(r.stdout.lines().count(), 1, "only the token: {r:?}");
    assert!(r.stderr.is_empty(), "{r:?}");

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../services/intake/configuration");
    let intake: PlatformSettings = settings::load(&dir).expect("intake settings");
    // As a local intake verifies it: with the development public key of its local.yaml.
    let verifier = Verifier::from_settings(&intake.auth, false).expect("intake keys");
    let claims = verifier
        .verify(r.stdout.trim())
        .await
        .expect("token verifies");
    let actor = Actor::from_claims(claims, verifier.bureau_unit()).expect("a person");
    assert_eq!(actor.user_id, "clerk-7");
    assert_eq!(actor.unit, "140423-XFJ");
    assert_eq!(actor.roles, vec![Role::Clerk, Role::PiiViewer]);
    assert!(actor.bureau);

    // In production it refuses: no production service trusts the development key.
    let prod = ctl
        .run_with(
            &["token", "--user", "u", "--unit", "x", "--roles", "admin"],
            &[("XINFANG_ENVIRONMENT", "production")],
        )
        .await;
    assert_eq!(prod.code, 2, "{prod:?}");
    assert!(prod.stdout.is_empty(), "{prod:?}");
}

#[tokio::test]
async fn usage_errors_exit_2() {
    let ctl = Ctl::new();
    let r = ctl
        .run(&[
            "token",
            "--user",
            "u",
            "--unit",
            "x",
            "--roles",
            "clerk,boss",
        ])
        .await;
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    assert!(r.stderr.contains("boss"), "{r:?}");
    for role in Role::ALL {
        assert!(r.stderr.contains(role.as_str()), "lists {role:?}: {r:?}");
    }

    let r = ctl.run(&["outbox", "--service", "petitions"]).await;
    assert_eq!(r.code, 2, "{r:?}");
    assert!(r.stderr.contains("administrative-review"), "{r:?}");

    let r = ctl.run(&["dlq", "replay", "--service", "intake"]).await;
    assert_eq!(r.code, 2, "--id or --all is required: {r:?}");

    let empty = std::env::temp_dir();
    let r = ctl
        .run(&[
            "token",
            "--config-dir",
            empty.to_str().expect("utf-8 temp dir"),
            "--user",
            "u",
            "--unit",
            "x",
            "--roles",
            "clerk",
        ])
        .await;
    assert_eq!(r.code, 2, "no base.yaml there: {r:?}");
}

#[tokio::test]
async fn unreachable_or_missing_database_exits_3() {
    let ctl = Ctl::new();
    let r = ctl
        .run_with(
            &["outbox", "--service", "intake"],
            &[("XINFANG_DATABASE__PORT", "1")],
        )
        .await;
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("127.0.0.1:1"), "{r:?}");

    // The fresh database does not exist yet: the operator is told to migrate.
    let r = ctl.run(&["audit", "verify", "--service", "intake"]).await;
    assert_eq!(r.code, 3, "{r:?}");
    assert!(r.stderr.contains("migrate --service intake"), "{r:?}");
}

#[tokio::test]
async fn migrate_creates_the_database_and_tables() {
    let ctl = Ctl::new();
    let r = ctl.run(&["migrate", "--service", "intake"]).await;
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains(&ctl.db), "{r:?}");
    assert!(r.stdout.contains("created"), "{r:?}");
    assert!(r.stdout.contains("0001 petitions"), "{r:?}");

    let pool = ctl.pool().await;
    for table in ["petitions", "outbox", "dead_letters", "audit_log"] {
        assert!(table_exists(&pool, table).await, "{table} exists");
    }
    pool.close().await;

    let again = ctl.run(&["migrate", "--service", "intake"]).await;
    assert_eq!(again.code, 0, "{again:?}");
    assert!(again.stdout.contains("exists"), "{again:?}");
    assert!(!again.stdout.contains("applied (已应用)"), "{again:?}");
}

#[tokio::test]
async fn audit_verify_passes_then_finds_the_tampered_row() {
    let ctl = Ctl::new();
    ctl.migrate().await;
    let pool = ctl.pool().await;
    let mut tx = pool.begin().await.expect("begin");
    let mut uow = xinfang_messaging::UnitOfWork::immediate(&mut tx);
    for i in 1..=4 {
        let entry = AuditEntry::system(
            "intake",
            "petition.register",
            None,
            json!({ "n": i, "note": "登记" }),
        );
        uow.audit(entry).await.expect("audit row");
    }
    drop(uow);
    tx.commit().await.expect("commit");

    let ok = ctl.run(&["audit", "verify", "--service", "intake"]).await;
    assert_eq!(ok.code, 0, "{ok:?}");
    assert!(ok.stdout.contains("OK"), "{ok:?}");
    assert!(ok.stdout.contains("4 rows checked"), "{ok:?}");

    let mut conn = pool.acquire().await.expect("connection");
    conn.execute(
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update; \
         UPDATE audit_log SET action = 'x' WHERE seq = 3;",
    )
    .await
    .expect("tamper as superuser");
    drop(conn);
    pool.close().await;

    let broken = ctl.run(&["audit", "verify", "--service", "intake"]).await;
    assert_eq!(broken.code, 1, "{broken:?}");
    assert!(broken.stdout.contains("seq 3"), "{broken:?}");
    assert!(broken.stdout.contains("altered"), "{broken:?}");

    let json = ctl
        .run(&["audit", "verify", "--service", "intake", "--json"])
        .await;
    assert_eq!(json.code, 1, "{json:?}");
    let v = json.json();
    assert_eq!(v["ok"], false);
    assert_eq!(v["rows_checked"], 4);
    assert_eq!(v["first_break"]["seq"], 3);
    assert_eq!(v["first_break"]["chain_seq"], 3);
}

#[tokio::test]
async fn dead_letters_are_listed_and_replayed() {
    let ctl = Ctl::new();
    ctl.migrate().await;
    let pool = ctl.pool().await;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO dead_letters (message_id, death_count, routing_key, source_queue, reason, detail, payload, headers)
         VALUES ($1, 1, 'intake.petition.registered.v1', $2, 'delivery_limit', '处理失败 handler failed', $3, $4)
         RETURNING id",
    )
    .bind("msg-dead-1")
    .bind(format!("{}intake.events", ctl.prefix))
    .bind(br#"{"event_id":"e-1"}"#.to_vec())
    .bind(json!({ "x-correlation-id": "corr-1" }))
    .fetch_one(&pool)
    .await
    .expect("dead letter");

    let list = ctl.run(&["dlq", "list", "--service", "intake"]).await;
    assert_eq!(list.code, 0, "{list:?}");
    for s in [
        "msg-dead-1",
        "delivery_limit",
        "intake.petition.registered.v1",
        "handler failed",
    ] {
        assert!(list.stdout.contains(s), "{s}: {list:?}");
    }
    let json = ctl
        .run(&["dlq", "list", "--service", "intake", "--json"])
        .await
        .json();
    assert_eq!(json.as_array().map(Vec::len), Some(1), "{json}");
    assert_eq!(json[0]["id"], id);
    assert_eq!(json[0]["message_id"], "msg-dead-1");

    let conn = ctl.broker().await;
    let channel = conn.create_channel().await.expect("channel");
    ctl.topology().declare(&channel).await.expect("topology");

    // Without a broker nothing is replayed.
    let down = ctl
        .run_with(
            &[
                "dlq",
                "replay",
                "--service",
                "intake",
                "--all",
                "--broker-timeout-secs",
                "1",
            ],
            &[("XINFANG_BROKER__URL", "amqp://guest:guest@127.0.0.1:1/%2f")],
        )
        .await;
    assert_eq!(down.code, 3, "{down:?}");
    assert!(
        !down.stderr.contains("guest:guest"),
        "no credentials: {down:?}"
    );

    let replay = ctl
        .run(&["dlq", "replay", "--service", "intake", "--all"])
        .await;
    assert_eq!(replay.code, 0, "{replay:?}");
    assert!(replay.stdout.contains("replayed 1"), "{replay:?}");

    let replayed_at: Option<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT replayed_at FROM dead_letters WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .expect("row");
    assert!(replayed_at.is_some(), "marked replayed");
    pool.close().await;

    let queue = ctl.topology().queue(Producer::Intake);
    assert_eq!(queue, format!("{}intake.events", ctl.prefix));
    let depth = wait_for(
        "the replayed message in the intake queue",
        Duration::from_secs(5),
        || async {
            let q = channel
                .queue_declare(
                    queue.clone().into(),
                    QueueDeclareOptions {
                        passive: true,
                        ..Default::default()
                    },
                    FieldTable::default(),
                )
                .await
                .expect("passive declare");
            (q.message_count() > 0).then_some(q.message_count())
        },
    )
    .await;
    assert_eq!(depth, 1);
    let _ = conn.close(200, "done".into()).await;

    let after = ctl.run(&["dlq", "list", "--service", "intake"]).await;
    assert_eq!(after.code, 0, "{after:?}");
    assert!(!after.stdout.contains("msg-dead-1"), "{after:?}");
    let all = ctl
        .run(&["dlq", "list", "--service", "intake", "--all", "--json"])
        .await
        .json();
    assert!(all[0]["replayed_at"].is_string(), "{all}");

    let unknown = ctl
        .run(&["dlq", "replay", "--service", "intake", "--id", "999"])
        .await;
    assert_eq!(unknown.code, 2, "{unknown:?}");
}

#[tokio::test]
async fn outbox_shows_the_backlog() {
    let ctl = Ctl::new();
    ctl.migrate().await;
    let pool = ctl.pool().await;
    let event_id = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO outbox (event_id, case_id, routing_key, envelope, attempts, last_error, created_at)
         VALUES ($1, $2, 'intake.petition.registered.v1', '{}', 2, 'unroutable: 312 NO_ROUTE', now() - interval '90 seconds')",
    )
    .bind(event_id)
    .bind(uuid::Uuid::new_v4())
    .execute(&pool)
    .await
    .expect("outbox row");
    pool.close().await;

    let r = ctl.run(&["outbox", "--service", "intake"]).await;
    assert_eq!(r.code, 0, "{r:?}");
    for s in [
        "backlog (待发送): 1",
        "1m 3",
        &event_id.to_string(),
        "intake.petition.registered.v1",
        "NO_ROUTE",
    ] {
        assert!(r.stdout.contains(s), "{s}: {r:?}");
    }

    let v = ctl
        .run(&["outbox", "--service", "intake", "--json"])
        .await
        .json();
    assert_eq!(v["backlog"], 1);
    assert!(v["oldest_age_secs"].as_i64().unwrap_or(0) >= 90, "{v}");
    assert_eq!(v["pending"][0]["attempts"], 2);
    assert_eq!(v["pending"][0]["event_id"], event_id.to_string());
    assert_eq!(v["pending"][0]["last_error"], "unroutable: 312 NO_ROUTE");
}

#[tokio::test]
async fn directory_republish_writes_every_unit_into_the_consoles_outbox() {
    let ctl = Ctl::new();
    let r = ctl.run(&["migrate", "--service", "console"]).await;
    assert_eq!(r.code, 0, "{r:?}");
    let r = ctl
        .run(&["directory", "republish", "--operator", "ops.wang", "--json"])
        .await;
    assert_eq!(r.code, 0, "{r:?}");
    let units = r.json()["units"].as_i64().expect("units");
    let pool = ctl.pool().await;
    let seeded: i64 = sqlx::query_scalar("SELECT count(*) FROM units")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(units, seeded);
    let announced: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE routing_key = 'console.unit.changed.v1' \
         AND envelope->'payload'->>'change' = 'republished' \
         AND envelope->'payload'->>'changed_by' = 'ops:ops.wang'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(announced, seeded);
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'unit.republished'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);
    pool.close().await;
}

// --- backup and restore (备份与恢复) ------------------------------------------------------------

/// Rows in every kind of table a backup must carry: audit chain, outbox (published and pending),
/// inbox, idempotency keys.
async fn fill_for_backup(pool: &PgPool) {
    let mut tx = pool.begin().await.expect("begin");
    let mut uow = xinfang_messaging::UnitOfWork::immediate(&mut tx);
    for i in 1..=5 {
        let entry = AuditEntry::system("intake", "petition.register", None, json!({ "n": i }));
        uow.audit(entry).await.expect("audit row");
    }
    drop(uow);
    tx.commit().await.expect("commit");
    for i in 0..7 {
        sqlx::query(
            "INSERT INTO outbox (event_id, routing_key, envelope, published_at) \
             VALUES ($1, 'intake.petition.accepted.v1', '{}', CASE WHEN $2 THEN now() END)",
        )
        .bind(uuid::Uuid::new_v4())
        .bind(i % 2 == 0)
        .execute(pool)
        .await
        .expect("outbox row");
    }
    for _ in 0..3 {
        sqlx::query("INSERT INTO processed_events (event_id, handler) VALUES ($1, 'intake')")
            .bind(uuid::Uuid::new_v4())
            .execute(pool)
            .await
            .expect("inbox row");
    }
}

async fn count(pool: &PgPool, table: &str) -> i64 {
    sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {table}")))
        .fetch_one(pool)
        .await
        .expect("count")
}

#[tokio::test]
async fn backup_then_restore_into_a_fresh_database_keeps_counts_and_audit_chain() {
    let ctl = Ctl::new();
    ctl.migrate().await;
    let pool = ctl.pool().await;
    fill_for_backup(&pool).await;
    let dir = std::env::temp_dir().join(format!("xf-backup-{}", ctl.db));
    let out = dir.to_str().unwrap();

    let b = ctl
        .run(&["backup", "--service", "intake", "--out", out, "--json"])
        .await;
    assert_eq!(b.code, 0, "{b:?}");
    let manifest = &b.json()[0];
    assert_eq!(manifest["tables"]["public.outbox"], 7, "{b:?}");
    assert_eq!(manifest["tables"]["public.processed_events"], 3, "{b:?}");
    assert_eq!(manifest["tables"]["public.audit_log"], 5, "{b:?}");
    assert_eq!(manifest["audit_ok"], true);
    assert!(dir.join("intake.dump").is_file());

    // Into a fresh database: same counts in every table, chain intact.
    let restored = format!("{}_r", ctl.db);
    let r = ctl
        .run(&[
            "restore",
            "--service",
            "intake",
            "--from",
            out,
            "--database",
            &restored,
        ])
        .await;
    let _guard = DropDb(vec![restored.clone(), format!("{}_r2", ctl.db)]);
    assert_eq!(r.code, 0, "{r:?}");
    assert!(r.stdout.contains("restore OK"), "{r:?}");
    let rpool = PgPool::connect(&format!("postgres://postgres@127.0.0.1:5432/{restored}"))
        .await
        .unwrap();
    for table in [
        "outbox",
        "processed_events",
        "audit_log",
        "_platform_migrations",
    ] {
        assert_eq!(
            count(&rpool, table).await,
            count(&pool, table).await,
            "{table}"
        );
    }
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        .fetch_one(&rpool)
        .await
        .unwrap();
    assert_eq!(
        pending, 3,
        "the pending outbox rows survive, to be published after a restore"
    );
    rpool.close().await;

    // An existing database is never overwritten without --replace.
    let again = ctl
        .run(&[
            "restore",
            "--service",
            "intake",
            "--from",
            out,
            "--database",
            &restored,
        ])
        .await;
    assert_eq!(again.code, 2, "{again:?}");

    // A manifest that disagrees with the dump fails the check (exit 1).
    let path = dir.join("intake.manifest.json");
    let mut m: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    m["tables"]["public.outbox"] = json!(8);
    std::fs::write(&path, m.to_string()).unwrap();
    let bad = ctl
        .run(&[
            "restore",
            "--service",
            "intake",
            "--from",
            out,
            "--database",
            &format!("{}_r2", ctl.db),
        ])
        .await;
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(
        bad.stdout.contains("public.outbox: 7 rows, backup had 8"),
        "{bad:?}"
    );
    pool.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Drops the named databases when the test ends.
struct DropDb(Vec<String>);

impl Drop for DropDb {
    fn drop(&mut self) {
        let dbs = self.0.clone();
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(async move {
                    let _ = drop_databases(&dbs).await;
                });
            }
        })
        .join();
    }
}

// --- PII key rotation (个人信息密钥轮换): the command's wiring; the re-sealing itself is tested
// end to end with a running intake in tests/tests/pii_rotation.rs.

#[tokio::test]
async fn pii_rotate_reads_the_new_and_previous_keys_from_the_environment() {
    let ctl = Ctl::new();
    ctl.migrate().await;
    let keys = [
        (
            "XINFANG_INTAKE__PII__ENCRYPTION_KEY",
            "q1i6pO0ZbY3l6lq2mX8m0xQ1Gm9b7eZ4nS1mFv3m2kE=",
        ),
        ("XINFANG_INTAKE__PII__KEY_VERSION", "2"),
        ("XINFANG_INTAKE__PII__PREVIOUS_KEYS__0__VERSION", "1"),
        (
            "XINFANG_INTAKE__PII__PREVIOUS_KEYS__0__KEY",
            "Iw9bAhrZe54Pr/oTzr7SAfCmyIWFizBvpo1kP43R9nA=",
        ),
    ];
    let r = ctl.run_with(&["pii", "rotate", "--json"], &keys).await;
    assert_eq!(r.code, 0, "{r:?}");
    let v = r.json();
    assert_eq!(v[0]["table"], "petitioners");
    assert_eq!(v[0]["key_version"], 2);
    assert_eq!(v[0]["remaining"], 0);

    let bad = ctl
        .run_with(
            &["pii", "rotate"],
            &[("XINFANG_INTAKE__PII__ENCRYPTION_KEY", "not base64")],
        )
        .await;
    assert_eq!(bad.code, 2, "{bad:?}");
}
