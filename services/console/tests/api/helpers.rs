//! Shared set-up of the console's tests: settings, a running console, accounts written straight
//! into the store, request helpers.

pub use std::{path::PathBuf, time::Duration};

pub use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
pub use chrono::Utc;
pub use console::{
    configuration::*,
    domain::keys::{KeyPair, KeySet},
    domain::{
        password::PasswordHasher,
        totp::{SecretBox, TotpSecret},
    },
    startup, store,
};
pub use hmac::{Hmac, Mac};
pub use reqwest::StatusCode;
pub use secrecy::SecretString;
pub use serde_json::{json, Value};
pub use sha2::Sha256;
pub use uuid::Uuid;
pub use xinfang_contracts::{DomainEvent, Envelope};
pub use xinfang_platform::auth::{verify, Claims, Jwks, TokenType, VerifyError, VerifyOptions};
pub use xinfang_test_support::{TestApp, TestEnv};

pub const TOTP_KEY: &str = "ZGV2LW9ubHktdG90cC1rZXktY2hhbmdlLW1lLTAwMDA=";

pub fn old_seed() -> [u8; 32] {
    [11u8; 32]
}
pub fn new_seed() -> [u8; 32] {
    [22u8; 32]
}

pub fn key(
    kid: &str,
    seed: [u8; 32],
    state: KeyState,
    retired_at: Option<chrono::DateTime<Utc>>,
) -> KeySettings {
    KeySettings {
        kid: kid.into(),
        private_key_pem: Some(SecretString::from(KeyPair::pem_of_seed(&seed))),
        private_key_file: None,
        state,
        retired_at,
    }
}

pub fn settings(env: &TestEnv) -> Settings {
    Settings {
        platform: env.settings("console"),
        environment: "local".into(),
        console: ConsoleSettings {
            tokens: TokenSettings {
                access_ttl_secs: 300,
                service_ttl_secs: 120,
                leeway_secs: 5,
                signing_keys: vec![key("k-new", new_seed(), KeyState::Active, None)],
                dev_key_file: Some(
                    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                        .join("../../deploy/dev-keys/dev-ed25519.pem"),
                ),
                service_clients: vec![ServiceClient {
                    client_id: "notification".into(),
                    client_secret: SecretString::from("s3cret-notification"),
                    scopes: vec!["intake.contact.read".into()],
                }],
            },
            sessions: SessionSettings::default(),
            login: LoginSettings {
                max_failures_per_account: 3,
                max_failures_per_address: 100,
                window_secs: 600,
                lockout_secs: 600,
                trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
            },
            password: PasswordSettings {
                memory_kib: 19 * 1024,
                iterations: 2,
                parallelism: 1,
            },
            totp: TotpSettings {
                issuer: "襄垣县信访平台".into(),
                encryption_key: SecretString::from(TOTP_KEY),
            },
            workers: WorkerSettings::default(),
            bootstrap_admin: None,
            pages: PagesSettings::default(),
        },
    }
}

pub struct App {
    pub app: TestApp,
    pub base: String,
    pub http: reqwest::Client,
    pub settings: Settings,
    _env: TestEnv,
}

impl App {
    pub async fn spawn(tweak: impl FnOnce(&mut Settings)) -> App {
        let env = TestEnv::new();
        let mut s = settings(&env);
        tweak(&mut s);
        let app = xinfang_test_support::spawn_app(startup::build(s.clone())).await;
        App {
            base: app.address.clone(),
            http: xinfang_test_support::test_client(),
            app,
            settings: s,
            _env: env,
        }
    }

    pub async fn stop(self) {
        let _ = tokio::time::timeout(Duration::from_secs(10), self.app.stop()).await;
    }

    pub fn hasher(&self) -> PasswordHasher {
        let p = &self.settings.console.password;
        PasswordHasher::new(console::domain::password::HashCost {
            memory_kib: p.memory_kib,
            iterations: p.iterations,
            parallelism: p.parallelism,
        })
        .unwrap()
    }

    /// An account written straight into the store (with TOTP enrolled when `totp` is given).
    pub async fn account(
        &self,
        login: &str,
        unit: &str,
        roles: &[&str],
        password: &str,
        totp: Option<&TotpSecret>,
    ) -> Uuid {
        let login_name = console::domain::account::LoginName::parse(login).unwrap();
        let p = console::domain::password::NewPassword::parse("password", password, &login_name)
            .unwrap();
        let hash = self.hasher().hash(&p).unwrap();
        let id = Uuid::now_v7();
        let mut conn = self.app.pool.acquire().await.unwrap();
        let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
        store::accounts::insert(
            &mut conn,
            &store::accounts::NewAccount {
                id,
                login_name: login,
                display_name: "测试用户",
                unit_code: unit,
                roles: &roles,
                password_hash: &hash,
                created_by: "test",
            },
        )
        .await
        .unwrap();
        if let Some(secret) = totp {
            let sealed = SecretBox::new(&SecretString::from(TOTP_KEY))
                .unwrap()
                .seal(id, secret)
                .unwrap();
            store::accounts::confirm_totp(&mut conn, id, &sealed, 0)
                .await
                .unwrap();
        }
        id
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut r = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut r = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    pub async fn login(
        &self,
        login: &str,
        password: &str,
        totp: Option<&str>,
    ) -> (StatusCode, Value) {
        let mut body = json!({ "login_name": login, "password": password });
        if let Some(c) = totp {
            body["totp_code"] = json!(c);
        }
        self.post("/api/v1/auth/login", None, body).await
    }

    pub async fn login_ok(&self, login: &str, password: &str) -> Value {
        let (s, b) = self.login(login, password, None).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b
    }

    /// An administrator with TOTP enrolled, logged in.
    pub async fn admin(&self) -> String {
        let secret = TotpSecret::generate();
        self.account(
            "admin.test",
            "140423-XFJ",
            &["admin"],
            "admin-password-1",
            Some(&secret),
        )
        .await;
        let code = secret.code_at(Utc::now().timestamp() as u64).unwrap();
        let (s, b) = self
            .login("admin.test", "admin-password-1", Some(&code))
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b["access_token"].as_str().unwrap().to_string()
    }

    pub async fn jwks(&self) -> Jwks {
        self.http
            .get(format!("{}/.well-known/jwks.json", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub fn verify_options(&self) -> VerifyOptions {
        VerifyOptions::new("xinfang", "xinfang", 5)
    }
}

pub fn claims_for(sub: &str, sid: Option<&str>, iat: i64, nbf: i64, exp: i64) -> Claims {
    Claims {
        sub: sub.into(),
        typ: TokenType::User,
        unit: Some("140423-XFJ".into()),
        roles: vec!["clerk".into()],
        scopes: vec![],
        sid: sid.map(str::to_string),
        iss: "xinfang".into(),
        aud: "xinfang".into(),
        iat,
        nbf,
        exp,
        jti: Uuid::new_v4().to_string(),
    }
}

pub async fn refresh(app: &App, session: &Value) -> (StatusCode, Value) {
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": session["refresh_token"] }),
    )
    .await
}

pub fn unsigned(header: Value, claims: &Claims) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
    )
}
