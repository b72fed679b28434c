//! Timer benchmark (期限提醒压测): 1,000,000 open deadlines, each with a due step that is due today
//! and its overdue and long-overdue steps scheduled later, then fire every due step with the
//! production code path (`timers::fire_due_steps_as`: claim with FOR UPDATE SKIP LOCKED, write the
//! event into the outbox, mark fired, one transaction per batch) from several concurrent workers,
//! as several replicas would.
//!
//! `cargo run --release -p supervision --example bench_timers`
//! Environment: BENCH_DEADLINES (1000000), BENCH_WORKERS (4), BENCH_BATCH (1000),
//! DATABASE_URL_ADMIN (postgres://postgres@127.0.0.1:5432/postgres).

// A benchmark prints its table on stdout and stops at once on a broken setup.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use chrono::NaiveDate;
use sqlx::{postgres::PgPoolOptions, Connection, Executor, PgConnection};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: i64 = env_or("BENCH_DEADLINES", 1_000_000);
    let workers: usize = env_or("BENCH_WORKERS", 4);
    let batch: i64 = env_or("BENCH_BATCH", 1_000);
    let admin_url = std::env::var("DATABASE_URL_ADMIN")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let db = format!(
        "xf_bench_timers_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let mut admin = PgConnection::connect(&admin_url).await?;
    admin
        .execute(sqlx::AssertSqlSafe(format!(r#"CREATE DATABASE "{db}""#)))
        .await?;
    let url = format!(
        "{}/{db}",
        admin_url
            .rsplit_once('/')
            .map(|x| x.0)
            .unwrap_or(&admin_url)
    );
    let result = run(&url, n, workers, batch).await;
    admin
        .execute(sqlx::AssertSqlSafe(format!(
            r#"DROP DATABASE IF EXISTS "{db}" WITH (FORCE)"#
        )))
        .await?;
    result
}

async fn run(url: &str, n: i64, workers: usize, batch: i64) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(workers as u32 + 2)
        .connect(url)
        .await?;
    xinfang_platform::runtime::migrate(&pool, &supervision::MIGRATOR).await?;

    let t = Instant::now();
    sqlx::query(
        "INSERT INTO deadlines (id, case_id, case_number, kind, basis, unit_code, start_date, period, period_unit,
                                due_date, explanation, status, source_event_id, steps_scheduled)
         SELECT gen_random_uuid(), gen_random_uuid(), '140423-2025-' || lpad(g::text, 7, '0'), 'acceptance',
                '《信访工作条例》第二十二条', '140423-U' || (g % 200)::text, date '2025-09-01', 15, 'calendar_days',
                date '2025-09-16', '[\"2025-09-01 + 15 日 = 2025-09-16\"]'::jsonb, 'open', gen_random_uuid(), true
         FROM generate_series(1, $1) g",
    )
    .bind(n)
    .execute(&pool)
    .await?;
    sqlx::query(
        "INSERT INTO deadline_steps (deadline_id, step, seq, fire_on)
         SELECT id, s.step, s.seq, due_date + s.offs FROM deadlines,
                (VALUES ('due', 2::int2, 0), ('overdue', 3::int2, 1), ('long_overdue', 4::int2, 30)) AS s(step, seq, offs)",
    )
    .execute(&pool)
    .await?;
    sqlx::query("VACUUM ANALYZE deadlines")
        .execute(&pool)
        .await?;
    sqlx::query("VACUUM ANALYZE deadline_steps")
        .execute(&pool)
        .await?;
    println!(
        "setup: {n} open deadlines, {} steps, in {:.1} s",
        n * 3,
        t.elapsed().as_secs_f64()
    );

    let today = NaiveDate::from_ymd_opt(2025, 9, 16).expect("date");
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            supervision::deadlines::workers::fire_due_steps_as(
                &pool,
                today,
                batch,
                &format!("bench-{w}"),
            )
            .await
        }));
    }
    let mut fired = 0;
    for task in tasks {
        fired += task.await??;
    }
    let secs = t.elapsed().as_secs_f64();
    let outbox: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&pool)
        .await?;
    let pending: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deadline_steps WHERE fired_at IS NULL AND fire_on <= $1",
    )
    .bind(today)
    .fetch_one(&pool)
    .await?;
    let dup: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT envelope->'payload'->>'deadline_id' FROM outbox GROUP BY 1 HAVING count(*) > 1) d",
    )
    .fetch_one(&pool)
    .await?;
    println!(
        "fired {fired} due steps in {secs:.1} s with {workers} workers, batch {batch}: {:.0} steps/s",
        fired as f64 / secs
    );
    println!(
        "outbox rows {outbox}, due steps left {pending}, deadlines with more than one event {dup}"
    );
    anyhow::ensure!(
        fired as i64 == n && outbox == n && pending == 0 && dup == 0,
        "every due step fires exactly once"
    );
    pool.close().await;
    Ok(())
}
