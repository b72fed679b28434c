//! The oversight and statistics suites' application: a supervision service on a random port with
//! its own database and broker, the real event handler behind an inbox, and JSON/text requests.

use std::{
    path::Path,
    sync::{Arc, RwLock},
};

use chrono::NaiveDate;
use serde_json::Value;
use supervision::{
    configuration::{Limits, Settings, SupervisionSettings},
    deadlines::domain::calendar::SharedCalendar,
    events::SupervisionEvents,
    startup::{self, SupervisionOptions},
};
use xinfang_calendar::HolidayCalendar;
use xinfang_messaging::InboxProcessor;
use xinfang_test_support::TestEnv;

pub struct TestApp {
    pub address: String,
    pub service: xinfang_test_support::TestApp,
    pub client: reqwest::Client,
    pub inbox: InboxProcessor,
    /// While `Some`, tests that drive events collect them here instead of applying them, to apply
    /// them later as batches.
    pub collected: std::sync::Mutex<Option<Vec<xinfang_contracts::Envelope>>>,
    pub calendar: HolidayCalendar,
    _env: TestEnv,
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The shipped holiday calendars (deploy/calendars).
pub fn calendar() -> HolidayCalendar {
    HolidayCalendar::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/calendars"))
        .unwrap()
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let env = TestEnv::new();
        let settings = Settings {
            platform: env.settings("supervision"),
            supervision: SupervisionSettings {
                calendar_dir: String::new(),
                limits: Default::default(),
            },
        };
        let options = SupervisionOptions {
            // Timers stand still on a day before every fixture, so that only these tests act.
            timer_clock: Some(Arc::new(|| NaiveDate::from_ymd_opt(2024, 1, 2).unwrap())),
            ..SupervisionOptions::default()
        };
        let (app, _engine) = startup::build_with(settings, options).await.expect("build");
        let service = xinfang_test_support::TestApp::start(app).await;
        let address = service.address.clone();
        service.wait_connected().await;
        let shared: SharedCalendar = Arc::new(RwLock::new(Arc::new(calendar())));
        let inbox = InboxProcessor::new(
            service.pool.clone(),
            Arc::new(SupervisionEvents {
                calendar: shared,
                limits: Limits::default(),
            }),
            None,
        )
        // As the runtime builds it: audit rows, then the service's writers, at the end of a batch.
        .with_writer(Arc::new(xinfang_platform::audit::AuditBatchWriter));
        let inbox = startup::batch_writers()
            .into_iter()
            .fold(inbox, |inbox, writer| inbox.with_writer(writer));
        TestApp {
            address,
            service,
            client: reqwest::Client::new(),
            inbox,
            collected: std::sync::Mutex::new(None),
            calendar: calendar(),
            _env: env,
        }
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        let r = self
            .client
            .post(format!("{}{path}", self.address))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    async fn send_get(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let r = self.send_get(path, token).await;
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// A GET answered with text: status, content type and body.
    pub async fn text(&self, path: &str, token: &str) -> (u16, String, String) {
        let r = self.send_get(path, token).await;
        let s = r.status().as_u16();
        let ct = r
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        (s, ct, r.text().await.unwrap())
    }

    pub async fn stop(self) {
        self.service.stop().await;
    }
}
