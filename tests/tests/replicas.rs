//! Two replicas of every service (两副本): separate `Application` instances on their own ports,
//! sharing each service's database and queues, for the main flows (registration, acceptance,
//! notices, deadlines and their timers). What must hold across replicas:
//! - competing consumers apply each event once (supervision's timeline holds every intake event
//!   exactly once, notices and deadlines are one per case and kind), and both replicas consumed;
//! - the outbox relays publish each event once (the replicas' publish counters add up to the
//!   outbox) and, per case, in outbox order;
//! - deadline timers fire once (one step_reached event per fired step);
//! - case numbers stay gap-free with registrations spread over both intake replicas;
//! - an idempotency key used at one replica answers the same at the other.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::{collections::BTreeSet, time::Duration};

use chrono::Duration as Days;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_e2e::{start_intake, start_notification, start_supervision, Service};
use xinfang_messaging::ConsumerHooks;
use xinfang_test_support::{clerk_token, spawn_app, test_client, wait_for, TestEnv};

/// Two replicas of each of the five services.
struct Replicas {
    env: TestEnv,
    intake: [Service; 2],
    mediation: [Service; 2],
    review: [Service; 2],
    supervision: [Service; 2],
    notification: [Service; 2],
}

async fn mediation(env: &TestEnv) -> Service {
    Service {
        name: "mediation",
        app: spawn_app(mediation::startup::build(
            mediation::configuration::Settings {
                platform: env.settings("mediation"),
            },
        ))
        .await,
    }
}

async fn review(env: &TestEnv) -> Service {
    Service {
        name: "administrative-review",
        app: spawn_app(administrative_review::startup::build(
            administrative_review::configuration::Settings {
                platform: env.settings("administrative-review"),
            },
        ))
        .await,
    }
}

impl Replicas {
    async fn start() -> Replicas {
        let env = TestEnv::new();
        let r = Replicas {
            intake: [start_intake(&env).await, start_intake(&env).await],
            mediation: [mediation(&env).await, mediation(&env).await],
            review: [review(&env).await, review(&env).await],
            supervision: [
                start_supervision(&env, ConsumerHooks::default()).await,
                start_supervision(&env, ConsumerHooks::default()).await,
            ],
            notification: [
                start_notification(&env, ConsumerHooks::default()).await,
                start_notification(&env, ConsumerHooks::default()).await,
            ],
            env,
        };
        for s in r.all() {
            assert!(
                s.app.broker.wait_connected(Duration::from_secs(15)).await,
                "{} broker session",
                s.name
            );
        }
        r
    }

    fn all(&self) -> Vec<&Service> {
        [
            &self.intake,
            &self.mediation,
            &self.review,
            &self.supervision,
            &self.notification,
        ]
        .into_iter()
        .flat_map(|pair| pair.iter())
        .collect()
    }

    async fn stop(self) {
        let Replicas {
            env,
            intake,
            mediation,
            review,
            supervision,
            notification,
        } = self;
        for pair in [intake, mediation, review, supervision, notification] {
            for s in pair {
                s.stop().await;
            }
        }
        drop(env);
    }
}

/// A metric's value summed over its label sets (0 when absent).
async fn metric(client: &reqwest::Client, svc: &Service, name: &str) -> f64 {
    let text = client
        .get(svc.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter(|l| l.split(['{', ' ']).next() == Some(name))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn count(pool: &PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(pool).await.unwrap()
}

/// Poll `sql` until it returns `expected` (60 s); the panic says what it returned last.
async fn wait_count(pool: &PgPool, sql: &'static str, expected: i64) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let n = count(pool, sql).await;
        if n == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out: {sql} returned {n}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn post(
    client: &reqwest::Client,
    url: String,
    body: &Value,
    key: Option<&str>,
) -> (u16, Value) {
    let mut req = client.post(url).bearer_auth(clerk_token()).json(body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

const PETITIONS: usize = 40;

#[tokio::test]
async fn two_replicas_of_every_service_apply_publish_and_fire_once() {
    let r = Replicas::start().await;
    let client = test_client();
    // Received some weeks ago: the acceptance clock (15 days) is overdue today, so the timer
    // steps fire at once, on one replica or the other.
    let received = (xinfang_platform::time::china_date(chrono::Utc::now()) - Days::days(28))
        .format("%Y-%m-%d")
        .to_string();

    // Registrations spread over both intake replicas, eight at a time; every other one with an
    // idempotency key, retried at the other replica.
    let mut tasks = Vec::new();
    for i in 0..PETITIONS {
        let client = client.clone();
        let urls = [
            r.intake[i % 2].url("/api/v1/petitions"),
            r.intake[(i + 1) % 2].url("/api/v1/petitions"),
        ];
        let body = json!({ "channel": "visit", "summary": format!("两副本 {i}"),
                           "received_on": received, "category": "claim",
                           "field": "labour_social_security", "township": "古韩镇",
                           "petitioners": [{ "name": "张三" }] });
        tasks.push(tokio::spawn(async move {
            let key = (i % 2 == 0).then(|| format!("replica-test-{i}"));
            let (status, first) = post(&client, urls[0].clone(), &body, key.as_deref()).await;
            assert_eq!(status, 201, "{first}");
            if let Some(k) = key {
                let (again_status, again) = post(&client, urls[1].clone(), &body, Some(&k)).await;
                assert_eq!(again_status, 201, "{again}");
                assert_eq!(
                    again["id"], first["id"],
                    "same key, other replica, same petition"
                );
                assert_eq!(again["case_number"], first["case_number"]);
            }
            first
        }));
        if tasks.len() % 8 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let mut registered = Vec::new();
    for t in tasks {
        registered.push(t.await.unwrap());
    }
    let intake_pool = r.intake[0].app.pool.clone();
    assert_eq!(
        count(&intake_pool, "SELECT count(*) FROM petitions").await,
        PETITIONS as i64,
        "an idempotent retry at the other replica registered nothing new"
    );

    // Gap-free numbering over both replicas.
    let mut serials: Vec<u64> = registered
        .iter()
        .map(|b| {
            let n = b["case_number"].as_str().unwrap();
            n.rsplit('-').next().unwrap().parse().unwrap()
        })
        .collect();
    serials.sort_unstable();
    let first = serials[0];
    assert_eq!(
        serials,
        (first..first + PETITIONS as u64).collect::<Vec<_>>(),
        "case numbers are consecutive"
    );

    // Accept half of them, each decision at the replica that did not register it.
    for (i, b) in registered.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        let id = b["id"].as_str().unwrap();
        let (status, body) = post(
            &client,
            r.intake[(i + 1) % 2].url(&format!("/api/v1/petitions/{id}/decisions")),
            &json!({ "kind": "accept", "reason": "属于本机关职责范围", "handling_unit": "140423-RSJ" }),
            None,
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let accepted = PETITIONS as i64 / 2;

    // Effects: every intake event in supervision's timeline exactly once, acceptance notices and
    // handling deadlines one per accepted case, the overdue acceptance clocks' steps fired.
    let sup_pool = r.supervision[0].app.pool.clone();
    let note_pool = r.notification[0].app.pool.clone();
    wait_count(
        &intake_pool,
        "SELECT count(*) FROM outbox WHERE published_at IS NULL",
        0,
    )
    .await;
    let intake_events: BTreeSet<Uuid> = sqlx::query_scalar("SELECT event_id FROM outbox")
        .fetch_all(&intake_pool)
        .await
        .unwrap()
        .into_iter()
        .collect();
    wait_count(
        &sup_pool,
        "SELECT count(*) FROM case_events WHERE producer = 'intake'",
        intake_events.len() as i64,
    )
    .await;
    let timeline: Vec<Uuid> =
        sqlx::query_scalar("SELECT event_id FROM case_events WHERE producer = 'intake'")
            .fetch_all(&sup_pool)
            .await
            .unwrap();
    assert_eq!(timeline.len(), intake_events.len());
    assert_eq!(timeline.into_iter().collect::<BTreeSet<_>>(), intake_events);
    wait_count(
        &sup_pool,
        "SELECT count(*) FROM deadlines WHERE kind = 'handling'",
        accepted,
    )
    .await;
    wait_count(
        &note_pool,
        "SELECT count(*) FROM notices WHERE kind = 'acceptance_notice'",
        accepted,
    )
    .await;
    wait_count(
        &sup_pool,
        "SELECT count(*) FROM deadlines WHERE kind = 'acceptance'",
        PETITIONS as i64,
    )
    .await;

    // Timers: the unaccepted petitions' acceptance clocks are overdue; each step fires once.
    wait_for("overdue steps fired", Duration::from_secs(60), || {
        let pool = sup_pool.clone();
        async move {
            let fired = count(
                &pool,
                "SELECT count(*) FROM deadline_steps s JOIN deadlines d ON d.id = s.deadline_id \
                 WHERE d.kind = 'acceptance' AND s.step = 'overdue' AND s.fired_at IS NOT NULL",
            )
            .await;
            (fired >= accepted).then_some(())
        }
    })
    .await;
    // Let both timer workers run another round over the same rows.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let fired = count(
        &sup_pool,
        "SELECT count(*) FROM deadline_steps WHERE fired_at IS NOT NULL",
    )
    .await;
    let step_events = count(
        &sup_pool,
        "SELECT count(*) FROM outbox WHERE routing_key = 'supervision.deadline.step_reached.v1'",
    )
    .await;
    let distinct_steps = count(
        &sup_pool,
        "SELECT count(DISTINCT (envelope->'payload'->>'deadline_id', envelope->'payload'->>'step')) \
         FROM outbox WHERE routing_key = 'supervision.deadline.step_reached.v1'",
    )
    .await;
    assert!(fired > 0);
    assert_eq!(step_events, fired, "one step_reached event per fired step");
    assert_eq!(distinct_steps, step_events, "no step fired twice");

    // Publish once, per case in order, by both relays together.
    for (pair, pool) in [
        (&r.intake, &intake_pool),
        (&r.supervision, &sup_pool),
        (&r.notification, &note_pool),
    ] {
        wait_count(
            pool,
            "SELECT count(*) FROM outbox WHERE published_at IS NULL",
            0,
        )
        .await;
        let rows = count(pool, "SELECT count(*) FROM outbox").await as f64;
        let published = metric(&client, &pair[0], "xinfang_events_published_total").await
            + metric(&client, &pair[1], "xinfang_events_published_total").await;
        assert_eq!(
            published, rows,
            "{}: each outbox row published once",
            pair[0].name
        );
        let out_of_order = count(
            pool,
            "SELECT count(*) FROM (SELECT published_at < lag(published_at) OVER \
             (PARTITION BY case_id ORDER BY id) AS earlier FROM outbox WHERE case_id IS NOT NULL) o \
             WHERE earlier",
        )
        .await;
        assert_eq!(out_of_order, 0, "{}: per-case publish order", pair[0].name);
    }

    // Both replicas of each consumer did part of the work (competing consumers).
    for pair in [&r.supervision, &r.notification] {
        let a = metric(&client, &pair[0], "xinfang_events_consumed_total").await;
        let b = metric(&client, &pair[1], "xinfang_events_consumed_total").await;
        assert!(
            a > 0.0 && b > 0.0,
            "{}: replicas consumed {a} and {b}",
            pair[0].name
        );
    }

    // The operators' gauge of overdue deadlines (xinfang_deadlines_overdue, read from supervision's
    // database every 30 s): the unaccepted petitions' acceptance clocks are past due.
    let unaccepted = (PETITIONS as i64 - accepted) as f64;
    let sup = &r.supervision;
    wait_for("the overdue gauge", Duration::from_secs(45), || async {
        let a = metric(&client, &sup[0], "xinfang_deadlines_overdue").await;
        let b = metric(&client, &sup[1], "xinfang_deadlines_overdue").await;
        (a == unaccepted && b == unaccepted).then_some(())
    })
    .await;
    r.stop().await;
}
