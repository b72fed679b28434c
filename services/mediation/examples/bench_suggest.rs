//! Benchmark of the mediator suggestion (推荐调解员): 10,000 mediators in 60 bodies and 1,000,000
//! past mediations (with the per-field record the service keeps from them, and the `mediator_reach`
//! rows its triggers keep), then the suggestion as the handler computes it (the mediation's
//! context, one statement for those who cover the field, a second only when they are fewer than
//! asked, the explanation) for mediations across 12 fields × 20 townships. Target: p99 < 20 ms.
//!
//! `cargo run --release -p mediation --example bench_suggest [-- MEDIATORS PAST RUNS]`
//! Uses a fresh database on 127.0.0.1:5432 and drops it at the end.

// A benchmark prints its table on stdout and stops at once on a broken setup.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use mediation::{domain::mediator_choice::explain, store::suggest};
use sqlx::{postgres::PgPoolOptions, PgPool};
use uuid::Uuid;
use xinfang_test_support::TestEnv;

const FIELDS: &str = "ARRAY['urban_rural_construction','labour_social_security','agriculture_rural','natural_resources',
    'law_litigation','education','health','environment','transport','civil_affairs','market_regulation','other']";

fn arg(n: usize, default: i64) -> i64 {
    std::env::args()
        .nth(n)
        .map(|s| s.parse().expect("a number"))
        .unwrap_or(default)
}

async fn exec(pool: &PgPool, what: &str, sql: String) {
    let t = Instant::now();
    let n = sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(pool)
        .await
        .expect(what)
        .rows_affected();
    println!(
        "seed: {what}: {n} rows in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mediators = arg(1, 10_000);
    let past = arg(2, 1_000_000);
    let runs = arg(3, 2_000) as usize;
    let env = TestEnv::new();
    let settings = env.settings("mediation");
    xinfang_platform::runtime::ensure_database(&settings.database).await?;
    let pool: PgPool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(settings.database.with_db())
        .await?;
    xinfang_platform::runtime::migrate(&pool, &mediation::MIGRATOR).await?;

    let townships = "(SELECT array_agg('乡镇' || lpad(n::text, 2, '0') ORDER BY n) FROM generate_series(1, 20) n)";
    exec(&pool, "bodies", format!(
        "INSERT INTO bodies (id, name, kind, township, fields, contact, unit_code)
         SELECT md5('body' || i)::uuid, '调解委员会' || i, 'township_committee', ({townships})[1 + i % 20],
                ARRAY[({FIELDS})[1 + i % 12]], '0355-' || i, '140423-U' || i
         FROM generate_series(0, 59) i")).await;
    exec(&pool, "mediators", format!(
        "INSERT INTO mediators (id, name, body_id, kind, fields, townships, employer_unit, active, open_mediations)
         SELECT md5('mediator' || i)::uuid, '调解员' || i, md5('body' || (i % 60))::uuid, 'people_mediator',
                CASE WHEN i % 3 = 0 THEN ARRAY[({FIELDS})[1 + i % 12]]
                     ELSE ARRAY[({FIELDS})[1 + i % 12], ({FIELDS})[1 + (i * 7 + 3) % 12]] END,
                CASE WHEN i % 4 = 0 THEN ARRAY[({townships})[1 + i % 20], ({townships})[1 + (i * 3 + 1) % 20]]
                     ELSE ARRAY[({townships})[1 + i % 20]] END,
                CASE WHEN i % 50 = 0 THEN '140423-U' || (i % 7) END,
                i % 20 <> 0, (i * 37) % 15
         FROM generate_series(0, {mediators} - 1) i")).await;
    exec(&pool, "disputes (one per past mediation)", format!(
        "INSERT INTO disputes (id, unit_code, township, field, summary, parties, status, registered_on, resolved_on, registered_by)
         SELECT md5('dispute' || i)::uuid, '140423-U' || (i % 60), ({townships})[1 + i % 20], ({FIELDS})[1 + i % 12],
                '纠纷' || i, ARRAY['甲' || i, '乙' || i],
                CASE WHEN i % 10 < 7 THEN 'resolved' ELSE 'unresolved' END,
                date '2020-01-01' + (i % 2000), date '2020-01-05' + (i % 2000), 'bench'
         FROM generate_series(1, {past}) i")).await;
    exec(&pool, "past mediations", format!(
        "INSERT INTO mediations (id, dispute_id, stage, body_id, mediator_id, field, township, summary, status, outcome,
                                 referred_on, ended_on, referred_by)
         SELECT md5('mediation' || i)::uuid, md5('dispute' || i)::uuid, 'pre_petition', md5('body' || (i % {mediators} % 60))::uuid,
                md5('mediator' || (i % {mediators}))::uuid, ({FIELDS})[1 + i % 12], ({townships})[1 + i % 20], '纠纷' || i,
                CASE WHEN i % 10 < 7 THEN 'agreed' ELSE 'failed' END,
                CASE WHEN i % 10 < 7 THEN 'agreement' ELSE 'failed' END,
                date '2020-01-01' + (i % 2000), date '2020-01-05' + (i % 2000), 'bench'
         FROM generate_series(1, {past}) i")).await;
    exec(
        &pool,
        "mediator field records (kept by the service as mediations end)",
        "INSERT INTO mediator_field_record (mediator_id, field, ended, agreed)
         SELECT mediator_id, field, count(*), count(*) FILTER (WHERE status = 'agreed')
         FROM mediations WHERE mediator_id IS NOT NULL GROUP BY 1, 2"
            .to_string(),
    )
    .await;
    // 240 live mediations to suggest for: every field × township, two parties each.
    exec(&pool, "live disputes", format!(
        "INSERT INTO disputes (id, unit_code, township, field, summary, parties, status, registered_on, registered_by)
         SELECT md5('live' || f || '-' || t)::uuid, '140423-U1', ({townships})[t], ({FIELDS})[f], '待调解',
                ARRAY['张' || f, '李' || t], 'in_mediation', date '2026-12-01', 'bench'
         FROM generate_series(1, 12) f, generate_series(1, 20) t")).await;
    exec(&pool, "live mediations", format!(
        "INSERT INTO mediations (id, dispute_id, stage, body_id, field, township, respondent_unit, summary, status, referred_on, referred_by)
         SELECT md5('livem' || f || '-' || t)::uuid, md5('live' || f || '-' || t)::uuid, 'pre_petition', md5('body1')::uuid,
                ({FIELDS})[f], ({townships})[t], '140423-U' || (t % 7), '待调解', 'consented', date '2026-12-01', 'bench'
         FROM generate_series(1, 12) f, generate_series(1, 20) t")).await;
    exec(&pool, "live parties", 
        "INSERT INTO parties (mediation_id, name, role, consent)
         SELECT md5('livem' || f || '-' || t)::uuid, p.name || f || t, p.role, 'consented'
         FROM generate_series(1, 12) f, generate_series(1, 20) t, (VALUES ('张', 'applicant'), ('李', 'respondent')) p(name, role)".to_string()).await;
    exec(&pool, "analyze", "ANALYZE".to_string()).await;
    let live: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM mediations WHERE status = 'consented' ORDER BY id")
            .fetch_all(&pool)
            .await?;

    // The suggestion as `GET /api/v1/mediations/{id}/mediator-suggestions` computes it.
    let mut conn = pool.acquire().await?;
    let mut times = Vec::with_capacity(runs);
    let mut returned = 0usize;
    for run in 0..(runs + 50) {
        let id = live[run % live.len()];
        let t = Instant::now();
        let m = suggest::context(&mut conn, id)
            .await?
            .expect("live mediation");
        let c = suggest::candidates(&mut conn, &m, 10).await?;
        let s = explain(c, &m.field, &m.township);
        let elapsed = t.elapsed();
        if run >= 50 {
            // The first 50 warm the cache and are not counted.
            times.push(elapsed);
            returned += s.len();
        }
    }
    times.sort();
    // The round trip of a trivial statement on the same connection, for the machine's load.
    let mut baseline = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        baseline.push(t.elapsed());
    }
    baseline.sort();
    // The plans of the two statements, as the service runs them (prepared, with parameters).
    let ctx = suggest::context(&mut conn, live[0])
        .await?
        .expect("live mediation");
    for (what, statement) in [
        ("field (and township) groups", suggest::field_groups()),
        ("township-only group", suggest::township_group()),
    ] {
        let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "EXPLAIN (ANALYZE, COSTS OFF) {statement}"
        )))
        .bind(&ctx.field)
        .bind(&ctx.township)
        .bind(10_i64)
        .bind(ctx.respondent_unit.as_deref())
        .bind(&ctx.excluded)
        .bind(&ctx.parties)
        .fetch_all(&mut *conn)
        .await?;
        println!("plan of the {what}:");
        for line in plan {
            println!("    {line}");
        }
    }
    let counts: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM mediators), (SELECT count(*) FROM mediations), (SELECT count(*) FROM mediator_field_record),
                (SELECT count(*) FROM mediator_reach)")
        .fetch_one(&pool)
        .await?;
    println!(
        "mediators {}, mediations {}, field records {}, reach rows {}",
        counts.0, counts.1, counts.2, counts.3
    );
    println!("| suggestion (top 10) | runs | p50 | p95 | p99 | max | mean suggested |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    println!(
        "| {} mediators, {} past mediations | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | {:.1} |",
        mediators,
        past,
        times.len(),
        pct(&times, 0.50),
        pct(&times, 0.95),
        pct(&times, 0.99),
        pct(&times, 1.0),
        returned as f64 / times.len() as f64
    );
    println!(
        "| baseline `SELECT 1` round trip | {} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms | |",
        baseline.len(),
        pct(&baseline, 0.50),
        pct(&baseline, 0.95),
        pct(&baseline, 0.99),
        pct(&baseline, 1.0)
    );
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average during the run: {}", load.trim());
    drop(conn);
    pool.close().await;
    drop(env);
    Ok(())
}
