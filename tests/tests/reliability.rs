//! Exactly-once effects over at-least-once delivery, crash windows, poison messages, audit tampering.

// Test code: a failed unwrap is a failed test. clippy.toml allows it in `#[test]` functions; this
// also covers the helpers beside them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{
    sync::{
        atomic::{AtomicBool, AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};
use xinfang_messaging::UnitOfWork;
use xinfang_platform::audit::AuditExt;

use lapin::types::FieldTable;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use xinfang_contracts::{events::PetitionRegisteredV1, DomainEvent, Envelope, Producer};
use xinfang_e2e::{petition, Hooks, Platform};
use xinfang_messaging::{
    consumer::ConsumerSpec, dead_letters::DeadLetterStore, headers, Broker, ConsumerHooks,
    EventHandler, HandlerError, InboxProcessor, MessagingMetrics, OutboundMessage, Outcome,
};
use xinfang_test_support::{wait_for, TestEnv};

async fn metric(p: &Platform, svc: &xinfang_e2e::Service, name: &str) -> f64 {
    let text = p
        .client
        .get(svc.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(name) && !l.starts_with('#'))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

async fn registered_envelope(p: &Platform) -> Envelope {
    let v: serde_json::Value =
        sqlx::query_scalar("SELECT envelope FROM outbox ORDER BY id LIMIT 1")
            .fetch_one(&p.intake.app.pool)
            .await
            .unwrap();
    serde_json::from_value(v).unwrap()
}

fn message_for(broker: &Broker, envelope: &Envelope) -> OutboundMessage {
    OutboundMessage {
        exchange: broker.topology.exchange(),
        routing_key: envelope.routing_key(),
        message_id: envelope.event_id.to_string(),
        payload: envelope.to_bytes(),
        headers: headers::for_envelope(envelope),
        kind: envelope.routing_key(),
        correlation_id: Some(envelope.correlation_id.to_string()),
    }
}

#[tokio::test]
async fn the_same_event_delivered_twice_changes_state_once() {
    let p = Platform::start().await;
    p.register(&petition("重复投递测试")).await;
    p.wait_count(
        &p.notification,
        "SELECT count(*) FROM notices WHERE kind = 'registration_receipt'",
        1,
        Duration::from_secs(20),
    )
    .await;
    p.wait_count(
        &p.supervision,
        "SELECT count(*) FROM deadlines",
        1,
        Duration::from_secs(20),
    )
    .await;

    // The relay crashed between publish and mark: the same event goes out again, three times.
    let envelope = registered_envelope(&p).await;
    let broker = &p.intake.app.broker;
    let msg = message_for(broker, &envelope);
    for r in broker.publish_batch(&[msg.clone(), msg.clone(), msg]).await {
        r.expect("published");
    }
    for svc in [&p.notification, &p.supervision] {
        wait_for("duplicates skipped", Duration::from_secs(20), || async {
            (metric(&p, svc, "xinfang_events_duplicates_skipped_total").await >= 3.0).then_some(())
        })
        .await;
    }
    p.wait_count(
        &p.notification,
        "SELECT count(*) FROM notices WHERE kind = 'registration_receipt'",
        1,
        Duration::from_secs(1),
    )
    .await;
    p.wait_count(
        &p.supervision,
        "SELECT count(*) FROM deadlines",
        1,
        Duration::from_secs(1),
    )
    .await;
    p.wait_count(
        &p.supervision,
        "SELECT count(*) FROM case_events",
        1,
        Duration::from_secs(1),
    )
    .await;
    p.stop().await;
}

#[tokio::test]
async fn a_handler_that_dies_after_commit_and_before_ack_is_not_applied_twice() {
    let crashed = Arc::new(AtomicBool::new(false));
    let flag = crashed.clone();
    let hooks = Hooks {
        notification: ConsumerHooks {
            crash_after_commit: Some(Arc::new(move |_d| !flag.swap(true, Ordering::SeqCst))),
        },
        ..Hooks::default()
    };
    let p = Platform::start_with(hooks).await;
    p.register(&petition("提交后崩溃测试")).await;
    wait_for(
        "redelivery skipped by the inbox",
        Duration::from_secs(30),
        || async {
            (metric(
                &p,
                &p.notification,
                "xinfang_events_duplicates_skipped_total",
            )
            .await
                >= 1.0)
                .then_some(())
        },
    )
    .await;
    assert!(crashed.load(Ordering::SeqCst));
    p.wait_count(
        &p.notification,
        "SELECT count(*) FROM notices WHERE kind = 'registration_receipt'",
        1,
        Duration::from_secs(1),
    )
    .await;
    p.wait_count(
        &p.notification,
        "SELECT count(DISTINCT case_id) FROM notices WHERE kind = 'registration_receipt'",
        1,
        Duration::from_secs(1),
    )
    .await;
    // The session was rebuilt and keeps consuming.
    p.register(&petition("崩溃后的下一件")).await;
    p.wait_count(
        &p.notification,
        "SELECT count(*) FROM notices WHERE kind = 'registration_receipt'",
        2,
        Duration::from_secs(20),
    )
    .await;
    p.stop().await;
}

/// Fails transiently, forever, for the poison case; applies everything else.
/// Applies `intake.petition.registered` by writing a row in its own table (so that only committed
/// effects count), fails transiently on case number `POISON` and permanently on `REJECT`, and
/// holds the first event it sees for a moment when `hold_first` is set, so that others queue up
/// behind it and arrive as a batch.
struct Flaky {
    hold_first: Arc<AtomicBool>,
    /// How many more times the event numbered `ONCE` fails (transiently) before it succeeds.
    once_failures: Arc<AtomicUsize>,
    /// How many times it has failed.
    once_failed: Arc<AtomicUsize>,
}

impl Flaky {
    fn new() -> Flaky {
        Flaky {
            hold_first: Arc::new(AtomicBool::new(false)),
            once_failures: Arc::new(AtomicUsize::new(0)),
            once_failed: Arc::new(AtomicUsize::new(0)),
        }
    }

    async fn prepare(pool: &PgPool) {
        sqlx::query("CREATE TABLE IF NOT EXISTS flaky_effects (event_id UUID PRIMARY KEY)")
            .execute(pool)
            .await
            .unwrap();
    }

    async fn applied(pool: &PgPool) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM flaky_effects")
            .fetch_one(pool)
            .await
            .unwrap()
    }
}

#[async_trait::async_trait]
impl EventHandler for Flaky {
    fn name(&self) -> &'static str {
        "flaky"
    }
    async fn handle(
        &self,
        uow: &mut UnitOfWork<'_>,
        env: &Envelope,
        event: DomainEvent,
    ) -> Result<(), HandlerError> {
        let DomainEvent::PetitionRegistered(e) = event else {
            return Ok(());
        };
        if self.hold_first.swap(false, Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        if e.case_number == "ONCE"
            && self
                .once_failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
        {
            self.once_failed.fetch_add(1, Ordering::SeqCst);
            return Err(HandlerError::Transient(anyhow::anyhow!(
                "模拟的暂时故障 simulated passing failure"
            )));
        }
        if e.case_number == "POISON" {
            return Err(HandlerError::Transient(anyhow::anyhow!(
                "模拟的数据库故障 simulated outage"
            )));
        }
        if e.case_number == "REJECT" {
            return Err(HandlerError::Permanent(
                "模拟的无效事件 simulated invalid event".into(),
            ));
        }
        // A plain insert: applying the same event twice would fail on the primary key.
        sqlx::query("INSERT INTO flaky_effects (event_id) VALUES ($1)")
            .bind(env.event_id)
            .execute(uow.conn())
            .await?;
        uow.audit(xinfang_platform::audit::AuditEntry::system(
            "test",
            "flaky.apply",
            Some(e.petition_id),
            serde_json::json!({ "case_number": e.case_number }),
        ))
        .await?;
        Ok(())
    }
}

/// Wait until `n` dead letters are stored.
async fn wait_for_dead_letters(pool: &PgPool, what: &str, n: i64) {
    wait_for(what, Duration::from_secs(30), || {
        let pool = pool.clone();
        async move {
            let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM dead_letters")
                .fetch_one(&pool)
                .await
                .ok()?;
            (stored == n).then_some(())
        }
    })
    .await;
}

/// A mediation database and a broker session whose queue is consumed by [`Flaky`] (and whose
/// dead-letter queue is drained into the database).
struct FlakyRig {
    pool: PgPool,
    broker: Arc<Broker>,
    metrics: MessagingMetrics,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<()>,
}

/// The test's own mediation database: created, connected and migrated.
async fn mediation_database(settings: &xinfang_platform::settings::PlatformSettings) -> PgPool {
    xinfang_platform::runtime::ensure_database(&settings.database)
        .await
        .unwrap();
    let pool = PgPool::connect_with(settings.database.with_db())
        .await
        .unwrap();
    xinfang_platform::runtime::migrate(&pool, &mediation::MIGRATOR)
        .await
        .unwrap();
    pool
}

impl FlakyRig {
    async fn start(
        env: &TestEnv,
        tune: impl FnOnce(&mut xinfang_messaging::BrokerSettings),
        flaky: Flaky,
    ) -> FlakyRig {
        let mut settings = env.settings("mediation");
        tune(&mut settings.broker);
        let pool = mediation_database(&settings).await;
        Flaky::prepare(&pool).await;
        let metrics = MessagingMetrics::new(&prometheus::Registry::new()).unwrap();
        let broker = Broker::new(
            settings.broker.clone(),
            Producer::Mediation,
            metrics.clone(),
        );
        let consumers = vec![
            ConsumerSpec {
                queue: broker.topology.queue(Producer::Mediation),
                tag: "flaky".into(),
                processor: Arc::new(
                    InboxProcessor::new(pool.clone(), Arc::new(flaky), None)
                        .with_writer(Arc::new(xinfang_platform::audit::AuditBatchWriter)),
                ),
                hooks: ConsumerHooks::default(),
            },
            ConsumerSpec {
                queue: broker.topology.dead_letter_queue(Producer::Mediation),
                tag: "dlq".into(),
                processor: Arc::new(DeadLetterStore { pool: pool.clone() }),
                hooks: ConsumerHooks::default(),
            },
        ];
        let stop = CancellationToken::new();
        let task = tokio::spawn(broker.clone().run(consumers, stop.clone()));
        assert!(broker.wait_connected(Duration::from_secs(10)).await);
        FlakyRig {
            pool,
            broker,
            metrics,
            stop,
            task,
        }
    }
}

/// One lane (as deployed), holding up to 100 deliveries and applying up to 32 together.
fn one_lane(b: &mut xinfang_messaging::BrokerSettings) {
    b.lanes = 1;
    b.prefetch = 100;
    b.batch_size = 32;
}

fn sample(case_number: &str) -> Envelope {
    let e = PetitionRegisteredV1 {
        petition_id: uuid::Uuid::now_v7(),
        case_number: case_number.into(),
        channel: xinfang_contracts::events::Channel::Letter,
        received_on: chrono::NaiveDate::from_ymd_opt(2025, 9, 26).unwrap(),
        registered_at: chrono::Utc::now(),
        registering_unit: "140423-XFJ".into(),
        division_code: "140423".into(),
        petitioner_count: 1,
        anonymous: false,
        contactable: false,
        ..PetitionRegisteredV1::minimal_defaults()
    };
    Envelope::new(&e, Some(e.petition_id), None, None)
}

#[tokio::test]
async fn poison_messages_are_dead_lettered_without_blocking_the_queue() {
    let env = TestEnv::new();
    // Four lanes (a deployment with more cores): the poison's retries in one lane hold up none of
    // the others.
    let rig = FlakyRig::start(&env, |b| b.lanes = 4, Flaky::new()).await;
    let (pool, broker, stop, task) = (rig.pool, rig.broker, rig.stop, rig.task);
    let queue = broker.topology.queue(Producer::Mediation);

    // One poison first, then twenty good events, then a non-envelope and an unknown event type.
    let mut batch = vec![message_for(&broker, &sample("POISON"))];
    for i in 0..20 {
        batch.push(message_for(
            &broker,
            &sample(&format!("140423-2025-{i:06}")),
        ));
    }
    let mut garbage = message_for(&broker, &sample("x"));
    garbage.payload = b"{ this is not an envelope".to_vec();
    garbage.message_id = "garbage-1".into();
    batch.push(garbage);
    let mut unknown = sample("y");
    unknown.event_type = "petition.vanished".into();
    let mut unknown_msg = message_for(&broker, &unknown);
    unknown_msg.routing_key = "intake.petition.vanished.v1".into();
    batch.push(unknown_msg);
    for r in broker.publish_batch(&batch).await {
        r.expect("published");
    }

    wait_for("good events applied", Duration::from_secs(20), || {
        let pool = pool.clone();
        async move { (Flaky::applied(&pool).await == 20).then_some(()) }
    })
    .await;
    wait_for_dead_letters(&pool, "three dead letters", 3).await;
    let rows: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT reason, detail FROM dead_letters ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
    let reasons: Vec<&str> = rows.iter().map(|(r, _)| r.as_str()).collect();
    assert!(reasons.contains(&"delivery_limit"), "{rows:?}");
    assert_eq!(
        reasons.iter().filter(|r| **r == "rejected").count(),
        2,
        "{rows:?}"
    );
    let details: Vec<String> = rows.iter().filter_map(|(_, d)| d.clone()).collect();
    assert!(
        details.iter().any(|d| d.contains("simulated outage")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|d| d.contains("unknown event type")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|d| d.contains("not an envelope")),
        "{details:?}"
    );

    // Replay puts the poison back on the queue; it fails again and returns as a second death.
    let poison_id: i64 =
        sqlx::query_scalar("SELECT id FROM dead_letters WHERE reason = 'delivery_limit'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let n = xinfang_messaging::dead_letters::replay(&pool, &broker, Some(&[poison_id]))
        .await
        .unwrap();
    assert_eq!(n, 1);
    wait_for_dead_letters(&pool, "second death of the replayed poison", 4).await;
    assert_eq!(broker.queue_depth(&queue).await, Some(0));
    assert_eq!(Flaky::applied(&pool).await, 20);
    stop.cancel();
    let _ = task.await;
    pool.close().await;
    let _ = FieldTable::default();
}

#[tokio::test]
async fn a_batch_applies_together_and_one_bad_event_does_not_take_the_others_with_it() {
    let env = TestEnv::new();
    let flaky = Flaky::new();
    flaky.hold_first.store(true, Ordering::SeqCst);
    // One lane, so that everything queues behind the held first event and arrives as batches.
    let rig = FlakyRig::start(&env, one_lane, flaky).await;
    let (pool, broker, metrics, stop, task) =
        (rig.pool, rig.broker, rig.metrics, rig.stop, rig.task);

    // 80 good events, one the handler refuses for good in the middle, and a second copy of an
    // event already in the same stretch.
    let mut messages = Vec::new();
    for i in 0..80 {
        messages.push(message_for(
            &broker,
            &sample(&format!("140423-2025-{i:06}")),
        ));
        if i == 40 {
            messages.push(message_for(&broker, &sample("REJECT")));
        }
    }
    messages.push(messages[50].clone());
    for r in broker.publish_batch(&messages).await {
        r.expect("published");
    }
    wait_for("good events applied once", Duration::from_secs(30), || {
        let pool = pool.clone();
        async move { (Flaky::applied(&pool).await == 80).then_some(()) }
    })
    .await;
    wait_for_dead_letters(&pool, "the refused event dead-lettered", 1).await;
    let processed: i64 = sqlx::query_scalar("SELECT count(*) FROM processed_events")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(processed, 80, "the refused event left no inbox row");
    // Batches formed, and the one with the refused event was applied again one by one.
    let batches = metrics.batch_size.get_sample_count();
    let deliveries = metrics.batch_size.get_sample_sum();
    assert!(
        deliveries >= 82.0 && (batches as f64) < deliveries / 4.0,
        "{batches} batches for {deliveries} deliveries"
    );
    assert!(metrics.batch_fallbacks.get() >= 1);
    assert_eq!(metrics.duplicates_skipped.get(), 1);
    // The audit rows written at the end of each batch (and one by one after the fallback) form
    // intact chains: one row per applied event, none for the refused one.
    let audit = xinfang_platform::audit::verify(&pool).await.unwrap();
    assert_eq!(audit.first_break, None);
    assert_eq!(audit.rows_checked, 80);
    assert_eq!(
        broker
            .queue_depth(&broker.topology.queue(Producer::Mediation))
            .await,
        Some(0)
    );
    stop.cancel();
    let _ = task.await;
    pool.close().await;
}

#[tokio::test]
async fn events_arriving_within_the_linger_share_one_batch() {
    let env = TestEnv::new();
    // An idle lane that waits up to 500 ms for companions of its first delivery.
    let rig = FlakyRig::start(
        &env,
        |b| {
            b.lanes = 1;
            b.batch_size = 32;
            b.batch_linger_ms = 500;
        },
        Flaky::new(),
    )
    .await;
    // Ten events published one after another, each confirmed before the next.
    for i in 0..10 {
        let m = message_for(&rig.broker, &sample(&format!("140423-2025-{i:06}")));
        for r in rig.broker.publish_batch(&[m]).await {
            r.expect("published");
        }
    }
    wait_for("all applied", Duration::from_secs(30), || {
        let pool = rig.pool.clone();
        async move { (Flaky::applied(&pool).await == 10).then_some(()) }
    })
    .await;
    let batches = rig.metrics.batch_size.get_sample_count();
    assert!(
        batches <= 2,
        "{batches} batches for 10 events published within the linger"
    );
    assert_eq!(rig.metrics.batch_fallbacks.get(), 0);
    let audit = xinfang_platform::audit::verify(&rig.pool).await.unwrap();
    assert_eq!((audit.first_break, audit.rows_checked), (None, 10));
    rig.stop.cancel();
    let _ = rig.task.await;
    rig.pool.close().await;
}

/// Several lanes and a full prefetch window: a lane does not wait out its linger for companions
/// that cannot come (the broker sends nothing more until something is settled), while another
/// lane holds the rest of the window.
#[tokio::test]
async fn a_lane_does_not_linger_while_the_prefetch_window_is_full() {
    let env = TestEnv::new();
    // Two lanes sharing a window of four deliveries, each waiting up to 20 s for companions.
    let rig = FlakyRig::start(
        &env,
        |b| {
            b.lanes = 2;
            b.prefetch = 4;
            b.batch_size = 32;
            b.batch_linger_ms = 20_000;
        },
        Flaky::new(),
    )
    .await;
    // As many events as the window holds (more would leave a last, partial batch that rightly
    // waits out the linger): when the fourth reaches its lane, the window is full.
    let batch: Vec<_> = (0..4)
        .map(|i| message_for(&rig.broker, &sample(&format!("140423-2025-{i:06}"))))
        .collect();
    for r in rig.broker.publish_batch(&batch).await {
        r.expect("published");
    }
    // Well within one linger: the lanes went ahead as soon as the window was full.
    wait_for("all applied", Duration::from_secs(10), || {
        let pool = rig.pool.clone();
        async move { (Flaky::applied(&pool).await == 4).then_some(()) }
    })
    .await;
    rig.stop.cancel();
    let _ = rig.task.await;
    rig.pool.close().await;
}

/// The relay, woken by a commit, waits `outbox.linger_ms` for more: events committed one after
/// another within it leave in one round (one claim, one publish, one update), and every one of them
/// is published.
#[tokio::test]
async fn events_committed_within_the_relay_linger_leave_in_one_round() {
    let env = TestEnv::new();
    let rig = FlakyRig::start(&env, one_lane, Flaky::new()).await;
    let commit = |envelope: Envelope| {
        let pool = rig.pool.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            UnitOfWork::immediate(&mut tx)
                .enqueue(&envelope)
                .await
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    let published = |n: i64| {
        let pool = rig.pool.clone();
        async move {
            let done: i64 =
                sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            (done == n).then_some(())
        }
    };
    // The relay's first round, at its start, publishes what is already committed: a warm-up event,
    // so that the five below meet a relay that waits to be woken (had one of them raced that
    // first round, it would have left alone).
    let warm_up = sample("140423-2025-000899");
    commit(warm_up.clone()).await;
    let waker = xinfang_messaging::OutboxWaker::new();
    let relay = xinfang_messaging::outbox::Relay {
        pool: rig.pool.clone(),
        broker: rig.broker.clone(),
        settings: xinfang_messaging::OutboxSettings {
            linger_ms: 400,
            poll_interval_ms: 60_000,
            ..Default::default()
        },
        waker: waker.clone(),
    };
    let relay_stop = CancellationToken::new();
    let relay_task = tokio::spawn(relay.run(relay_stop.clone()));
    wait_for("the warm-up published", Duration::from_secs(30), || {
        published(1)
    })
    .await;
    // Five commits, each waking the relay, well within its linger.
    for i in 0..5 {
        commit(sample(&format!("140423-2025-{:06}", 900 + i))).await;
        waker.wake();
    }
    wait_for("all five published", Duration::from_secs(30), || {
        published(6)
    })
    .await;
    // One round's rows share its transaction's timestamp.
    let rounds: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT published_at) FROM outbox WHERE event_id <> $1")
            .bind(warm_up.event_id)
            .fetch_one(&rig.pool)
            .await
            .unwrap();
    assert_eq!(
        rounds, 1,
        "five events committed within the linger took {rounds} rounds"
    );
    wait_for("all six applied", Duration::from_secs(30), || {
        let pool = rig.pool.clone();
        async move { (Flaky::applied(&pool).await == 6).then_some(()) }
    })
    .await;
    relay_stop.cancel();
    let _ = relay_task.await;
    rig.stop.cancel();
    let _ = rig.task.await;
    rig.pool.close().await;
}

#[tokio::test]
async fn concurrent_audit_appends_keep_every_chain_intact() {
    use xinfang_platform::audit::{self, AuditEntry};
    let env = TestEnv::new();
    let settings = env.settings("mediation");
    let pool = mediation_database(&settings).await;
    // Eight writers at once: single appends, batches that lock their chains first (as a transaction appending
    // to several chains one by one must), batches written with one statement, and transactions that roll back.
    let mut tasks = Vec::new();
    for w in 0..8u32 {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            let mut committed = 0i64;
            for i in 0..40u32 {
                let cases: Vec<uuid::Uuid> =
                    (0..1 + (i % 3)).map(|_| uuid::Uuid::now_v7()).collect();
                let mut tx = pool.begin().await.unwrap();
                if cases.len() > 1 {
                    audit::lock_chains(&mut tx, cases.iter().map(|c| Some(*c)))
                        .await
                        .unwrap();
                }
                let entries: Vec<AuditEntry> = cases
                    .iter()
                    .map(|c| {
                        AuditEntry::system(
                            "test",
                            "append",
                            Some(*c),
                            serde_json::json!({ "w": w, "i": i }),
                        )
                    })
                    .collect();
                if i % 5 == 0 {
                    // As a batch of consumed events writes them: all at once.
                    audit::record_many(&mut tx, &entries).await.unwrap();
                } else {
                    let mut uow = UnitOfWork::immediate(&mut tx);
                    for e in &entries {
                        uow.audit(e.clone()).await.unwrap();
                    }
                }
                if i % 7 == 6 {
                    tx.rollback().await.unwrap();
                } else {
                    tx.commit().await.unwrap();
                    committed += cases.len() as i64;
                }
            }
            committed
        }));
    }
    let mut committed = 0;
    for t in tasks {
        committed += t.await.unwrap();
    }
    let v = audit::verify(&pool).await.unwrap();
    assert_eq!(v.first_break, None);
    assert_eq!(v.rows_checked as i64, committed);
    pool.close().await;
}

/// A writer claims a free chain without waiting (migration 0004): a second writer of the same case
/// while the first holds its chain writes to another chain at once; only when every chain is held
/// does a writer wait, and then it appends after the holder commits. The chains stay intact.
#[tokio::test]
async fn an_audit_writer_takes_a_free_chain_and_waits_only_when_all_are_held() {
    use xinfang_platform::audit::{self, AuditEntry, CHAINS};
    let env = TestEnv::new();
    let settings = env.settings("mediation");
    let pool = mediation_database(&settings).await;
    let case = uuid::Uuid::now_v7();
    let entry = move |n: u32| {
        AuditEntry::system("test", "append", Some(case), serde_json::json!({ "n": n }))
    };
    let chain_of_row = |n: u32| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i16>("SELECT chain FROM audit_log WHERE details->>'n' = $1")
                .bind(n.to_string())
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };

    // The first writer holds its chain (not committed); the second, same case, does not wait.
    let mut first = pool.begin().await.unwrap();
    UnitOfWork::immediate(&mut first)
        .audit(entry(1))
        .await
        .unwrap();
    let mut second = pool.begin().await.unwrap();
    tokio::time::timeout(
        Duration::from_secs(10),
        UnitOfWork::immediate(&mut second).audit(entry(2)),
    )
    .await
    .expect("the second writer waited for the first one's chain")
    .unwrap();
    second.commit().await.unwrap();
    first.commit().await.unwrap();
    assert_ne!(chain_of_row(1).await, chain_of_row(2).await);

    // Every chain held by one transaction: a writer waits, and appends once it commits.
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("SELECT count(pg_advisory_xact_lock($1, c)) FROM generate_series(0, $2 - 1) AS c")
        .bind(0x5846i32)
        .bind(i32::from(CHAINS))
        .execute(&mut *holder)
        .await
        .unwrap();
    let waiter = {
        let pool = pool.clone();
        tokio::spawn(async move {
            let mut tx = pool.begin().await.unwrap();
            let entries = [entry(3), entry(4)];
            audit::record_many(&mut tx, &entries).await.unwrap();
            tx.commit().await.unwrap();
        })
    };
    wait_for(
        "the writer waiting for a chain",
        Duration::from_secs(10),
        || {
            let pool = pool.clone();
            async move {
                let waiting: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                )
                .fetch_one(&pool)
                .await
                .unwrap();
                (waiting > 0).then_some(())
            }
        },
    )
    .await;
    assert!(!waiter.is_finished());
    holder.commit().await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), waiter)
        .await
        .expect("the waiting writer appended after the holder committed")
        .unwrap();
    assert_eq!(
        chain_of_row(3).await,
        chain_of_row(4).await,
        "one batch, one chain"
    );
    let v = audit::verify(&pool).await.unwrap();
    assert_eq!(v.first_break, None);
    assert_eq!(v.rows_checked, 4);
    pool.close().await;
}

#[tokio::test]
async fn tampering_with_one_audit_row_is_detected_at_that_row() {
    let p = Platform::start().await;
    for i in 0..6 {
        p.register(&petition(&format!("审计测试 {i}"))).await;
    }
    let pool = &p.intake.app.pool;
    let ok = xinfang_platform::audit::verify(pool).await.unwrap();
    assert_eq!(ok.rows_checked, 6);
    assert_eq!(ok.first_break, None);

    // The application cannot rewrite history: the trigger refuses.
    assert!(
        sqlx::query("UPDATE audit_log SET action = 'x' WHERE seq = 3")
            .execute(pool)
            .await
            .is_err()
    );
    assert!(sqlx::query("DELETE FROM audit_log WHERE seq = 3")
        .execute(pool)
        .await
        .is_err());

    // A superuser who disables the trigger is still caught, at the row they touched.
    sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET details = '{\"case_number\":\"forged\"}' WHERE seq = 4")
        .execute(pool)
        .await
        .unwrap();
    let broken = xinfang_platform::audit::verify(pool).await.unwrap();
    let b = broken.first_break.expect("tampering detected");
    assert_eq!(b.seq, 4);
    assert!(b.reason.contains("altered"), "{}", b.reason);
    p.stop().await;
}

#[tokio::test]
async fn unroutable_publishes_are_errors_and_metrics_name_what_operators_watch() {
    let p = Platform::start().await;
    let broker = &p.intake.app.broker;
    let envelope = sample("unroutable");
    let mut msg = message_for(broker, &envelope);
    // The default exchange with a queue name that does not exist: nothing can take it.
    msg.exchange = String::new();
    msg.routing_key = format!("{}no.such.queue", p.env.prefix);
    let r = broker.publish_batch(&[msg]).await.remove(0);
    assert!(
        matches!(r, Err(xinfang_messaging::PublishError::Unroutable(_))),
        "{r:?}"
    );

    p.register(&petition("指标")).await;
    p.wait_count(
        &p.notification,
        "SELECT count(*) FROM notices WHERE kind = 'registration_receipt'",
        1,
        Duration::from_secs(20),
    )
    .await;
    let text = p
        .client
        .get(p.intake.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        "xinfang_http_request_duration_seconds_bucket",
        "xinfang_outbox_backlog",
        "xinfang_outbox_oldest_age_seconds",
        "xinfang_consumer_lag",
        "xinfang_dead_letters",
        "xinfang_events_redeliveries_total",
        "xinfang_events_duplicates_skipped_total",
        "xinfang_events_published_total",
        "xinfang_events_publish_failures_total",
    ] {
        assert!(text.contains(name), "{name} missing from /metrics");
    }
    assert!(metric(&p, &p.intake, "xinfang_events_published_total").await >= 1.0);
    p.stop().await;
}

#[tokio::test]
async fn registrations_applied_as_one_batch_are_recorded_once_each() {
    let env = TestEnv::new();
    let settings = env.settings("mediation");
    let pool = mediation_database(&settings).await;
    let inbox = InboxProcessor::new(pool.clone(), Arc::new(mediation::events::handler()), None);
    let registration = |n: u32| {
        let e = PetitionRegisteredV1 {
            petition_id: uuid::Uuid::now_v7(),
            case_number: format!("140423-2026-{n:06}"),
            registering_unit: format!("140423-U{}", n % 3),
            received_on: chrono::NaiveDate::from_ymd_opt(2026, 3, n).unwrap(),
            registered_at: chrono::Utc::now(),
            ..PetitionRegisteredV1::minimal_defaults()
        };
        let envelope = Envelope::new(&e, Some(e.petition_id), None, None);
        (e, envelope)
    };
    // A case known before the batch, registered again in it under another event id: left as it was.
    let (known, known_envelope) = registration(1);
    assert_eq!(inbox.apply(&known_envelope).await, Outcome::Applied);
    let mut again = known.clone();
    again.case_number = "changed".into();
    let again = Envelope::new(&again, Some(known.petition_id), None, None);

    let batch: Vec<(PetitionRegisteredV1, Envelope)> = (2..=6).map(registration).collect();
    let transferred = xinfang_contracts::events::PetitionTransferredV1 {
        petition_id: batch[0].0.petition_id,
        case_number: batch[0].0.case_number.clone(),
        decided_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
        decided_by_unit: "140423-U0".into(),
        to_unit: "140423-RSJ".into(),
        reason: "属于人社部门职责".into(),
    };
    let transferred = Envelope::caused_by(&transferred, &batch[0].1);
    let mut envelopes: Vec<Envelope> = batch.iter().map(|(_, e)| e.clone()).collect();
    // Another kind of event amid the registrations, a second copy of one, and the known case again.
    envelopes.insert(2, transferred);
    envelopes.push(batch[1].1.clone());
    envelopes.push(again);
    let outcomes = inbox.apply_together(&envelopes).await.unwrap();
    use Outcome::{Applied, Duplicate};
    assert_eq!(
        outcomes,
        vec![Applied, Applied, Applied, Applied, Applied, Applied, Duplicate, Applied]
    );

    let cases: Vec<(uuid::Uuid, String, String, chrono::NaiveDate, String)> = sqlx::query_as(
        "SELECT case_id, case_number, registering_unit, received_on, status FROM cases ORDER BY case_number",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let expected: Vec<_> = std::iter::once(&known)
        .chain(batch.iter().map(|(e, _)| e))
        .map(|e| {
            (
                e.petition_id,
                e.case_number.clone(),
                e.registering_unit.clone(),
                e.received_on,
                "registered".to_string(),
            )
        })
        .collect();
    assert_eq!(cases, expected);
    pool.close().await;
}

#[tokio::test]
async fn a_delivery_waiting_to_be_requeued_is_not_acked_with_a_later_batch() {
    let env = TestEnv::new();
    let flaky = Flaky::new();
    flaky.once_failures.store(2, Ordering::SeqCst);
    let once_failed = flaky.once_failed.clone();
    // One lane, as deployed: a batch whose deliveries all succeed is acked with one `multiple` ack,
    // which would also ack any earlier delivery of the channel still waiting to be requeued.
    let rig = FlakyRig::start(&env, one_lane, flaky).await;
    let once = message_for(&rig.broker, &sample("ONCE"));
    for r in rig.broker.publish_batch(&[once]).await {
        r.expect("published");
    }
    // Its second failure: it now waits (200 ms) to be requeued, unacked, while a flood of events
    // arrives behind it and is applied in batches.
    wait_for("the event failed twice", Duration::from_secs(10), || {
        let failed = once_failed.load(Ordering::SeqCst);
        async move { (failed >= 2).then_some(()) }
    })
    .await;
    let flood: Vec<OutboundMessage> = (0..60)
        .map(|i| message_for(&rig.broker, &sample(&format!("140423-2025-{i:06}"))))
        .collect();
    for r in rig.broker.publish_batch(&flood).await {
        r.expect("published");
    }
    // Nothing lost: the waiting event is requeued and applied on its third delivery.
    wait_for("every event applied", Duration::from_secs(30), || {
        let pool = rig.pool.clone();
        async move { (Flaky::applied(&pool).await == 61).then_some(()) }
    })
    .await;
    assert_eq!(once_failed.load(Ordering::SeqCst), 2);
    assert_eq!(rig.metrics.ack_failures.get(), 0);
    let applied: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'flaky.apply' AND details->>'case_number' = 'ONCE'",
    )
    .fetch_one(&rig.pool)
    .await
    .unwrap();
    assert_eq!(applied, 1);
    rig.stop.cancel();
    let _ = rig.task.await;
    // And everything was acked: with the consumer gone, nothing comes back to the queue.
    let settings = env.settings("mediation");
    let checker = Broker::new(
        settings.broker.clone(),
        Producer::Mediation,
        MessagingMetrics::new(&prometheus::Registry::new()).unwrap(),
    );
    let stop = CancellationToken::new();
    let task = tokio::spawn(checker.clone().run(Vec::new(), stop.clone()));
    assert!(checker.wait_connected(Duration::from_secs(10)).await);
    assert_eq!(
        checker
            .queue_depth(&checker.topology.queue(Producer::Mediation))
            .await,
        Some(0)
    );
    stop.cancel();
    let _ = task.await;
    rig.pool.close().await;
}
