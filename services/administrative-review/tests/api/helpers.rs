//! The suite's application: the service on a random port with its own database and broker prefix,
//! events applied through the same inbox the consumer uses (deterministic, no waiting on the
//! broker), a small units directory, and JSON requests.

use std::sync::Arc;

use administrative_review::{configuration::Settings, events, startup};
use chrono::NaiveDate;
use serde_json::{json, Value};
use uuid::Uuid;
use xinfang_contracts::{
    events::{Category, DeadlineStep, DeadlineStepReachedV1, PetitionAcceptedV1},
    review::DeadlineProjectedV1,
    Envelope, Event,
};
use xinfang_messaging::{InboxProcessor, Outcome};
use xinfang_platform::Role;
use xinfang_test_support::{case_register::registered_letter, spawn_app, TestApp, TestEnv};

/// From the county's seeded directory: 劳动保障监察大队 (handles), under 人社局 (reviews), under 县政府
/// (re-reviews), under the city (outside the deployment).
pub const CENTRE: &str = "140423-LDJC";
pub const RSJ: &str = "140423-RSJ";
pub const COUNTY: &str = "140423-ZF";
pub const CITY: &str = "140400-ZF";
pub const OTHER: &str = "140423-ZJJ";

pub fn today() -> NaiveDate {
    xinfang_platform::time::today_in_china()
}

pub fn days_ago(n: i64) -> NaiveDate {
    today() - chrono::Duration::days(n)
}

pub fn handler(unit: &str) -> String {
    xinfang_test_support::token(&format!("handler@{unit}"), unit, &[Role::Handler])
}

pub fn second_handler(unit: &str) -> String {
    xinfang_test_support::token(&format!("handler2@{unit}"), unit, &[Role::Handler])
}

pub fn head(unit: &str) -> String {
    xinfang_test_support::token(&format!("head@{unit}"), unit, &[Role::UnitHead])
}

pub fn bureau() -> String {
    xinfang_test_support::token(
        "clerk@bureau",
        xinfang_test_support::BUREAU,
        &[Role::Clerk, Role::Handler],
    )
}

pub struct App {
    pub app: TestApp,
    pub inbox: InboxProcessor,
    _env: TestEnv,
}

impl App {
    pub async fn spawn() -> App {
        let env = TestEnv::new();
        let app = spawn_app(startup::build(Settings {
            platform: env.settings("administrative-review"),
        }))
        .await;
        let inbox = InboxProcessor::new(app.pool.clone(), Arc::new(events::handler()), None)
            .with_writer(Arc::new(xinfang_platform::audit::AuditBatchWriter));
        App {
            app,
            inbox,
            _env: env,
        }
    }

    /// Apply one event as the consumer would; it must apply.
    pub async fn apply<E: Event>(&self, event: &E, case_id: Option<Uuid>) -> Envelope {
        let env = Envelope::new(event, case_id, None, None);
        let outcome = self.inbox.apply(&env).await;
        assert!(matches!(outcome, Outcome::Applied), "{outcome:?}");
        env
    }

    /// A claim registered and accepted on `accepted_on` for handling by `unit`.
    pub async fn accepted_claim(&self, unit: &str, accepted_on: NaiveDate) -> (Uuid, String) {
        let n = Uuid::now_v7().simple().to_string();
        let mut registered = registered_letter(&format!("140423-2026-{}", &n[n.len() - 6..]));
        registered.category = Some(Category::Claim);
        registered.received_on = accepted_on;
        let id = registered.petition_id;
        self.apply(&registered, Some(id)).await;
        self.apply(
            &PetitionAcceptedV1 {
                petition_id: id,
                case_number: registered.case_number.clone(),
                accepted_on,
                decided_by_unit: xinfang_test_support::BUREAU.into(),
                handling_unit: Some(unit.into()),
                category: Some(Category::Claim),
                simple_track: false,
                reason: "属于本机关职责".into(),
            },
            Some(id),
        )
        .await;
        (id, registered.case_number)
    }

    /// Supervision's projection of one of the case's clocks.
    pub async fn project(
        &self,
        case_id: Uuid,
        kind: &str,
        unit: &str,
        start: NaiveDate,
        due: NaiveDate,
        extensions: u32,
    ) {
        self.apply(
            &DeadlineProjectedV1 {
                deadline_id: Uuid::now_v7(),
                petition_id: case_id,
                case_number: "c".into(),
                kind: kind.into(),
                unit: unit.into(),
                start_on: start,
                due_on: Some(due),
                explanation: vec![format!("{start} 起算"), format!("届满日：{due}")],
                extensions,
            },
            Some(case_id),
        )
        .await;
    }

    /// Supervision's timer reached `step` of a clock due on `due`.
    pub async fn step(&self, case_id: Uuid, kind: &str, due: NaiveDate, step: DeadlineStep) {
        self.apply(
            &DeadlineStepReachedV1 {
                deadline_id: Uuid::now_v7(),
                petition_id: case_id,
                case_number: "c".into(),
                kind: kind.into(),
                unit: "u".into(),
                due_on: due,
                step,
            },
            Some(case_id),
        )
        .await;
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        let r = self
            .app
            .client
            .post(self.app.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let r = self
            .app
            .client
            .get(self.app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    /// The case as `token` sees it (must be visible).
    pub async fn case(&self, id: Uuid, token: &str) -> Value {
        let (s, v) = self
            .get(&format!("/api/v1/handling/cases/{id}"), token)
            .await;
        assert_eq!(s, 200, "{v}");
        v
    }

    pub async fn version(&self, id: Uuid) -> i64 {
        self.case(id, &bureau()).await["version"].as_i64().unwrap()
    }

    /// Post a change with the case's current version; it must answer `expect`.
    pub async fn act(
        &self,
        id: Uuid,
        path: &str,
        token: &str,
        mut body: Value,
        expect: u16,
    ) -> Value {
        body["version"] = json!(self.version(id).await);
        let (s, v) = self.post(path, token, body).await;
        assert_eq!(s, expect, "{path}: {v}");
        v
    }

    /// Draft, approve and issue the current level's opinion at `unit`; returns its id.
    pub async fn opinion(&self, id: Uuid, unit: &str, outcome: &str, issued_on: NaiveDate) -> Uuid {
        let v = self
            .act(
                id,
                &format!("/api/v1/handling/cases/{id}/opinions"),
                &handler(unit),
                json!({ "outcome": outcome, "facts": "经调查核实", "reasons": "理由如下",
                        "legal_basis": "《信访工作条例》第三十二条" }),
                201,
            )
            .await;
        let opinion: Uuid = v["id"].as_str().unwrap().parse().unwrap();
        self.act(
            id,
            &format!("/api/v1/handling/opinions/{opinion}/approval"),
            &head(unit),
            json!({}),
            200,
        )
        .await;
        self.act(
            id,
            &format!("/api/v1/handling/opinions/{opinion}/issue"),
            &handler(unit),
            json!({ "issued_on": issued_on }),
            200,
        )
        .await;
        opinion
    }

    /// Record the delivery by hand.
    pub async fn deliver(&self, id: Uuid, opinion: Uuid, unit: &str, on: NaiveDate) {
        self.act(
            id,
            &format!("/api/v1/handling/opinions/{opinion}/delivery"),
            &handler(unit),
            json!({ "delivered_on": on, "method": "post", "proof": "EMS 1190001 信访人本人签收" }),
            200,
        )
        .await;
    }

    /// The payloads the service published (its outbox) under `routing_key`, oldest first.
    pub async fn published(&self, routing_key: &str, case_id: Uuid) -> Vec<Value> {
        sqlx::query_scalar::<_, Value>(
            "SELECT envelope->'payload' FROM outbox WHERE routing_key = $1 AND case_id = $2 ORDER BY id",
        )
        .bind(routing_key)
        .bind(case_id)
        .fetch_all(&self.app.pool)
        .await
        .unwrap()
    }

    /// The notice requests of one template.
    pub async fn notices(&self, case_id: Uuid, template: &str) -> Vec<Value> {
        self.published("administrative-review.notice.requested.v1", case_id)
            .await
            .into_iter()
            .filter(|p| p["template"] == template)
            .collect()
    }

    pub async fn stop(self) {
        self.app.stop().await;
    }
}
