//! Two replicas of every service (两副本): separate `Application` instances on their own ports,
//! sharing each service's database and queues, for the main flows (registration, acceptance,
//! notices, deadlines and their timers). What must hold across replicas:
//! - each event is applied once (supervision's timeline holds every intake event exactly once,
//!   notices and deadlines are one per case and kind), in both consumer modes: as deployed, one
//!   replica of each service consumes its queue at a time (single active consumer) and, when it
//!   stops, the other takes over; with `broker.single_active_consumer: false` both replicas compete
//!   for the deliveries and both consume;
//! - the outbox relays publish each event once (the replicas' publish counters add up to the
//!   outbox) and, per case, in outbox order;
//! - deadline timers fire once (one step_reached event per fired step);
//! - case numbers stay gap-free with registrations spread over both intake replicas;
//! - an idempotency key used at one replica answers the same at the other;
//! - two console replicas share sessions, the login throttle and the signing key, and publish a
//!   units directory change once (`two_console_replicas_share_sessions_throttle_directory_and_keys`).

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
    async fn start(single_active_consumer: bool) -> Replicas {
        let mut env = TestEnv::new();
        env.single_active_consumer = single_active_consumer;
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

    /// The environment and the pairs: intake, mediation, review, supervision, notification.
    fn into_pairs(self) -> (TestEnv, [[Service; 2]; 5]) {
        let Replicas {
            env,
            intake,
            mediation,
            review,
            supervision,
            notification,
        } = self;
        (env, [intake, mediation, review, supervision, notification])
    }

    async fn stop(self) {
        let (env, pairs) = self.into_pairs();
        for pair in pairs {
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

/// Poll until `sql` (one `$1`: the case id) counts exactly one row (60 s).
async fn wait_one(what: &str, pool: &PgPool, sql: &'static str, case: Uuid) {
    wait_for(what, Duration::from_secs(60), || {
        let pool = pool.clone();
        async move {
            let n: i64 = sqlx::query_scalar(sql)
                .bind(case)
                .fetch_one(&pool)
                .await
                .unwrap();
            (n == 1).then_some(())
        }
    })
    .await;
}

/// A walk-in claim received on `received` (YYYY-MM-DD).
fn petition(summary: &str, received: &str, name: &str) -> Value {
    json!({ "channel": "visit", "summary": summary, "received_on": received,
            "category": "claim", "field": "labour_social_security", "township": "古韩镇",
            "petitioners": [{ "name": name }] })
}

const ACCEPTANCE_CLOCK: &str =
    "SELECT count(*) FROM deadlines WHERE case_id = $1 AND kind = 'acceptance'";
const RECEIPT: &str =
    "SELECT count(*) FROM notices WHERE case_id = $1 AND kind = 'registration_receipt'";

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

/// As deployed: one active consumer per queue, the standby taking over when it stops.
#[tokio::test]
async fn two_replicas_of_every_service_apply_publish_and_fire_once() {
    two_replicas(true).await;
}

/// `broker.single_active_consumer: false`: the replicas compete for deliveries.
#[tokio::test]
async fn two_competing_replicas_of_every_service_apply_publish_and_fire_once() {
    two_replicas(false).await;
}

/// One set of ten replicas at a time: each holds ten services' connection pools, and two sets
/// beside this file's other tests come close to PostgreSQL's default `max_connections` (100).
static TEN_SERVICES: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn two_replicas(single_active_consumer: bool) {
    let _one_set = TEN_SERVICES.lock().await;
    let r = Replicas::start(single_active_consumer).await;
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
        let body = petition(&format!("两副本 {i}"), &received, "张三");
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

    // Competing consumers: both replicas of each consumer did part of the work. A single active
    // consumer: one replica did all of it and the other stood by.
    for pair in [&r.mediation, &r.review, &r.supervision, &r.notification] {
        let a = metric(&client, &pair[0], "xinfang_events_consumed_total").await;
        let b = metric(&client, &pair[1], "xinfang_events_consumed_total").await;
        if single_active_consumer {
            assert!(
                (a > 0.0) != (b > 0.0),
                "{}: one replica consumes, the other stands by; they consumed {a} and {b}",
                pair[0].name
            );
        } else {
            assert!(
                a > 0.0 && b > 0.0,
                "{}: replicas consumed {a} and {b}",
                pair[0].name
            );
        }
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
    if single_active_consumer {
        hand_over(r, &received).await;
    } else {
        r.stop().await;
    }
}

/// The active consumer of supervision and of notification stops; a petition registered afterwards
/// is applied by the replica that stood by (its acceptance clock and its receipt appear, and the
/// standby's consumed counter moves).
async fn hand_over(r: Replicas, received: &str) {
    let client = test_client();
    let (env, [intake, mediation, review, supervision, notification]) = r.into_pairs();
    let mut standbys = Vec::new();
    for pair in [supervision, notification] {
        let consumed = [
            metric(&client, &pair[0], "xinfang_events_consumed_total").await,
            metric(&client, &pair[1], "xinfang_events_consumed_total").await,
        ];
        let [a, b] = pair;
        let (active, standby) = if consumed[0] > 0.0 { (a, b) } else { (b, a) };
        active.stop().await;
        standbys.push(standby);
    }
    let body = petition("两副本 接替", received, "李四");
    let (status, created) = post(&client, intake[0].url("/api/v1/petitions"), &body, None).await;
    assert_eq!(status, 201, "{created}");
    let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
    wait_one(
        "the standby supervision applies the registration",
        &standbys[0].app.pool,
        ACCEPTANCE_CLOCK,
        id,
    )
    .await;
    wait_one(
        "the standby notification applies the registration",
        &standbys[1].app.pool,
        RECEIPT,
        id,
    )
    .await;
    for standby in &standbys {
        assert!(
            metric(&client, standby, "xinfang_events_consumed_total").await > 0.0,
            "{}: the standby took over the queue",
            standby.name
        );
    }
    for s in standbys {
        s.stop().await;
    }
    for pair in [intake, mediation, review] {
        for s in pair {
            s.stop().await;
        }
    }
    drop(env);
}

/// Two console replicas (控制台两副本) on one database with the same signing key, as deployed:
/// - a session opened at one replica refreshes at the other, and a logout at either ends it at both;
/// - failed logins at both replicas add up to one lockout (the throttle lives in the database);
/// - a unit created at one replica is published once (the replicas' relays together publish each
///   outbox row once) and reaches the services' copies;
/// - tokens issued by either replica are accepted by services that trust either replica's JWKS.
#[tokio::test]
async fn two_console_replicas_share_sessions_throttle_directory_and_keys() {
    use xinfang_e2e::console::{add_account, admin_token, console_settings};

    let env = TestEnv::new();
    let mut seed = [0u8; 32];
    seed[..16].copy_from_slice(Uuid::new_v4().as_bytes());
    seed[16..].copy_from_slice(Uuid::new_v4().as_bytes());
    let mut settings = console_settings(&env, 300);
    settings.console.tokens.signing_keys = vec![console::configuration::KeySettings {
        kid: "replicas-1".into(),
        private_key_pem: Some(console::domain::keys::KeyPair::pem_of_seed(&seed).into()),
        private_key_file: None,
        state: console::configuration::KeyState::Active,
        retired_at: None,
    }];
    let consoles = [
        spawn_app(console::startup::build(settings.clone())).await,
        spawn_app(console::startup::build(settings)).await,
    ];
    // Intake trusts only the first replica's JWKS, mediation only the second's.
    let trusting = |service: &str, console: usize| {
        let mut platform = env.settings(service);
        platform.auth.public_keys = Vec::new();
        platform.auth.jwks_url = Some(consoles[console].url("/.well-known/jwks.json"));
        platform.auth.min_refresh_interval_secs = 0;
        platform
    };
    let intake = spawn_app(intake::startup::build(intake::configuration::Settings {
        platform: trusting("intake", 0),
        intake: intake::configuration::IntakeSettings {
            division_code: "140423".into(),
        },
    }))
    .await;
    let mediation = spawn_app(mediation::startup::build(
        mediation::configuration::Settings {
            platform: trusting("mediation", 1),
        },
    ))
    .await;
    for app in [&intake, &mediation, &consoles[0], &consoles[1]] {
        assert!(app.broker.wait_connected(Duration::from_secs(15)).await);
    }
    let client = test_client();
    let post_json = |url: String, token: Option<String>, body: Value| {
        let client = client.clone();
        async move {
            let mut req = client.post(url).json(&body);
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    // A token is accepted when the answer is about the resource (404), not the caller (401).
    let accepted_at = |url: String, token: String| {
        let client = client.clone();
        async move {
            let s = client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            s == 404
        }
    };
    let intake_case = intake.url(&format!("/api/v1/petitions/{}", Uuid::now_v7()));
    let mediation_case = mediation.url(&format!("/api/v1/cases/{}", Uuid::now_v7()));

    // Sessions: opened at replica 0, refreshed at replica 1, ended at replica 1 for both.
    add_account(
        &consoles[0],
        "clerk.replicas",
        xinfang_test_support::BUREAU,
        &["clerk"],
        "Xf-replicas-2026!",
        None,
    )
    .await;
    let (s, session) = post_json(
        consoles[0].url("/api/v1/auth/login"),
        None,
        json!({ "login_name": "clerk.replicas", "password": "Xf-replicas-2026!" }),
    )
    .await;
    assert_eq!(s, 200, "{session}");
    let first_token = session["access_token"].as_str().unwrap().to_string();
    let (s, refreshed) = post_json(
        consoles[1].url("/api/v1/auth/refresh"),
        None,
        json!({ "refresh_token": session["refresh_token"] }),
    )
    .await;
    assert_eq!(s, 200, "the other replica knows the session: {refreshed}");
    let second_token = refreshed["access_token"].as_str().unwrap().to_string();
    // Tokens of either replica, at services trusting either replica's JWKS.
    for token in [&first_token, &second_token] {
        assert!(
            accepted_at(intake_case.clone(), token.clone()).await,
            "intake accepts it"
        );
        assert!(
            accepted_at(mediation_case.clone(), token.clone()).await,
            "mediation accepts it"
        );
    }
    let (s, _) = post_json(
        consoles[1].url("/api/v1/auth/logout"),
        Some(second_token.clone()),
        json!({}),
    )
    .await;
    assert!(s < 300, "logout: {s}");
    let (s, _) = post_json(
        consoles[0].url("/api/v1/auth/refresh"),
        None,
        json!({ "refresh_token": session["refresh_token"] }),
    )
    .await;
    assert_eq!(s, 401, "the session ended at both replicas");

    // Throttle: five failures spread over both replicas lock the login name at both.
    add_account(
        &consoles[1],
        "handler.replicas",
        xinfang_test_support::BUREAU,
        &["handler"],
        "Xf-handler-2026!",
        None,
    )
    .await;
    for i in 0..5 {
        let (s, _) = post_json(
            consoles[i % 2].url("/api/v1/auth/login"),
            None,
            json!({ "login_name": "handler.replicas", "password": "wrong-password-1" }),
        )
        .await;
        assert_eq!(s, 401);
    }
    for console in &consoles {
        let (s, b) = post_json(
            console.url("/api/v1/auth/login"),
            None,
            json!({ "login_name": "handler.replicas", "password": "Xf-handler-2026!" }),
        )
        .await;
        assert_eq!(s, 429, "locked at every replica: {b}");
    }

    // The units directory: a unit created at replica 1, published once, known to the services.
    let admin = admin_token(&consoles[0]).await;
    let (s, b) = post_json(
        consoles[1].url("/api/v1/units"),
        Some(admin.clone()),
        json!({ "code": "140423-DAJ", "name": "襄垣县档案局", "short_name": "县档案局",
                "kind": "department", "level": "county", "parent_code": "140423-ZF" }),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    for app in [&intake, &mediation] {
        let url = app.url("/api/v1/directory/units/140423-DAJ");
        wait_for("the new unit at a service", Duration::from_secs(15), || {
            let (client, url, admin) = (client.clone(), url.clone(), admin.clone());
            async move {
                let s = client
                    .get(url)
                    .bearer_auth(admin)
                    .send()
                    .await
                    .ok()?
                    .status();
                (s.as_u16() == 200).then_some(())
            }
        })
        .await;
    }
    let console_pool = consoles[0].pool.clone();
    wait_count(
        &console_pool,
        "SELECT count(*) FROM outbox WHERE published_at IS NULL",
        0,
    )
    .await;
    assert_eq!(
        count(
            &console_pool,
            "SELECT count(*) FROM outbox WHERE envelope->'payload'->'unit'->>'code' = '140423-DAJ'
                                          OR envelope->'payload'->>'code' = '140423-DAJ'"
        )
        .await,
        1,
        "one change, one event"
    );
    // Each outbox row published once, by one replica or the other.
    let rows = count(&console_pool, "SELECT count(*) FROM outbox").await as f64;
    let mut published = 0.0;
    for c in &consoles {
        let text = client
            .get(c.url("/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        published += text
            .lines()
            .filter(|l| l.split(['{', ' ']).next() == Some("xinfang_events_published_total"))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>();
    }
    assert_eq!(
        published, rows,
        "the console replicas published each event once"
    );

    for app in [intake, mediation] {
        app.stop().await;
    }
    for c in consoles {
        c.stop().await;
    }
    drop(env);
}

/// A platform upgraded from competing consumers (单一活跃消费者 turned on over queues declared
/// without it): the broker refuses to redeclare a queue with other arguments, so the services use
/// the queues as they are declared and keep working; nothing is lost.
#[tokio::test]
async fn services_keep_queues_declared_in_the_other_consumer_mode() {
    let env = TestEnv::new();
    assert!(env.single_active_consumer, "as deployed");
    // The earlier version's topology: the same names, competing consumers.
    let earlier = env.topology().with_single_active_consumer(false);
    let conn = lapin::Connection::connect(
        xinfang_test_support::AMQP_URL,
        lapin::ConnectionProperties::default(),
    )
    .await
    .unwrap();
    let ch = conn.create_channel().await.unwrap();
    earlier.declare(&ch).await.unwrap();
    // Redeclaring in the new mode is refused (406), which is what the services meet.
    let refused = env.topology().declare(&ch).await.unwrap_err();
    assert!(
        xinfang_messaging::Topology::is_mismatch(&refused),
        "{refused}"
    );
    let _ = conn.close(200, "declared".into()).await;

    let intake = start_intake(&env).await;
    let supervision = start_supervision(&env, ConsumerHooks::default()).await;
    for s in [&intake, &supervision] {
        assert!(
            s.app.broker.wait_connected(Duration::from_secs(15)).await,
            "{} connects over the queues of the other mode",
            s.name
        );
    }
    let client = test_client();
    let today = xinfang_platform::time::china_date(chrono::Utc::now())
        .format("%Y-%m-%d")
        .to_string();
    let body = petition("升级后 队列沿用", &today, "王五");
    let (status, created) = post(&client, intake.url("/api/v1/petitions"), &body, None).await;
    assert_eq!(status, 201, "{created}");
    let id: Uuid = created["id"].as_str().unwrap().parse().unwrap();
    wait_one(
        "supervision applies the registration",
        &supervision.app.pool,
        ACCEPTANCE_CLOCK,
        id,
    )
    .await;
    supervision.stop().await;
    intake.stop().await;
    drop(env);
}
