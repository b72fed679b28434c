//! End-to-end benchmark of whole lifecycles (行政三级办理全流程, docs/performance.md): each one is a
//! claim registered at the window, accepted for handling, its opinion drafted, approved and issued,
//! delivered, and — its review window lapsing unused — final; counted until every effect exists:
//! the case final in administrative review, intake knowing it (不再受理 from then on), and the
//! finality in supervision's figures.
//!
//! The review window ends a month after delivery: supervision's timer clock runs 45 days ahead
//! (only its timers; every date the services record is today's), so the window's 超期 step fires as
//! soon as the timer worker looks.
//!
//! Run: `cargo run --release -p xinfang-e2e --bin bench-lifecycle [-- COUNT]`
//!
//! The claims name one of 60 respondent units (60 field-and-respondent scopes for repeat
//! detection, as a county's claims spread); `BENCH_ONE_SCOPE=1` puts them all in one scope.
//!
//! Settings: `BENCH_IN_FLIGHT` (lifecycles at a time, default 64), `BENCH_WORKERS` (HTTP workers
//! per service, default 2), `BENCH_LANES` and `BENCH_LINGER_MS` (each consumer's lanes and batch
//! linger, default as deployed).

// A benchmark: it reports its figures on stdout.
#![allow(clippy::print_stdout)]

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde_json::{json, Value};
use tokio::sync::Semaphore;
use xinfang_e2e::{bench_env, stand_in_for_autovacuum, Hooks, Platform};
use xinfang_platform::{time::today_in_china, Role};
use xinfang_test_support::{clerk_token, directory::department, token};

const UNIT: &str = "140423-RSJ";

async fn post(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let r = client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await?;
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    anyhow::ensure!((200..300).contains(&status), "{status}: {v}");
    Ok(v)
}

/// 30 characters from the 3,000 most common CJK code points (as bench-e2e), so that repeat
/// detection compares each claim with few earlier ones.
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

struct Urls {
    intake: String,
    review: String,
    /// `BENCH_ONE_SCOPE=1`: every claim in one scope (the worst case of repeat detection).
    one_scope: bool,
}

/// One lifecycle over HTTP: registration to delivery (finality follows from the timers).
/// Time spent in each step of a lifecycle (for the per-step table).
type StepTimes = Arc<std::sync::Mutex<Vec<[f64; 7]>>>;

/// The steps of [`lifecycle`], in order.
const STEPS: [&str; 7] = [
    "register",
    "accept",
    "wait for review",
    "draft opinion",
    "approve",
    "issue",
    "record delivery",
];

async fn lifecycle(
    client: reqwest::Client,
    urls: Arc<Urls>,
    seed: u64,
    times: StepTimes,
) -> anyhow::Result<()> {
    let mut step = [0f64; 7];
    let mut t = Instant::now();
    let mut lap = |i: usize, t: &mut Instant| {
        step[i] = t.elapsed().as_secs_f64() * 1000.0;
        *t = Instant::now();
    };
    let (clerk, handler, head) = (
        clerk_token(),
        token("h@rsj", UNIT, &[Role::Handler]),
        token("head@rsj", UNIT, &[Role::UnitHead]),
    );
    let mut body = json!({ "channel": "visit", "summary": summary(seed), "category": "claim",
                           "field": "labour_social_security", "petitioners": [{ "name": "张三" }] });
    if !urls.one_scope {
        // One of 60 respondent units: 60 field-and-respondent scopes, so that repeat detection
        // compares each claim with the earlier ones of its own scope, as in bench-e2e.
        let h = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        body["respondent_unit"] = format!("140423-U{:02}", h % 60).into();
    }
    let reg = post(
        &client,
        format!("{}/api/v1/petitions", urls.intake),
        &clerk,
        body,
    )
    .await?;
    lap(0, &mut t);
    let id = reg["id"].as_str().unwrap_or_default().to_string();
    post(
        &client,
        format!("{}/api/v1/petitions/{id}/decisions", urls.intake),
        &clerk,
        json!({ "kind": "accept", "reason": "属于本机关职责范围", "handling_unit": UNIT }),
    )
    .await?;
    lap(1, &mut t);
    // The acceptance reaches administrative review through the broker.
    let case_url = format!("{}/api/v1/handling/cases/{id}", urls.review);
    let mut pause = Duration::from_millis(10);
    let version = loop {
        let r = client.get(&case_url).bearer_auth(&handler).send().await?;
        if r.status().as_u16() == 200 {
            let v: Value = r.json().await?;
            break v["version"].clone();
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(200));
    };
    lap(2, &mut t);
    let v = post(
        &client,
        format!("{case_url}/opinions"),
        &handler,
        json!({ "version": version, "outcome": "explain", "facts": "经调查核实", "reasons": "理由",
                "legal_basis": "《信访工作条例》第三十二条" }),
    )
    .await?;
    lap(3, &mut t);
    let opinion = v["id"].as_str().unwrap_or_default().to_string();
    let base = format!("{}/api/v1/handling/opinions/{opinion}", urls.review);
    let v = post(
        &client,
        format!("{base}/approval"),
        &head,
        json!({ "version": v["version"] }),
    )
    .await?;
    lap(4, &mut t);
    let v = post(
        &client,
        format!("{base}/issue"),
        &handler,
        json!({ "version": v["version"] }),
    )
    .await?;
    lap(5, &mut t);
    post(
        &client,
        format!("{base}/delivery"),
        &handler,
        json!({ "version": v["version"], "delivered_on": today_in_china(), "method": "in_person",
                "proof": "信访人当面签收" }),
    )
    .await?;
    lap(6, &mut t);
    times.lock().unwrap_or_else(|e| e.into_inner()).push(step);
    Ok(())
}

/// Run `n` lifecycles (seeds `first..`), `in_flight` at a time.
async fn run(
    p: &Platform,
    urls: &Arc<Urls>,
    first: u64,
    n: u64,
    in_flight: usize,
    times: &StepTimes,
) -> anyhow::Result<()> {
    let sem = Arc::new(Semaphore::new(in_flight));
    let mut tasks = Vec::with_capacity(n as usize);
    for i in 0..n {
        let permit = sem.clone().acquire_owned().await?;
        let (client, urls, times) = (p.client.clone(), urls.clone(), times.clone());
        tasks.push(tokio::spawn(async move {
            let r = lifecycle(client, urls, first + i, times).await;
            drop(permit);
            r
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}

/// Wait until every effect of `n` lifecycles exists.
async fn wait_all(p: &Platform, n: i64) {
    let timeout = Duration::from_secs(900);
    p.wait_count(
        &p.review,
        "SELECT count(*) FROM handling_cases WHERE step = 'final'",
        n,
        timeout,
    )
    .await;
    p.wait_count(
        &p.intake,
        "SELECT count(*) FROM petitions WHERE final_level IS NOT NULL",
        n,
        timeout,
    )
    .await;
    p.wait_count(
        &p.supervision,
        "SELECT count(*) FROM review_ladder_facts WHERE fact = 'finalized'",
        n,
        timeout,
    )
    .await;
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let count: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(2000);
    let in_flight: usize = std::env::var("BENCH_IN_FLIGHT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(64);
    let env = bench_env();
    let ahead = today_in_china() + chrono::Duration::days(45);
    let hooks = Hooks {
        supervision_timer: Some((Arc::new(move || ahead), 200)),
        ..Hooks::default()
    };
    let p = Platform::start_in(env, hooks).await;
    // The windows end next year: publish it (a fixture, as the end-to-end test does).
    let admin = token("admin", xinfang_test_support::BUREAU, &[Role::Admin]);
    let year = (today_in_china() + chrono::Duration::days(60))
        .format("%Y")
        .to_string();
    post(
        &p.client,
        p.supervision.url("/api/v1/calendar/years"),
        &admin,
        json!({ "year": year.parse::<i32>()?, "source": "测试用年度安排（非官方）",
                "holidays": [{ "name": "元旦", "from": format!("{year}-01-01"), "to": format!("{year}-01-03") }],
                "make_up_working_days": [] }),
    )
    .await
    .or_else(|e| if e.to_string().starts_with("409") { Ok(Value::Null) } else { Err(e) })?;
    let units: Vec<_> = (0..60)
        .map(|i| department(&format!("140423-U{i:02}"), &format!("测试部门{i:02}")))
        .collect();
    p.add_units(&units).await;
    let urls = Arc::new(Urls {
        intake: p.intake.app.address.clone(),
        review: p.review.app.address.clone(),
        one_scope: std::env::var_os("BENCH_ONE_SCOPE").is_some(),
    });

    let warm_up = 200;
    let warm_times = StepTimes::default();
    run(&p, &urls, 9_000_000, warm_up, in_flight, &warm_times).await?;
    wait_all(&p, warm_up as i64).await;
    for svc in p.services() {
        sqlx::query("ANALYZE").execute(&svc.app.pool).await?;
    }
    // The tables grow tenfold during the run: their statistics follow (autovacuum's job).
    let analyser = stand_in_for_autovacuum(
        p.services().iter().map(|s| s.app.pool.clone()).collect(),
        None,
    )
    .await;

    let t = Instant::now();
    let times = StepTimes::default();
    run(&p, &urls, 0, count, in_flight, &times).await?;
    let http_done = t.elapsed();
    wait_all(&p, (warm_up + count) as i64).await;
    let all_done = t.elapsed();
    println!(
        "lifecycles: {count} (registration → acceptance → opinion drafted, approved, issued → delivery → final), {in_flight} in flight; \
         HTTP steps done in {:.2}s ({:.0} lifecycles/s, {:.0} requests/s); every effect (final in review, intake, supervision) in {:.2}s ({:.0} lifecycles/s end to end)",
        http_done.as_secs_f64(),
        count as f64 / http_done.as_secs_f64(),
        count as f64 * 7.0 / http_done.as_secs_f64(),
        all_done.as_secs_f64(),
        count as f64 / all_done.as_secs_f64(),
    );
    // Where a lifecycle's time goes: each step's latency (a request, or the broker hop).
    let times = times.lock().unwrap_or_else(|e| e.into_inner()).clone();
    println!("| step | p50 | p99 | mean |\n| --- | --- | --- | --- |");
    for (i, name) in STEPS.iter().enumerate() {
        let mut v: Vec<f64> = times.iter().map(|s| s[i]).collect();
        v.sort_by(f64::total_cmp);
        if v.is_empty() {
            continue;
        }
        let at = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
        println!(
            "| {name} | {:.1} ms | {:.1} ms | {:.1} ms |",
            at(0.5),
            at(0.99),
            v.iter().sum::<f64>() / v.len() as f64
        );
    }
    if let Some(a) = analyser {
        a.abort();
    }
    p.stop().await;
    Ok(())
}
