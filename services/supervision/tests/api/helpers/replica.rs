//! The deadline suites' replica: a supervision service on a test database with a hand-set timer
//! clock, and builders for the events that drive the clocks.

use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use serde_json::{json, Value};
use sqlx::PgPool;
use supervision::{
    configuration::Settings,
    deadlines::domain::calendar::{Engine, ManualClock},
    events::SupervisionEvents,
    startup::{self, SupervisionOptions},
};
use uuid::Uuid;
use xinfang_contracts::{
    events::{Category, Channel, PetitionRegisteredV1},
    Envelope, Event,
};
use xinfang_messaging::{InboxProcessor, Outcome};
use xinfang_test_support::TestApp;
use xinfang_test_support::TestEnv;

pub const BUREAU: &str = xinfang_test_support::BUREAU;

pub fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

pub struct Replica {
    pub address: String,
    pub service: TestApp,
    pub engine: Engine,
    pub client: reqwest::Client,
}

/// Start a replica on `env`'s supervision database. `limits` overrides `supervision.limits`.
pub async fn start(env: &TestEnv, clock: &ManualClock, limits: Value) -> Replica {
    let supervision = serde_json::from_value(json!({ "calendar_dir": "", "limits": limits }))
        .expect("supervision settings");
    let settings = Settings {
        platform: env.settings("supervision"),
        supervision,
    };
    let options = SupervisionOptions {
        timer_clock: Some(clock.clock()),
        ..SupervisionOptions::default()
    };
    let (app, engine) = startup::build_with(settings, options)
        .await
        .expect("build supervision");
    let service = TestApp::start(app).await;
    service.wait_connected().await;
    Replica {
        address: service.address.clone(),
        service,
        engine,
        client: reqwest::Client::new(),
    }
}

impl Replica {
    pub fn pool(&self) -> &PgPool {
        &self.service.pool
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// Apply an event through the real handler, in its inbox transaction, without the broker.
    pub async fn apply<E: Event>(&self, event: &E, case_id: Option<Uuid>) -> Envelope {
        let envelope = Envelope::new(event, case_id, None, None);
        let processor = InboxProcessor::new(
            self.service.pool.clone(),
            Arc::new(SupervisionEvents {
                calendar: self.engine.calendar.clone(),
                limits: self.engine.limits.clone(),
            }),
            Some(self.service.waker.clone()),
        );
        assert_eq!(processor.apply(&envelope).await, Outcome::Applied);
        envelope
    }

    pub async fn stop(self) {
        self.service.stop().await;
    }

    /// (kind, status, due_date) of the deadlines of a case, in creation order.
    pub async fn deadlines(&self, case_id: Uuid) -> Vec<(String, String, Option<NaiveDate>)> {
        sqlx::query_as(
            "SELECT kind, status, due_date FROM deadlines WHERE case_id = $1 ORDER BY created_at, id",
        )
        .bind(case_id)
        .fetch_all(self.pool())
        .await
        .expect("deadlines")
    }

    pub async fn deadline(&self, case_id: Uuid, kind: &str) -> (Uuid, String, Option<NaiveDate>) {
        sqlx::query_as(
            "SELECT id, status, due_date FROM deadlines WHERE case_id = $1 AND kind = $2 ORDER BY created_at DESC LIMIT 1",
        )
        .bind(case_id)
        .bind(kind)
        .fetch_one(self.pool())
        .await
        .expect("deadline")
    }

    /// (step, fire_on, state) of a deadline's timers.
    pub async fn steps(&self, deadline_id: Uuid) -> Vec<(String, Option<NaiveDate>, String)> {
        sqlx::query_as(
            "SELECT step, fire_on, CASE WHEN fired_at IS NOT NULL THEN 'fired' WHEN cancelled_at IS NOT NULL THEN 'cancelled' ELSE 'pending' END
             FROM deadline_steps WHERE deadline_id = $1 ORDER BY seq",
        )
        .bind(deadline_id)
        .fetch_all(self.pool())
        .await
        .expect("steps")
    }

    pub async fn findings(&self, question: &str) -> Vec<(Option<Uuid>, String, String)> {
        sqlx::query_as(
            "SELECT case_id, unit_code, subject_ref FROM findings WHERE question = $1 ORDER BY id",
        )
        .bind(question)
        .fetch_all(self.pool())
        .await
        .expect("findings")
    }
}

/// A registered petition received on `received_on` at `unit`.
pub fn registered(case_id: Uuid, received_on: NaiveDate, unit: &str) -> PetitionRegisteredV1 {
    PetitionRegisteredV1 {
        petition_id: case_id,
        case_number: format!(
            "140423-{}-{}",
            received_on.format("%Y"),
            &case_id.simple().to_string()[..6]
        ),
        channel: Channel::Letter,
        received_on,
        registered_at: Utc::now(),
        registering_unit: unit.into(),
        division_code: "140423".into(),
        category: Some(Category::Claim),
        ..PetitionRegisteredV1::minimal_defaults()
    }
}

/// A new case registered through the handler; returns its id.
pub async fn new_case(r: &Replica, received_on: NaiveDate) -> Uuid {
    let id = Uuid::now_v7();
    r.apply(&registered(id, received_on, BUREAU), Some(id))
        .await;
    id
}
