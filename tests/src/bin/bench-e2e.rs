//! End-to-end benchmark of the skeleton flow (docs/performance.md):
//! 1. ceilings on this machine: PostgreSQL single-row insert+commit rate, RabbitMQ confirmed
//!    persistent publish rate to a quorum queue;
//! 2. throughput: petitions registered over HTTP per second, counted until every petition's
//!    downstream effects exist (deadline, receipt, mediation and review cases);
//! 3. registration latency p50/p99 at a fixed 200 requests/s.
//!
//! Run: `cargo run --release -p xinfang-e2e --bin bench-e2e [-- COUNT]`

// A benchmark: it reports its figures on stdout.
#![allow(clippy::print_stdout)]

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use lapin::{options::*, types::FieldTable, BasicProperties, Connection, ConnectionProperties};
use sqlx::{Connection as _, PgConnection};
use tokio::sync::Semaphore;
use xinfang_e2e::{bench_env, petition, stand_in_for_autovacuum, Hooks, Platform};
use xinfang_test_support::{clerk_token, directory::department, AMQP_URL};

/// A summary of 30 Chinese characters drawn from the 3,000 most common code points of the CJK block,
/// so that, as in real life, most petitions share few character pairs (repeat detection stays on).
fn summary(seed: u64) -> String {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..30)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from_u32(0x4E00 + (x % 3000) as u32).unwrap_or('事')
        })
        .collect()
}

/// A claim in one of the fields of the default taxonomy against one of 60 respondent units (360 field-and-respondent scopes,
/// as in the repeat-detection benchmark), so that repeat detection compares each petition with the
/// earlier ones of its own scope, as it would in a county. `BENCH_ONE_SCOPE=1` puts every petition
/// in one scope instead (the worst case of repeat detection).
fn body(seed: u64) -> serde_json::Value {
    let mut p = petition(&summary(seed));
    if std::env::var_os("BENCH_ONE_SCOPE").is_some() {
        return p;
    }
    let h = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    p["category"] = "claim".into();
    let fields: Vec<String> = intake::configuration::default_taxonomy()
        .into_keys()
        .collect();
    p["field"] = fields[(h % fields.len() as u64) as usize].clone().into();
    p["respondent_unit"] = format!("140423-U{:02}", (h / 6) % 60).into();
    p
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn pg_ceiling(n: usize) -> anyhow::Result<f64> {
    // A regular (WAL-logged) table: every commit waits for its WAL flush, as the services' do. (A
    // temporary table writes no WAL, so its commits never flush and would overstate the ceiling.)
    let table = format!("bench_ceiling_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres").await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE TABLE {table} (id BIGSERIAL PRIMARY KEY, v TEXT)"
    )))
    .execute(&mut conn)
    .await?;
    let insert = format!("INSERT INTO {table} (v) VALUES ($1)");
    let t = Instant::now();
    for i in 0..n {
        sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
            .bind(i.to_string())
            .execute(&mut conn)
            .await?;
    }
    let single = n as f64 / t.elapsed().as_secs_f64();
    // Eight concurrent writers (group commit).
    let t = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let insert = insert.clone();
        tasks.push(tokio::spawn(async move {
            let mut c =
                PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres").await?;
            for i in 0..n / 8 {
                sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
                    .bind(i.to_string())
                    .execute(&mut c)
                    .await?;
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let concurrent = n as f64 / t.elapsed().as_secs_f64();
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TABLE {table}")))
        .execute(&mut conn)
        .await?;
    println!("postgres insert+commit: {single:.0}/s on one connection, {concurrent:.0}/s on eight");
    Ok(single)
}

async fn rabbit_ceiling(n: usize) -> anyhow::Result<f64> {
    let conn = Connection::connect(AMQP_URL, ConnectionProperties::default()).await?;
    let ch = conn.create_channel().await?;
    let q = format!("bench.{}", uuid::Uuid::new_v4().simple());
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        xinfang_messaging::headers::text("quorum"),
    );
    ch.queue_declare(
        q.clone().into(),
        QueueDeclareOptions {
            durable: true,
            ..Default::default()
        },
        args,
    )
    .await?;
    ch.confirm_select(ConfirmSelectOptions::default()).await?;
    let payload = vec![b'x'; 600];
    let props = BasicProperties::default().with_delivery_mode(2);
    let t = Instant::now();
    for _ in 0..n / 10 {
        ch.basic_publish(
            "".into(),
            q.clone().into(),
            BasicPublishOptions {
                mandatory: true,
                ..Default::default()
            },
            &payload,
            props.clone(),
        )
        .await?
        .await?;
    }
    let one_by_one = (n / 10) as f64 / t.elapsed().as_secs_f64();
    let t = Instant::now();
    for _ in 0..n / 100 {
        let mut confirms = Vec::with_capacity(100);
        for _ in 0..100 {
            confirms.push(
                ch.basic_publish(
                    "".into(),
                    q.clone().into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..Default::default()
                    },
                    &payload,
                    props.clone(),
                )
                .await?,
            );
        }
        for c in confirms {
            assert!(c.await?.is_ack());
        }
    }
    let pipelined = n as f64 / t.elapsed().as_secs_f64();
    ch.queue_delete(q.into(), QueueDeleteOptions::default())
        .await?;
    let _ = conn.close(200, "bench".into()).await;
    println!("rabbitmq confirmed persistent publish (quorum queue): {one_by_one:.0}/s awaiting each, {pipelined:.0}/s pipelined by 100");
    Ok(pipelined)
}

/// Register `n` petitions (seeds `first..first + n`), 64 in flight; every one must be created.
/// `accepted` counts the answers received.
async fn register_many(
    p: &Platform,
    url: &str,
    token: &str,
    first: u64,
    n: usize,
    accepted: Arc<AtomicU64>,
) -> anyhow::Result<()> {
    let sem = Arc::new(Semaphore::new(64));
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n as u64 {
        let permit = sem.clone().acquire_owned().await?;
        let (client, url, token) = (p.client.clone(), url.to_string(), token.to_string());
        let accepted = accepted.clone();
        tasks.push(tokio::spawn(async move {
            let r = client
                .post(url)
                .bearer_auth(token)
                .json(&body(first + i))
                .send()
                .await;
            accepted.fetch_add(1, Ordering::Relaxed);
            drop(permit);
            r.map(|r| r.status().as_u16()).unwrap_or(0)
        }));
    }
    for task in tasks {
        assert_eq!(task.await?, 201);
    }
    Ok(())
}

/// Downstream effects of every petition: its receipt, its deadline, its mediation and review cases.
const EFFECTS: [&str; 4] = [
    "SELECT count(*) FROM notices WHERE kind = 'registration_receipt'",
    "SELECT count(*) FROM deadlines",
    "SELECT count(*) FROM cases",
    "SELECT count(*) FROM cases",
];

/// Print, every `window`, the petitions accepted over HTTP and those with all their downstream
/// effects (the least of the four counts, less the warm-up), in the window and since the start.
async fn sample_windows(
    pools: [sqlx::PgPool; 4],
    accepted: Arc<AtomicU64>,
    running: Arc<AtomicBool>,
    window: Duration,
    warm_up: i64,
) {
    let start = Instant::now();
    let (mut last_accepted, mut last_done) = (0u64, 0i64);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + window, window);
    loop {
        tick.tick().await;
        if !running.load(Ordering::Relaxed) {
            return;
        }
        let mut done = i64::MAX;
        for (pool, sql) in pools.iter().zip(EFFECTS) {
            let n: i64 = sqlx::query_scalar(sql).fetch_one(pool).await.unwrap_or(0);
            done = done.min(n - warm_up);
        }
        let now = accepted.load(Ordering::Relaxed);
        let secs = window.as_secs_f64();
        println!(
            "  window to {:>4.0}s: accepted {:>5.0}/s, all effects {:>5.0}/s; since start {now} accepted, {done} with all effects (behind by {})",
            start.elapsed().as_secs_f64(),
            (now - last_accepted) as f64 / secs,
            (done - last_done) as f64 / secs,
            now as i64 - done,
        );
        (last_accepted, last_done) = (now, done);
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3000);
    if std::env::var("BENCH_SKIP_CEILINGS").is_err() {
        pg_ceiling(2000).await?;
        rabbit_ceiling(20_000).await?;
    }

    let env = bench_env();
    println!(
        "consumer batch size {}, {} lanes, linger {} ms",
        env.consumer_batch, env.lanes, env.batch_linger_ms
    );
    let p = Platform::start_in(env, Hooks::default()).await;
    // The respondent units the generated petitions name, beyond the seeded directory.
    let units: Vec<_> = (0..60)
        .map(|i| department(&format!("140423-U{i:02}"), &format!("测试部门{i:02}")))
        .collect();
    p.add_units(&units).await;
    let token = clerk_token();
    let url = p.intake.url("/api/v1/petitions");

    // Warm-up (not measured): a first 1,000 petitions through every service, then ANALYZE on every
    // database, as autovacuum keeps the statistics of a running deployment. Without it, the
    // statements prepared in the first seconds keep plans made for empty tables (sequential scans,
    // hash joins) while the tables grow during the run — an artefact of starting from nothing.
    let warm_up = 1_000;
    register_many(
        &p,
        &url,
        &token,
        9_000_000_000,
        warm_up,
        Arc::new(AtomicU64::new(0)),
    )
    .await?;
    let timeout = Duration::from_secs(600);
    p.wait_count(
        &p.notification,
        "SELECT count(*) FROM notices WHERE kind = 'registration_receipt'",
        warm_up as i64,
        timeout,
    )
    .await;
    p.wait_count(
        &p.supervision,
        "SELECT count(*) FROM deadlines",
        warm_up as i64,
        timeout,
    )
    .await;
    for svc in [
        &p.intake,
        &p.mediation,
        &p.review,
        &p.supervision,
        &p.notification,
    ] {
        sqlx::query("ANALYZE").execute(&svc.app.pool).await?;
    }
    // The tables grow several times over during the run: their statistics follow (autovacuum's
    // job in a deployment).
    let _analyser = stand_in_for_autovacuum(
        p.services().iter().map(|s| s.app.pool.clone()).collect(),
        None,
    )
    .await;

    // Throughput: `count` registrations, 64 in flight, until every downstream effect exists.
    // Meanwhile, every BENCH_WINDOW_SECS (10 by default), one line per window: petitions accepted
    // and those whose every downstream effect exists, so a long run shows whether downstream keeps
    // pace throughout (sustained) or only drains a backlog at the end.
    let window: u64 = std::env::var("BENCH_WINDOW_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let accepted = Arc::new(AtomicU64::new(0));
    let running = Arc::new(AtomicBool::new(true));
    let sampler = tokio::spawn(sample_windows(
        [
            p.notification.app.pool.clone(),
            p.supervision.app.pool.clone(),
            p.mediation.app.pool.clone(),
            p.review.app.pool.clone(),
        ],
        accepted.clone(),
        running.clone(),
        Duration::from_secs(window.max(1)),
        warm_up as i64,
    ));
    let t = Instant::now();
    register_many(&p, &url, &token, 0, count, accepted).await?;
    let http_done = t.elapsed();
    let n = (warm_up + count) as i64;
    for (svc, sql) in [&p.notification, &p.supervision, &p.mediation, &p.review]
        .into_iter()
        .zip(EFFECTS)
    {
        p.wait_count(svc, sql, n, timeout).await;
    }
    let all_done = t.elapsed();
    running.store(false, Ordering::Relaxed);
    sampler.await?;
    println!(
        "end to end: {count} petitions; HTTP accepted in {:.2}s ({:.0}/s); all downstream effects in {:.2}s ({:.0} petitions/s end to end)",
        http_done.as_secs_f64(),
        count as f64 / http_done.as_secs_f64(),
        all_done.as_secs_f64(),
        count as f64 / all_done.as_secs_f64()
    );

    // Latency at fixed rates, 10 s each (see BENCH_RATES below), from an idle platform (downstream caught up first).
    let mut registered = n;
    // BENCH_RATES (e.g. "200") and BENCH_RATE_SECS change the phases, for profiling one of them.
    let rates: Vec<u64> = std::env::var("BENCH_RATES")
        .ok()
        .map(|v| v.split(',').filter_map(|r| r.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![50, 100, 200]);
    let secs: u64 = std::env::var("BENCH_RATE_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    for rate in rates {
        let n = (rate * secs) as usize;
        p.wait_count(
            &p.notification,
            "SELECT count(*) FROM notices WHERE kind = 'registration_receipt'",
            registered,
            timeout,
        )
        .await;
        registered += n as i64;
        let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate));
        let mut tasks = Vec::with_capacity(n);
        for i in 0..n {
            tick.tick().await;
            let (client, url, token) = (p.client.clone(), url.clone(), token.clone());
            tasks.push(tokio::spawn(async move {
                let s = Instant::now();
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body(rate * 1_000_000 + i as u64))
                    .send()
                    .await;
                let ok = r.map(|r| r.status().as_u16()).unwrap_or(0) == 201;
                (ok, s.elapsed().as_secs_f64() * 1000.0)
            }));
        }
        let mut lat = Vec::with_capacity(n);
        let mut failed = 0;
        let mut slow = Vec::new();
        for (i, task) in tasks.into_iter().enumerate() {
            let (ok, ms) = task.await?;
            if ms > 100.0 {
                slow.push(format!("#{i}: {ms:.0} ms"));
            }
            if ok {
                lat.push(ms);
            } else {
                failed += 1;
            }
        }
        registered -= failed as i64;
        if lat.is_empty() {
            println!("registration latency at {rate} req/s: every request failed");
            continue;
        }
        if std::env::var("BENCH_SHOW_SLOW").is_ok() && !slow.is_empty() {
            println!("requests over 100 ms at {rate} req/s: {}", slow.join(", "));
        }
        lat.sort_by(f64::total_cmp);
        println!(
            "registration latency at {rate} req/s ({n} requests): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms{}",
            pct(&lat, 0.5),
            pct(&lat, 0.99),
            lat[lat.len() - 1],
            if failed > 0 { format!("; {failed} refused (503: overloaded)") } else { String::new() }
        );
    }
    p.stop().await;
    Ok(())
}
