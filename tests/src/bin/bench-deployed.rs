//! Load generator for the platform **as deployed** (部署形态压测): separate service processes,
//! started by `deploy/local/up` (or `tools/fault-drill --keep`-style replicas), driven over HTTP
//! from outside. Each petition is counted until its downstream effects exist (receipt in
//! notification, acceptance clock in supervision, cases in mediation and administrative review);
//! reports throughput end to end, registration p50/p99 at a fixed rate, and the CPU each process
//! used (from /proc: the services by their pid files, PostgreSQL and RabbitMQ by name).
//!
//!   deploy/local/up --release
//!   cargo run --release -p xinfang-e2e --bin bench-deployed -- 6000
//!
//! Settings (environment):
//! - `BENCH_INTAKE_URLS`: intake base URLs, comma-separated (default `http://127.0.0.1:8081`);
//!   with two replicas, name both: requests alternate between them.
//! - `BENCH_CONNECTIONS`: requests in flight (default 64); `BENCH_RATE`: the fixed rate of the
//!   latency phase (default 200/s, 10 s; `BENCH_RATE_SECS`); `BENCH_SHOW_SLOW=1` lists the
//!   requests of that phase over 25 ms with when they were sent.
//! - `BENCH_PG`: `postgres://postgres@127.0.0.1:5432` (the databases are `xinfang_<service>`, or
//!   `BENCH_DB_PREFIX`<service>).
//! - `BENCH_PID_DIR`: where the services' pid files are (default `deploy/local/run`).
//! - `BENCH_WARM_UP`: petitions registered first and not measured (default 1000); then, if
//!   PostgreSQL's autovacuum is off, `ANALYZE` on every service database in its stead, and while the
//!   benchmark runs, what autovacuum would do by the server's settings
//!   (`xinfang_e2e::stand_in_for_autovacuum`: each database once a naptime, 60 s by default).
//!
//! Databases need not be fresh: the effects are counted from what exists at the start.

// A benchmark: it reports its figures on stdout.
#![allow(clippy::print_stdout)]

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use sqlx::PgPool;
use tokio::sync::Semaphore;
use xinfang_e2e::stand_in_for_autovacuum;
use xinfang_test_support::clerk_token;

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

fn body(seed: u64, fields: &[String], units: &[String]) -> serde_json::Value {
    let h = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    let summary: String = (0..30u64)
        .map(|k| {
            char::from_u32(0x4E00 + ((h.wrapping_mul(k + 7) + seed) % 3000) as u32).unwrap_or('事')
        })
        .collect();
    serde_json::json!({
        "channel": "visit", "summary": summary, "category": "claim",
        "field": fields[(h % fields.len() as u64) as usize],
        "respondent_unit": units[((h / 6) % units.len() as u64) as usize],
        "petitioners": [{ "name": "张三" }],
    })
}

/// Downstream effects: (service database, count query). The least of them, less its baseline, is
/// the number of petitions with every effect.
const EFFECTS: [(&str, &str); 4] = [
    (
        "notification",
        "SELECT count(*) FROM notices WHERE kind = 'registration_receipt'",
    ),
    (
        "supervision",
        "SELECT count(*) FROM deadlines WHERE kind = 'acceptance'",
    ),
    ("mediation", "SELECT count(*) FROM cases"),
    ("administrative-review", "SELECT count(*) FROM cases"),
];

async fn counts(pools: &[PgPool]) -> Vec<i64> {
    let mut out = Vec::new();
    for (pool, (_, sql)) in pools.iter().zip(EFFECTS) {
        out.push(sqlx::query_scalar(sql).fetch_one(pool).await.unwrap_or(0));
    }
    out
}

/// CPU ticks (user + system) of a process.
fn ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

/// The processes to watch: label → pids.
fn processes() -> BTreeMap<String, Vec<u32>> {
    let mut out: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    let dir = PathBuf::from(env_or("BENCH_PID_DIR", "deploy/local/run"));
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(svc) = name.strip_suffix(".pid") {
                if let Some(pid) = std::fs::read_to_string(e.path())
                    .ok()
                    .and_then(|s| s.trim().parse().ok())
                {
                    out.entry(svc.to_string()).or_default().push(pid);
                }
            }
        }
    }
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for e in entries.flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
                continue;
            };
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            let label = match comm.trim() {
                "postgres" => "PostgreSQL",
                "beam.smp" => "RabbitMQ",
                _ => continue,
            };
            out.entry(label.to_string()).or_default().push(pid);
        }
    }
    out
}

/// CPU ticks per process, by label.
fn sample(p: &BTreeMap<String, Vec<u32>>) -> BTreeMap<String, BTreeMap<u32, u64>> {
    p.iter()
        .map(|(k, pids)| {
            (
                k.clone(),
                pids.iter()
                    .filter_map(|&pid| ticks(pid).map(|t| (pid, t)))
                    .collect(),
            )
        })
        .collect()
}

/// The ticks each label used between two samples: processes that started in between (a
/// PostgreSQL backend for a new connection) count from zero.
fn used(
    before: &BTreeMap<String, BTreeMap<u32, u64>>,
    after: &BTreeMap<String, BTreeMap<u32, u64>>,
) -> BTreeMap<String, u64> {
    after
        .iter()
        .map(|(k, pids)| {
            let was = before.get(k);
            let n = pids
                .iter()
                .map(|(pid, t)| {
                    t.saturating_sub(was.and_then(|w| w.get(pid)).copied().unwrap_or(0))
                })
                .sum();
            (k.clone(), n)
        })
        .collect()
}

/// The whole machine's (busy, total) ticks from `/proc/stat`.
fn machine() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let f: Vec<u64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    let total: u64 = f.iter().take(8).sum();
    let idle = f.get(3).copied().unwrap_or(0) + f.get(4).copied().unwrap_or(0);
    (total.saturating_sub(idle), total)
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// The service databases (for `ANALYZE` where autovacuum is off).
const SERVICES: [&str; 6] = [
    "intake",
    "mediation",
    "administrative-review",
    "supervision",
    "notification",
    "console",
];

/// What the registrations are sent with.
struct Load {
    client: reqwest::Client,
    urls: Vec<String>,
    token: String,
    fields: Arc<Vec<String>>,
    units: Arc<Vec<String>>,
    connections: usize,
}

impl Load {
    /// Register `count` petitions (seeds from `seed0`), `connections` in flight; how many were not
    /// answered 201.
    async fn register(&self, seed0: u64, count: usize) -> anyhow::Result<usize> {
        let sem = Arc::new(Semaphore::new(self.connections));
        let mut tasks = Vec::with_capacity(count);
        for i in 0..count {
            let permit = sem.clone().acquire_owned().await?;
            let (client, url, token) = (
                self.client.clone(),
                self.urls[i % self.urls.len()].clone(),
                self.token.clone(),
            );
            let (fields, units) = (self.fields.clone(), self.units.clone());
            tasks.push(tokio::spawn(async move {
                let r = client
                    .post(url)
                    .bearer_auth(token)
                    .json(&body(seed0.wrapping_add(i as u64), &fields, &units))
                    .send()
                    .await;
                drop(permit);
                r.map(|r| r.status().as_u16()).unwrap_or_else(|e| {
                    eprintln!("registration not answered: {e:?}");
                    0
                })
            }));
        }
        let mut refused = 0;
        let mut statuses: std::collections::BTreeMap<u16, usize> = Default::default();
        for task in tasks {
            let status = task.await?;
            if status != 201 {
                refused += 1;
                *statuses.entry(status).or_default() += 1;
            }
        }
        if refused > 0 {
            // 0: no answer (connection refused or reset, or the 30 s timeout).
            println!("not answered 201, by status (0: no answer): {statuses:?}");
        }
        Ok(refused)
    }
}

/// Wait until `want` petitions more than `baseline` have every downstream effect.
async fn wait_for_effects(pools: &[PgPool], baseline: &[i64], want: i64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let now = counts(pools).await;
        let done = now
            .iter()
            .zip(baseline)
            .map(|(n, b)| n - b)
            .min()
            .unwrap_or(0);
        if done >= want {
            return Ok(());
        }
        anyhow::ensure!(
            Instant::now() < deadline,
            "only {done} of {want} petitions have all their effects after 600 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(3000);
    let urls: Vec<String> = env_or("BENCH_INTAKE_URLS", "http://127.0.0.1:8081")
        .split(',')
        .map(|u| format!("{}/api/v1/petitions", u.trim_end_matches('/')))
        .collect();
    let connections: usize = env_or("BENCH_CONNECTIONS", "64").parse()?;
    let rate: u64 = env_or("BENCH_RATE", "200").parse()?;
    let rate_secs: u64 = env_or("BENCH_RATE_SECS", "10").parse()?;
    let pg = env_or("BENCH_PG", "postgres://postgres@127.0.0.1:5432");
    let prefix = env_or("BENCH_DB_PREFIX", "xinfang_");
    let mut pools = Vec::new();
    for (svc, _) in EFFECTS {
        pools.push(PgPool::connect(&format!("{pg}/{prefix}{}", svc.replace('-', "_"))).await?);
    }
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        // Below the services' keep-alive (actix-web's 5 s), so that no request is sent on a
        // connection the server is closing as idle (seen after the pause between the phases).
        .pool_idle_timeout(Duration::from_secs(3))
        .timeout(Duration::from_secs(30))
        .build()?;
    let token = clerk_token();
    // The respondents: the active units of intake's copy of the directory (intake refuses a code
    // it does not know), spread over as many field-and-respondent scopes as the county has.
    let intake_pool = PgPool::connect(&format!("{pg}/{prefix}intake")).await?;
    let units: Arc<Vec<String>> = Arc::new(
        sqlx::query_scalar("SELECT code FROM unit_directory WHERE active ORDER BY code")
            .fetch_all(&intake_pool)
            .await?,
    );
    anyhow::ensure!(!units.is_empty(), "intake's units directory is empty");
    let fields: Arc<Vec<String>> = Arc::new(
        intake::configuration::default_taxonomy()
            .into_keys()
            .collect(),
    );
    let procs = processes();
    println!(
        "bench-deployed: {count} petitions, {connections} in flight, intake at {}; watching {}",
        urls.join(" "),
        procs.keys().cloned().collect::<Vec<_>>().join(", ")
    );

    let seed0 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1);
    let load = Load {
        client: client.clone(),
        urls: urls.clone(),
        token: token.clone(),
        fields: fields.clone(),
        units: units.clone(),
        connections,
    };

    // Warm-up (not measured): the databases hold some petitions, and their statistics say so.
    // Autovacuum's ANALYZE does that in a deployment; where it is off (as on the development
    // machines), the benchmark runs ANALYZE itself, or every prepared statement would keep the
    // plan it was given when its tables were empty (sequential scans that grow with the tables).
    let warm_up: usize = env_or("BENCH_WARM_UP", "1000").parse()?;
    let mut service_pools = Vec::new();
    for svc in SERVICES {
        service_pools
            .push(PgPool::connect(&format!("{pg}/{prefix}{}", svc.replace('-', "_"))).await?);
    }
    if warm_up > 0 {
        let baseline = counts(&pools).await;
        let refused = load.register(seed0.wrapping_add(1 << 40), warm_up).await?;
        wait_for_effects(&pools, &baseline, (warm_up - refused) as i64).await?;
        let autovacuum: String = sqlx::query_scalar("SHOW autovacuum")
            .fetch_one(&intake_pool)
            .await?;
        if autovacuum == "off" {
            for pool in &service_pools {
                sqlx::query("ANALYZE").execute(pool).await?;
            }
        }
        println!(
            "warm-up: {warm_up} petitions (not measured); autovacuum {autovacuum}{}",
            if autovacuum == "off" {
                ", so the benchmark runs ANALYZE on every service database in its stead (then what autovacuum would, by the server's settings)"
            } else {
                ""
            }
        );
    }
    let analyser = stand_in_for_autovacuum(service_pools.clone(), None).await;

    // Throughput: `count` registrations, `connections` in flight, until every effect exists.
    let baseline = counts(&pools).await;
    let cpu_before = sample(&procs);
    let machine_before = machine();
    let self_before = ticks(std::process::id()).unwrap_or(0);
    let t = Instant::now();
    let refused = load.register(seed0, count).await?;
    let http = t.elapsed();
    let want = (count - refused) as i64;
    wait_for_effects(&pools, &baseline, want).await?;
    let all = t.elapsed();
    let cpu_after = sample(&processes());
    let machine_after = machine();
    let self_after = ticks(std::process::id()).unwrap_or(0);
    println!(
        "end to end: {count} petitions ({refused} not answered 201); HTTP in {:.2}s ({:.0}/s); all downstream effects in {:.2}s ({:.0} petitions/s end to end)",
        http.as_secs_f64(),
        count as f64 / http.as_secs_f64(),
        all.as_secs_f64(),
        want as f64 / all.as_secs_f64()
    );
    let clk = 100.0; // USER_HZ on Linux
    println!("CPU during the run (cores = CPU seconds / wall seconds):");
    let wall = all.as_secs_f64();
    for (k, n) in used(&cpu_before, &cpu_after) {
        println!("  {k:<24} {:>5.2} cores", n as f64 / clk / wall);
    }
    println!(
        "  {:<24} {:>5.2} cores",
        "this load generator",
        self_after.saturating_sub(self_before) as f64 / clk / wall
    );
    let (busy, total) = (
        machine_after.0.saturating_sub(machine_before.0),
        machine_after.1.saturating_sub(machine_before.1),
    );
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    println!(
        "  {:<24} {:>5.2} of {cores} cores busy ({:.0} %)",
        "whole machine",
        busy as f64 / total.max(1) as f64 * cores,
        busy as f64 / total.max(1) as f64 * 100.0
    );

    // Latency at a fixed rate, once downstream has caught up.
    let n = (rate * rate_secs) as usize;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / rate.max(1)));
    let mut tasks = Vec::with_capacity(n);
    let phase_start = Instant::now();
    for i in 0..n {
        tick.tick().await;
        let (client, url, token) = (client.clone(), urls[i % urls.len()].clone(), token.clone());
        let (fields, units) = (fields.clone(), units.clone());
        tasks.push(tokio::spawn(async move {
            let s = Instant::now();
            let sent_at = s.duration_since(phase_start).as_secs_f64() * 1000.0;
            let r = client
                .post(url)
                .bearer_auth(token)
                .json(&body(
                    seed0 ^ (0xABCD_0000_0000 + i as u64),
                    &fields,
                    &units,
                ))
                .send()
                .await;
            (
                r.map(|r| r.status().as_u16()).unwrap_or(0) == 201,
                s.elapsed().as_secs_f64() * 1000.0,
                sent_at,
            )
        }));
    }
    let show_slow = std::env::var_os("BENCH_SHOW_SLOW").is_some();
    let mut lat = Vec::with_capacity(n);
    let mut slow = Vec::new();
    for task in tasks {
        let (ok, ms, sent_at) = task.await?;
        if ok {
            lat.push(ms);
            if show_slow && ms > 25.0 {
                slow.push((sent_at, ms));
            }
        }
    }
    if show_slow {
        // When the slow requests were sent: clustered in time points at a stall of the whole
        // machine (a sweep, a checkpoint), spread evenly at queueing.
        println!(
            "requests over 25 ms at the fixed rate (sent at ms from the phase's start: took ms):"
        );
        for (sent_at, ms) in &slow {
            println!("  {sent_at:>8.1}: {ms:.1}");
        }
    }
    lat.sort_by(f64::total_cmp);
    if lat.is_empty() {
        println!("registration latency at {rate} req/s: every request failed");
    } else {
        println!(
            "registration latency at {rate} req/s ({n} requests, {} failed): p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            n - lat.len(),
            pct(&lat, 0.5),
            pct(&lat, 0.99),
            lat[lat.len() - 1]
        );
    }
    if let Some(a) = analyser {
        a.abort();
    }
    Ok(())
}
