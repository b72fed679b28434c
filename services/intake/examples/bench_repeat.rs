//! Benchmark of repeat detection (重复信访识别) and registration throughput.
//!
//! ```sh
//! cargo run --release -p intake --example bench_repeat -- 1000000
//! ```
//! 1. loads N earlier petitions (default 1,000,000) into a fresh database (6 fields × 60
//!    respondents, or `BENCH_RESPONDENTS`; Chinese texts from a phrase vocabulary, one petitioner
//!    each);
//! 2. times 2,000 candidate lookups (`store::repeat::find_candidates`, the function registration uses);
//! 3. starts the intake service on that database and times 2,000 registrations over HTTP with
//!    repeat detection on (32 in flight).
//!
//! The database is dropped at the end.

// A benchmark reports its figures on standard output.
#![allow(clippy::print_stdout)]

use std::{sync::Arc, time::Instant};

use intake::{
    configuration::{IntakeSettings, Settings},
    domain::text::{scope_of, search_tokens},
    startup,
    store::repeat::{find_candidates, Probe},
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use serde_json::json;
use sqlx::postgres::PgPoolOptions;
use uuid::Uuid;
use xinfang_test_support::{
    clerk_token,
    directory::{add_units, department},
    drop_databases, TestEnv,
};

const FIELDS: [&str; 6] = [
    "urban_rural_construction",
    "labour_social_security",
    "agriculture_rural",
    "natural_resources",
    "law_litigation",
    "other",
];
const PHRASES: [&str; 48] = [
    "工资被拖欠",
    "三个月没有发放",
    "包工头失联",
    "建筑工地务工",
    "要求支付劳动报酬",
    "社保未缴纳",
    "征地补偿款",
    "没有足额发放",
    "宅基地纠纷",
    "邻居占用",
    "村委会不作为",
    "土地承包经营权",
    "被他人侵占",
    "房屋质量问题",
    "开发商逾期交房",
    "物业收费不合理",
    "小区供暖不达标",
    "拆迁安置",
    "安置房未分配",
    "低保资格被取消",
    "医疗费用报销",
    "养老金待遇",
    "判决未执行",
    "法院执行不力",
    "派出所不立案",
    "对处罚决定不服",
    "举报干部违规",
    "挪用扶贫资金",
    "村干部优亲厚友",
    "环境污染严重",
    "企业排放废水",
    "噪音扰民",
    "道路损坏",
    "饮水困难",
    "农田灌溉设施",
    "种粮补贴未到位",
    "林地权属争议",
    "矿山开采破坏",
    "耕地被占用建房",
    "集体资产处置不公开",
    "财务不公开",
    "请求依法处理",
    "多次反映未解决",
    "希望尽快答复",
    "要求赔偿损失",
    "恢复原状",
    "追究相关人员责任",
    "给予困难救助",
];

fn text(rng: &mut StdRng) -> String {
    let n = rng.gen_range(3..7);
    let mut s = String::new();
    for _ in 0..n {
        s.push_str(PHRASES[rng.gen_range(0..PHRASES.len())]);
        s.push('，');
    }
    s.push_str(&format!("涉及金额{}元", rng.gen_range(1000..90000)));
    s
}

/// Respondent units (default 60; `BENCH_RESPONDENTS` changes it, and so the size of each
/// field-and-respondent scope: 1,000,000 / (6 × respondents) earlier petitions per scope).
fn respondents() -> u32 {
    std::env::var("BENCH_RESPONDENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60)
}

fn respondent(rng: &mut StdRng) -> String {
    format!("140423-U{:02}", rng.gen_range(0..respondents()))
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p).ceil() as usize)
        .saturating_sub(1)
        .min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let mut env = TestEnv::new();
    env.workers = 2;
    env.pool_size = 16;
    let mut platform = env.settings("intake");
    let db_name = format!("xf_bench_intake_{}", env.id);
    platform.database.database_name = db_name.clone();
    xinfang_platform::runtime::ensure_database(&platform.database).await?;
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(platform.database.with_db())
        .await?;
    xinfang_platform::runtime::migrate(&pool, &intake::MIGRATOR).await?;

    // 1. Load.
    let started = Instant::now();
    sqlx::query("DROP INDEX content_signatures_tokens, content_signatures_scope")
        .execute(&pool)
        .await?;
    let mut rng = StdRng::seed_from_u64(7);
    let batch = 5_000;
    let mut loaded = 0;
    let base = chrono::Utc::now() - chrono::Duration::days(3650);
    while loaded < n {
        let m = batch.min(n - loaded);
        let mut ids = Vec::with_capacity(m);
        let mut numbers = Vec::with_capacity(m);
        let mut fields = Vec::with_capacity(m);
        let mut respondents = Vec::with_capacity(m);
        let mut summaries = Vec::with_capacity(m);
        let mut search = Vec::with_capacity(m);
        let mut scopes = Vec::with_capacity(m);
        let mut bidx = Vec::with_capacity(m);
        let mut at = Vec::with_capacity(m);
        for i in 0..m {
            let seq = loaded + i;
            let t = base + chrono::Duration::seconds((seq as i64) * 300);
            ids.push(Uuid::new_v7(uuid::Timestamp::from_unix(
                uuid::NoContext,
                t.timestamp() as u64,
                0,
            )));
            numbers.push(format!("140423-B-{seq:08}"));
            let f = FIELDS[rng.gen_range(0..FIELDS.len())];
            let r = respondent(&mut rng);
            let s = text(&mut rng);
            // arrays of arrays must be rectangular: carry tokens as text and cast in SQL
            search.push(format!(
                "{{{}}}",
                search_tokens(&s)
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            ));
            scopes.push(scope_of(Some(f), Some(&r)));
            fields.push(f.to_string());
            respondents.push(r);
            summaries.push(s);
            let mut b = [0u8; 32];
            rng.fill(&mut b);
            bidx.push(b.to_vec());
            at.push(t);
        }
        let mut tx = pool.begin().await?;
        sqlx::query(
            "INSERT INTO petitions (id, case_number, query_code_hash, channel, received_on, registered_at, registering_unit,
                registered_by, division_code, summary, petitioner_count, anonymous, contactable, status, correlation_id,
                category, field, respondent_unit)
             SELECT id, num, 'x', 'letter', at::date, at, '140423-XFJ', 'bench', '140423', s, 1, false, true, 'accepted', id,
                    'claim', f, r
             FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[], $6::text[])
                  AS t(id, num, at, s, f, r)",
        )
        .bind(&ids).bind(&numbers).bind(&at).bind(&summaries).bind(&fields).bind(&respondents)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO content_signatures (petition_id, scope, token_count, tokens)
             SELECT id, sc, cardinality(st::int4[]), st::int4[] FROM unnest($1::uuid[], $2::text[], $3::text[]) AS t(id, sc, st)",
        )
        .bind(&ids).bind(&scopes).bind(&search)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO petitioners (id, petition_id, ordinal, name, key_version, id_number_bidx, phone_bidx)
             SELECT gen_random_uuid(), id, 0, '某某', 1, b, b FROM unnest($1::uuid[], $2::bytea[]) AS t(id, b)",
        )
        .bind(&ids).bind(&bidx)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        loaded += m;
        if loaded % 100_000 == 0 {
            eprintln!("loaded {loaded}");
        }
    }
    sqlx::query(
        "CREATE INDEX content_signatures_tokens ON content_signatures USING gin (tokens gin__int_ops) WITH (fastupdate = off)",
    )
    .execute(&pool)
    .await?;
    sqlx::query(
        "CREATE INDEX content_signatures_scope ON content_signatures (scope, petition_id DESC) INCLUDE (token_count, tokens)",
    )
    .execute(&pool)
    .await?;
    // As autovacuum does for an insert-only table after loading (visibility map set).
    sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    let load_secs = started.elapsed().as_secs_f64();
    println!("loaded {n} petitions in {load_secs:.0} s");

    // 2. Candidate lookups.
    let mut conn = pool.acquire().await?;
    let mut times = Vec::new();
    let mut found = 0usize;
    for i in 0..2_200 {
        let f = FIELDS[rng.gen_range(0..FIELDS.len())];
        let r = respondent(&mut rng);
        let s = text(&mut rng);
        let scope = scope_of(Some(f), Some(&r));
        let tokens = search_tokens(&s);
        let mut b = [0u8; 32];
        rng.fill(&mut b);
        let t = Instant::now();
        let c = find_candidates(
            &mut conn,
            &Probe {
                id_number_bidx: &[b.to_vec()],
                phone_bidx: &[b.to_vec()],
                scope: &scope,
                tokens: &tokens,
                min_score: 0.3,
                limit: 10,
                max_scope_scan: intake::configuration::RepeatSettings::default().max_scope_scan,
            },
        )
        .await?;
        if i >= 200 {
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            found += c.len();
        }
    }
    drop(conn);
    times.sort_by(f64::total_cmp);
    println!(
        "candidate lookup over {n} petitions: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} lookups, {:.1} candidates each)",
        pct(&times, 0.5), pct(&times, 0.95), pct(&times, 0.99), times[times.len() - 1], times.len(), found as f64 / times.len() as f64
    );
    pool.close().await;

    // 3. Registration throughput with repeat detection on.
    platform.database.max_connections = 16;
    let app = startup::build(Settings {
        platform,
        intake: IntakeSettings {
            division_code: "140423".into(),
        },
    })
    .await?
    .without_signal_handling();
    let units: Vec<_> = (0..respondents())
        .map(|i| department(&format!("140423-U{i:02}"), &format!("测试部门{i:02}")))
        .collect();
    add_units(app.pool(), app.directory(), &units).await;
    let shutdown = app.shutdown_token();
    let url = format!("http://127.0.0.1:{}/api/v1/petitions", app.port());
    let handle = tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    let token = clerk_token();
    let total = 2_000;
    let sem = Arc::new(tokio::sync::Semaphore::new(32));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for i in 0..total {
        let permit = sem.clone().acquire_owned().await?;
        let f = FIELDS[rng.gen_range(0..5)];
        let body = json!({
            "channel": "letter", "summary": text(&mut rng), "category": "claim", "field": f,
            "respondent_unit": respondent(&mut rng),
            "petitioners": [{ "name": "王五", "phone": format!("139{:08}", i), "address": "城关镇" }],
        });
        let (client, url, token) = (client.clone(), url.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let r = client.post(url).bearer_auth(token).json(&body).send().await;
            drop(permit);
            (
                r.map(|r| r.status().as_u16()).unwrap_or(0),
                t.elapsed().as_secs_f64() * 1000.0,
            )
        }));
    }
    let mut lat = Vec::new();
    let mut ok = 0;
    for t in tasks {
        let (s, ms) = t.await?;
        if s == 201 {
            ok += 1;
        }
        lat.push(ms);
    }
    let secs = started.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    println!(
        "registrations with repeat detection over {n} petitions: {ok}/{total} created in {secs:.1} s = {:.0}/s; latency p50 {:.1} ms, p99 {:.1} ms (32 in flight)",
        ok as f64 / secs, pct(&lat, 0.5), pct(&lat, 0.99)
    );
    shutdown.cancel();
    let _ = handle.await;
    drop_databases(&[db_name]).await?;
    Ok(())
}
