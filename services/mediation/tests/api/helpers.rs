//! What the mediation tests share: a running service with its directory, registered cases, tokens
//! and small HTTP helpers.

use std::time::Duration;

use chrono::{Days, NaiveDate, Utc};
use mediation::{configuration::Settings, startup};
use serde_json::{json, Value};
use uuid::Uuid;
use xinfang_contracts::{events::Category, Envelope, Producer};
use xinfang_platform::{time::today_in_china, Role};
use xinfang_test_support::{
    case_register::registered_letter, publish, publisher, spawn_app, token, wait_for, TestApp,
    TestEnv, BUREAU,
};

/// The unit that runs the township's mediation committee (古韩镇).
pub const TOWN: &str = "140423-GHZ";
pub const OTHER_TOWN: &str = "140423-XHZ";
pub const RESPONDENT: &str = "140423-NYJ";

pub struct Ctx {
    pub env: TestEnv,
    pub app: TestApp,
    pub body_id: Uuid,
    /// 王五: agriculture, 古韩镇 — the best match.
    pub wang: Uuid,
    /// 赵六: agriculture, another township.
    pub zhao: Uuid,
    /// 孙七: agriculture, 古韩镇, works for the respondent unit.
    pub sun: Uuid,
    /// 张三: the applicant's namesake mediator.
    pub zhang: Uuid,
}

impl Ctx {
    pub async fn start() -> Ctx {
        let env = TestEnv::new();
        let app = spawn_app(startup::build(Settings {
            platform: env.settings("mediation"),
        }))
        .await;
        app.wait_connected().await;
        let mut ctx = Ctx {
            env,
            app,
            body_id: Uuid::nil(),
            wang: Uuid::nil(),
            zhao: Uuid::nil(),
            sun: Uuid::nil(),
            zhang: Uuid::nil(),
        };
        let admin = token("admin", BUREAU, &[Role::Admin]);
        let (s, body) = ctx
            .post("/api/v1/mediation-bodies", &admin, json!({
                "name": "古韩镇人民调解委员会", "kind": "township_committee", "township": "古韩镇",
                "fields": ["agriculture_rural", "labour_social_security"], "contact": "0355-7000001", "unit_code": TOWN }))
            .await;
        assert_eq!(s, 201, "{body}");
        ctx.body_id = id(&body);
        let head = ctx.head();
        let add = |name: &'static str,
                   townships: Vec<&'static str>,
                   employer: Option<&'static str>| {
            let body_id = ctx.body_id;
            let head = head.clone();
            let ctx = &ctx;
            async move {
                let (s, m) = ctx
                    .post("/api/v1/mediators", &head, json!({
                        "name": name, "body_id": body_id, "kind": "people_mediator",
                        "fields": ["agriculture_rural"], "townships": townships, "employer_unit": employer }))
                    .await;
                assert_eq!(s, 201, "{m}");
                id(&m)
            }
        };
        let wang = add("王五", vec!["古韩镇"], None).await;
        let zhao = add("赵六", vec!["西河镇"], None).await;
        let sun = add("孙七", vec!["古韩镇"], Some(RESPONDENT)).await;
        let zhang = add("张三", vec!["古韩镇"], None).await;
        ctx.wang = wang;
        ctx.zhao = zhao;
        ctx.sun = sun;
        ctx.zhang = zhang;
        ctx
    }

    /// The head of the unit that runs the body (单位负责人).
    pub fn head(&self) -> String {
        token("head", TOWN, &[Role::UnitHead])
    }
    /// A mediator of the body's unit (调解员).
    pub fn mediator(&self) -> String {
        token("med", TOWN, &[Role::Mediator])
    }
    /// A bureau clerk (信访局窗口).
    pub fn clerk(&self) -> String {
        token("clerk", BUREAU, &[Role::Clerk])
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (u16, Value) {
        let res = self
            .app
            .client
            .post(self.app.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (u16, Value) {
        let res = self
            .app
            .client
            .get(self.app.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    /// A letter about farmland (农业农村) in 古韩镇 naming the respondent unit, registered at the
    /// bureau and known to the service.
    pub async fn register_case(&self) -> Uuid {
        self.register_case_of(Some(Category::Claim)).await
    }

    /// As [`Ctx::register_case`], of the given category (信访事项类别), or none yet.
    pub async fn register_case_of(&self, category: Option<Category>) -> Uuid {
        let (broker, stop) = publisher(&self.env, Producer::Intake).await;
        let mut e = registered_letter(&format!("140423-2026-{:06}", rand_number()));
        e.field = Some("agriculture_rural".into());
        e.township = Some("古韩镇".into());
        e.respondent_unit = Some(RESPONDENT.into());
        e.category = category;
        let case_id = e.petition_id;
        publish(&broker, &[Envelope::new(&e, Some(case_id), None, None)]).await;
        stop.cancel();
        let pool = self.app.pool.clone();
        wait_for("the case in the register", Duration::from_secs(20), || {
            let pool = pool.clone();
            async move {
                sqlx::query_scalar::<_, String>("SELECT field FROM cases WHERE case_id = $1")
                    .bind(case_id)
                    .fetch_optional(&pool)
                    .await
                    .ok()
                    .flatten()
            }
        })
        .await;
        case_id
    }

    /// Refer the case (as the bureau clerk) with 张三 (applicant) and 李四 (respondent).
    pub async fn refer(&self, case_id: Uuid) -> Uuid {
        let (s, v) = self
            .post("/api/v1/mediations", &self.clerk(), json!({
                "petition_id": case_id, "stage": "acceptance", "body_id": self.body_id,
                "parties": [{ "name": "张三", "role": "applicant" }, { "name": "李四", "role": "respondent" }],
                "summary": "承包地边界争议" }))
            .await;
        assert_eq!(s, 201, "{v}");
        assert_eq!(v["mediation"]["status"], "awaiting_consent");
        id(&v["mediation"])
    }

    /// Both parties consent; 王五 is assigned.
    pub async fn consent_and_assign(&self, mediation: Uuid) {
        for party in ["张三", "李四"] {
            let (s, v) = self
                .post(
                    &format!("/api/v1/mediations/{mediation}/consents"),
                    &self.mediator(),
                    json!({ "party": party, "consented": true, "method": "written" }),
                )
                .await;
            assert_eq!(s, 200, "{v}");
        }
        let (s, v) = self
            .post(
                &format!("/api/v1/mediations/{mediation}/mediator"),
                &self.mediator(),
                json!({ "mediator_id": self.wang, "reason": "系统推荐第 1 位" }),
            )
            .await;
        assert_eq!(s, 200, "{v}");
    }

    /// Routing keys the service put in its outbox, in order.
    pub async fn published(&self) -> Vec<String> {
        sqlx::query_scalar::<_, String>("SELECT routing_key FROM outbox ORDER BY id")
            .fetch_all(&self.app.pool)
            .await
            .unwrap()
    }

    /// The payloads of one routing key.
    pub async fn payloads(&self, routing_key: &str) -> Vec<Value> {
        sqlx::query_scalar::<_, Value>(
            "SELECT envelope->'payload' FROM outbox WHERE routing_key = $1 ORDER BY id",
        )
        .bind(routing_key)
        .fetch_all(&self.app.pool)
        .await
        .unwrap()
    }

    pub async fn stop(self) {
        self.app.stop().await;
    }
}

pub fn id(v: &Value) -> Uuid {
    v["id"].as_str().unwrap().parse().unwrap()
}

fn rand_number() -> u32 {
    Uuid::new_v4().as_u128() as u32 % 1_000_000
}

pub fn today() -> NaiveDate {
    today_in_china()
}

pub fn days_ago(n: u64) -> NaiveDate {
    today().checked_sub_days(Days::new(n)).unwrap()
}

/// A session `days` from now at 09:00–11:00 China time (01:00–03:00 UTC).
pub fn session(days: u64, room: Option<&str>) -> Value {
    let day = Utc::now()
        .date_naive()
        .checked_add_days(Days::new(days))
        .unwrap();
    json!({
        "starts_at": format!("{day}T01:00:00Z"), "ends_at": format!("{day}T03:00:00Z"),
        "place": "古韩镇司法所", "room": room, "participants": ["张三", "李四"] })
}
