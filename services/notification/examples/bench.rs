//! Notification's benchmark (`cargo run --release -p notification --example bench`):
//!
//! 1. documents: a representative 信访处理意见书 printed as A4 PDF (subset Noto Serif CJK) again and
//!    again, on one thread and on two, and as the service prints them (`FontBook::render_blocking`:
//!    the blocking pool, one document per core at a time) with 16 requests in flight; PDFs per
//!    second and the latency percentiles per document (waiting for a core included);
//! 2. dispatch: notices with an SMS delivery sent by the dispatcher to a local SMS gateway (an HTTP
//!    server started here), with the service's real database and transactions; notices
//!    dispatched per second.
//!
//! Contact details come from an in-process source here (the dispatcher asks once per round, for the
//! whole round: one call to intake in production). Figures go to docs/performance.md.

#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpResponse, HttpServer};
use chrono::NaiveDate;
use notification::channels::contacts::{Contact, ContactSource};
use notification::channels::{sms::SmsGateway, ChannelError};
use notification::configuration::{DeliverySettings, NotificationSettings, Settings, SmsSettings};
use notification::domain::document::FormalDocument;
use notification::domain::NewNotice;
use notification::pdf::{self, FontBook};
use notification::startup::{self, Options};
use notification::workers::dispatcher::Dispatcher;
use uuid::Uuid;
use xinfang_test_support::TestEnv;

fn opinion(i: usize) -> FormalDocument {
    FormalDocument {
        organ_name: "襄垣县人力资源和社会保障局".into(),
        document_number: Some(format!("襄人社信〔2026〕{i}号")),
        case_number: format!("140423-2026-{:06}", i % 1_000_000),
        title: "信访事项处理意见书".into(),
        addressee: "信访人".into(),
        body: "经调查核实，现将您反映的信访事项（信访件编号140423-2026-000042）的处理意见告知如下：\n\
               一、基本事实：您于2026年3月至2026年8月在某建筑工程有限公司承建的城关镇东关村安置房项目务工，工程结束后该公司拖欠您工资共计人民币三万二千元，经多次讨要未果。经本局劳动保障监察大队调取考勤记录、工资发放记录并询问项目负责人，上述情况属实。\n\
               二、理由：用人单位应当按照劳动合同约定和国家规定，以货币形式按时足额支付劳动者工资，不得克扣或者无故拖欠。\n\
               三、依据：《中华人民共和国劳动合同法》第三十条、《保障农民工工资支付条例》第三条、第二十九条。\n\
               四、处理意见：支持。本局已向该公司下达《劳动保障监察限期改正指令书》，责令其于2026年12月15日前足额支付拖欠工资；逾期不支付的，依法申请人民法院强制执行。\n\
               如对本处理意见不服，可以自收到本意见书之日起30日内，向襄垣县人民政府请求复查（《信访工作条例》第三十五条）。"
            .into(),
        dated_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn bench_pdf(fonts: &FontBook) {
    let n = 1_000;
    for i in 0..20 {
        let _ = pdf::render(fonts, &opinion(i));
    }
    let mut lat = Vec::with_capacity(n);
    let start = Instant::now();
    let mut bytes = 0;
    for i in 0..n {
        let t = Instant::now();
        let out = pdf::render(fonts, &opinion(i)).unwrap_or_default();
        lat.push(t.elapsed());
        bytes += out.len();
    }
    let one = start.elapsed();
    lat.sort();
    println!(
        "pdf, 1 thread : {n} documents in {:.2} s = {:.0} PDFs/s; p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; {:.1} KiB per PDF",
        one.as_secs_f64(),
        n as f64 / one.as_secs_f64(),
        percentile(&lat, 0.50).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
        lat[lat.len() - 1].as_secs_f64() * 1e3,
        bytes as f64 / n as f64 / 1024.0
    );
    let threads = 2;
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let fonts = fonts.clone();
            std::thread::spawn(move || {
                let mut lat = Vec::with_capacity(n / threads);
                for i in 0..n / threads {
                    let s = Instant::now();
                    let _ = pdf::render(&fonts, &opinion(t * n + i));
                    lat.push(s.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut lat: Vec<Duration> = handles
        .into_iter()
        .flat_map(|h| h.join().unwrap_or_default())
        .collect();
    let two = start.elapsed();
    lat.sort();
    println!(
        "pdf, {threads} threads: {n} documents in {:.2} s = {:.0} PDFs/s; p50 {:.1} ms, p99 {:.1} ms",
        two.as_secs_f64(),
        n as f64 / two.as_secs_f64(),
        percentile(&lat, 0.50).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
    );
}

/// As the service prints: `render_blocking` from async tasks, `in_flight` at a time.
async fn bench_pdf_service(fonts: &FontBook) {
    let n = 2_000;
    let in_flight = 16;
    let start = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..in_flight)
        .map(|_| {
            let fonts = fonts.clone();
            let next = next.clone();
            tokio::spawn(async move {
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return lat;
                    }
                    let t = Instant::now();
                    let _ = fonts.render_blocking(opinion(i)).await;
                    lat.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut lat: Vec<Duration> = Vec::with_capacity(n);
    for t in tasks {
        lat.extend(t.await.unwrap_or_default());
    }
    let all = start.elapsed();
    lat.sort();
    println!(
        "pdf, service : {n} documents, {in_flight} in flight, render_blocking (one per core) in {:.2} s = {:.0} PDFs/s; p50 {:.1} ms, p99 {:.1} ms (waiting included)",
        all.as_secs_f64(),
        n as f64 / all.as_secs_f64(),
        percentile(&lat, 0.50).as_secs_f64() * 1e3,
        percentile(&lat, 0.99).as_secs_f64() * 1e3,
    );
}

/// Every petitioner has a phone.
struct Phones;

#[async_trait::async_trait]
impl ContactSource for Phones {
    async fn contacts(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, Contact>, ChannelError> {
        Ok(ids
            .iter()
            .map(|id| {
                (
                    *id,
                    Contact {
                        petition_id: *id,
                        name: None,
                        phone: Some("13812345678".to_string().into()),
                        email: None,
                        preferred_channel: None,
                    },
                )
            })
            .collect())
    }
    async fn verify_query_code(&self, _: &str, _: &str) -> Result<Option<Uuid>, ChannelError> {
        Ok(None)
    }
}

async fn gateway(count: web::Data<AtomicUsize>) -> HttpResponse {
    let n = count.fetch_add(1, Ordering::Relaxed) + 1;
    HttpResponse::Ok().json(serde_json::json!({ "id": format!("gw-{n}") }))
}

fn notice(i: usize) -> NewNotice {
    let case_id = Uuid::now_v7();
    NewNotice {
        id: Uuid::now_v7(),
        case_id,
        case_number: format!("140423-2026-{:06}", i),
        kind: "registration_receipt",
        recipient_kind: "petitioner",
        recipient_unit: None,
        unit_code: "140423-XFJ".into(),
        channels: vec!["sms", "online"],
        title: "信访事项登记回执".into(),
        body: "您反映的信访事项已登记。".into(),
        source_event_id: Uuid::now_v7(),
        dedup_key: format!("bench:{case_id}"),
        template_version: 1,
        request_id: None,
        organ_name: "襄垣县信访局".into(),
        addressee: "信访人".into(),
        document_number: None,
        dated_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default(),
        needs_proof: false,
    }
}

async fn bench_dispatch(fonts: FontBook) -> anyhow::Result<()> {
    let n: usize = std::env::var("BENCH_NOTICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let count = web::Data::new(AtomicUsize::new(0));
    let data = count.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .route("/sms", web::post().to(gateway))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))?;
    let url = format!("http://127.0.0.1:{}/sms", server.addrs()[0].port());
    tokio::spawn(server.run());

    let mut env = TestEnv::new();
    env.pool_size = 8;
    let service = startup::build_with(
        Settings {
            platform: env.settings("notification"),
            notification: NotificationSettings::default(),
        },
        Options::default(),
    )
    .await?;
    let pool = service.pool().clone();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1_000) {
        let notices: Vec<NewNotice> = chunk.iter().map(|i| notice(*i)).collect();
        let mut conn = pool.acquire().await?;
        notification::store::notices::insert_many(&mut conn, &notices).await?;
    }
    let dispatcher = Dispatcher {
        pool: pool.clone(),
        waker: service.waker().clone(),
        sms: Some(Arc::new(SmsGateway::new(SmsSettings {
            url,
            api_key: "k".to_string().into(),
            signing_secret: "s".to_string().into(),
            sender: "襄垣县信访局".into(),
            timeout_ms: 5_000,
        })?)),
        mailer: None,
        contacts: Arc::new(Phones),
        fonts: Some(fonts),
        settings: DeliverySettings {
            batch_size: 500,
            concurrency: 64,
            ..DeliverySettings::default()
        },
    };
    let start = Instant::now();
    let mut sent = 0;
    let mut rounds = 0;
    while sent < n {
        let r = dispatcher.round().await?;
        if r.claimed() == 0 {
            break;
        }
        sent += r.sent;
        rounds += 1;
    }
    let took = start.elapsed();
    let delivered: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deliveries WHERE channel = 'sms' AND status = 'delivered'",
    )
    .fetch_one(&pool)
    .await?;
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&pool)
        .await?;
    println!(
        "dispatch: {sent} SMS notices in {:.2} s over {rounds} rounds = {:.0} notices/s; gateway accepted {}, delivered rows {delivered}, delivery events {events}",
        took.as_secs_f64(),
        sent as f64 / took.as_secs_f64(),
        count.load(Ordering::Relaxed),
    );
    pool.close().await;
    drop(service);
    drop(env);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let fonts = FontBook::load(
        Path::new("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
        2,
    )?;
    bench_pdf(&fonts);
    bench_pdf_service(&fonts).await;
    println!(
        "load average: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    bench_dispatch(fonts).await
}
