//! Benchmark of the statistics read model (统计读模型): 5,000,000 cases in `case_facts`
//! (generate_series), the daily rollup rebuilt from them, then indicator queries for a year by
//! unit / township / field / channel, county-wide and for one unit. Target: < 500 ms each.
//!
//! `cargo run --release -p supervision --example bench_indicators [-- CASES]`
//! Uses a fresh database on 127.0.0.1:5432 and drops it at the end.

// A benchmark prints its table on stdout and stops at once on a broken setup.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sqlx::{postgres::PgPoolOptions, PgPool};
use supervision::statistics::{
    domain::indicators::{Dim, Scope},
    store::queries::indicators,
};
use xinfang_test_support::TestEnv;

const FIELDS: &str = "ARRAY['urban_rural_construction','labour_social_security','agriculture_rural','natural_resources',
    'law_litigation','education','health','environment','transport','civil_affairs','market_regulation','other']";
const CHANNELS: &str =
    "ARRAY['visit','letter','phone','fax','online','transferred_in','assigned_in']";

async fn timed<F, Fut, T>(runs: usize, mut f: F) -> (Duration, Duration, T)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let start = Instant::now();
    let mut last = f().await;
    let first = start.elapsed();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let s = Instant::now();
        last = f().await;
        times.push(s.elapsed());
    }
    times.sort();
    (first, times[times.len() / 2], last)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cases: i64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(5_000_000);
    let env = TestEnv::new();
    let settings = env.settings("supervision");
    xinfang_platform::runtime::ensure_database(&settings.database).await?;
    let pool: PgPool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(settings.database.with_db())
        .await?;
    xinfang_platform::runtime::migrate(&pool, &supervision::MIGRATOR).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{}\" SET work_mem = '256MB'",
        settings.database.database_name
    )))
    .execute(&pool)
    .await?;
    pool.close().await;
    let pool: PgPool = PgPoolOptions::new()
        .max_connections(4)
        .connect_with(settings.database.with_db())
        .await?;

    // 5M cases over 2024-01-01 .. 2026-12-31 (1,096 days), 60 units, 20 townships, 12 fields, 7 channels.
    let t = Instant::now();
    let chunk = 1_000_000i64;
    let mut from = 1i64;
    while from <= cases {
        let to = (from + chunk - 1).min(cases);
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO case_facts (case_id, case_number, registered_on, registering_unit, unit_code, township, field, channel,
                                     respondent_unit, status, decision, decided_on, accepted_on_time, transferred, assigned, repeat)
             SELECT gen_random_uuid(), '140423-' || i, date '2024-01-01' + (i % 1096)::int, '140423-XFJ',
                    'U' || lpad(((i * 7) % 60)::text, 2, '0'), 'T' || lpad(((i * 13) % 20)::text, 2, '0'),
                    ({FIELDS})[1 + (i * 17) % 12], ({CHANNELS})[1 + (i * 3) % 7],
                    CASE WHEN i % 9 = 0 THEN 'U' || lpad((i % 60)::text, 2, '0') END,
                    CASE WHEN i % 11 = 0 THEN 'registered' ELSE 'assigned' END,
                    CASE WHEN i % 11 = 0 THEN NULL ELSE 'assigned' END,
                    CASE WHEN i % 11 = 0 THEN NULL ELSE date '2024-01-01' + (i % 1096)::int + (i % 20)::int END,
                    CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 20) <= 15 END,
                    i % 13 = 0, i % 11 <> 0, i % 7 = 0
             FROM generate_series({from}::int8, {to}::int8) i"
        )))
        .execute(&pool)
        .await?;
        from = to + 1;
    }
    sqlx::query("ANALYZE case_facts").execute(&pool).await?;
    let load = t.elapsed();
    // Findings: 50,000 over the three years.
    sqlx::query(
        "INSERT INTO findings (id, question, case_id, unit_code, subject_ref, detail, raised_at)
         SELECT gen_random_uuid(), (ARRAY['unregistered_visit','unaccepted','unhandled','unaccounted','uninvestigated'])[1 + i % 5],
                NULL, 'U' || lpad((i % 60)::text, 2, '0'), 'bench:' || i, 'bench', timestamptz '2024-01-01 08:00+08' + (i % 1096) * interval '1 day'
         FROM generate_series(1, 50000) i",
    )
    .execute(&pool)
    .await?;
    let t = Instant::now();
    let rows = supervision::statistics::store::rollup::rebuild_rollup(&pool).await?;
    sqlx::query("ANALYZE indicator_rollup")
        .execute(&pool)
        .await?;
    let rebuild = t.elapsed();
    println!(
        "cases: {cases}; load {:.1} s; rollup rebuilt in {:.1} s ({rows} rows)",
        load.as_secs_f64(),
        rebuild.as_secs_f64()
    );

    let (y0, y1) = (
        NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
    );
    let all = (
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    );
    println!("| query | scope | period | first | median of 10 | groups | volume |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for (scope, scope_label) in [
        (Scope::County, "county"),
        (Scope::Unit("U07".into()), "unit U07"),
    ] {
        for (period, plabel) in [((y0, y1), "2025"), (all, "2024–2026")] {
            for dim in [
                None,
                Some(Dim::Unit),
                Some(Dim::Township),
                Some(Dim::Field),
                Some(Dim::Channel),
            ] {
                let (first, median, r) =
                    timed(10, || indicators(&pool, &scope, period.0, period.1, dim)).await;
                let r = r?;
                println!(
                    "| indicators{} | {scope_label} | {plabel} | {:.1} ms | {:.1} ms | {} | {} |",
                    dim.map(|d| format!(" by {}", d.as_str()))
                        .unwrap_or_default(),
                    first.as_secs_f64() * 1000.0,
                    median.as_secs_f64() * 1000.0,
                    r.groups.len(),
                    r.total.volume.value.unwrap_or(0.0)
                );
            }
        }
    }
    // For comparison: the same county figure for a year straight from the 5M facts, no rollup.
    let (first, median, _) = timed(3, || {
        sqlx::query("SELECT township, count(*), count(*) FILTER (WHERE accepted_on_time) FROM case_facts WHERE registered_on BETWEEN $1 AND $2 GROUP BY township")
            .bind(y0)
            .bind(y1)
            .fetch_all(&pool)
    })
    .await;
    println!("| raw GROUP BY township over case_facts (no rollup) | county | 2025 | {:.1} ms | {:.1} ms (median of 3) | | |", first.as_secs_f64() * 1000.0, median.as_secs_f64() * 1000.0);
    let hotspot_settings = supervision::configuration::HotspotSettings::default();
    let county = Scope::County;
    let (first, median, hs) = timed(3, || {
        supervision::statistics::store::queries::hotspots(
            &pool,
            &county,
            NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
            NaiveDate::from_ymd_opt(2025, 6, 30).unwrap(),
            &hotspot_settings,
        )
    })
    .await;
    println!("| hotspots (June 2025 vs 3 prior periods) | county | 2025-06 | {:.1} ms | {:.1} ms (median of 3) | {} | |", first.as_secs_f64() * 1000.0, median.as_secs_f64() * 1000.0, hs?.hotspots.len());
    pool.close().await;
    drop(env);
    Ok(())
}
