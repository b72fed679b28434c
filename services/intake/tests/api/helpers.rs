//! The intake service spawned for a test: its own database and queue prefix, and HTTP helpers.

use intake::{
    configuration::{IntakeSettings, Settings},
    startup,
};
use reqwest::Method;
use serde_json::Value;
use xinfang_test_support::{clerk_token, TestEnv};

pub struct TestApp {
    pub address: String,
    pub service: xinfang_test_support::TestApp,
    pub client: reqwest::Client,
    pub db: sqlx::postgres::PgConnectOptions,
    _env: TestEnv,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let env = TestEnv::new();
        let platform = env.settings("intake");
        let db = platform.database.with_db();
        let settings = Settings {
            platform,
            intake: IntakeSettings {
                division_code: "140423".into(),
            },
        };
        let service = xinfang_test_support::spawn_app(startup::build(settings)).await;
        let address = service.address.clone();
        service.wait_connected().await;
        TestApp {
            address,
            service,
            client: reqwest::Client::new(),
            db,
            _env: env,
        }
    }

    /// `POST /api/v1/petitions` as `token`, with an `Idempotency-Key` if given.
    pub async fn register_as(
        &self,
        token: &str,
        body: Value,
        key: Option<&str>,
    ) -> reqwest::Response {
        let mut r = self
            .client
            .post(format!("{}/api/v1/petitions", self.address))
            .bearer_auth(token)
            .json(&body);
        if let Some(k) = key {
            r = r.header("Idempotency-Key", k);
        }
        r.send().await.expect("request")
    }

    pub async fn call(
        &self,
        method: Method,
        token: &str,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut r = self
            .client
            .request(method, format!("{}{path}", self.address))
            .bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let res = r.send().await.expect("request");
        let status = res.status().as_u16();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> (u16, Value) {
        self.call(Method::POST, token, path, Some(body)).await
    }

    pub async fn get(&self, token: &str, path: &str) -> (u16, Value) {
        self.call(Method::GET, token, path, None).await
    }

    /// Register as the clerk; the registration must succeed.
    pub async fn register(&self, body: Value) -> Value {
        let (s, b) = self.post(&clerk_token(), "/api/v1/petitions", body).await;
        assert_eq!(s, 201, "{b}");
        b
    }

    pub async fn decide(&self, token: &str, id: &str, body: Value) -> (u16, Value) {
        self.post(token, &format!("/api/v1/petitions/{id}/decisions"), body)
            .await
    }

    pub async fn outbox_types(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT envelope->>'event_type' FROM outbox ORDER BY id")
            .fetch_all(&self.service.pool)
            .await
            .unwrap_or_default()
    }

    pub async fn stop(self) {
        self.service.stop().await;
    }
}
