//! Console tests over real PostgreSQL and RabbitMQ: each test its own database and queue prefix.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail the test loudly

use std::{path::PathBuf, time::Duration};

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::Utc;
use console::{
    configuration::*,
    domain::{
        password::PasswordHasher,
        totp::{SecretBox, TotpSecret},
    },
    jwt::{keys::KeyPair, verify, Claims, Jwks, KeySet, TokenType, VerifyError, VerifyOptions},
    startup::Application,
    store,
};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{json, Value};
use sha2::Sha256;
use uuid::Uuid;
use xinfang_contracts::{DomainEvent, Envelope};
use xinfang_platform::runtime::RuntimeParts;
use xinfang_test_support::TestEnv;

const TOTP_KEY: &str = "ZGV2LW9ubHktdG90cC1rZXktY2hhbmdlLW1lLTAwMDA=";

fn old_seed() -> [u8; 32] {
    [11u8; 32]
}
fn new_seed() -> [u8; 32] {
    [22u8; 32]
}

fn key(
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

fn settings(env: &TestEnv) -> Settings {
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
                        .join("configuration/dev-keys/dev-ed25519.pem"),
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
        },
    }
}

struct App {
    _env: TestEnv,
    base: String,
    http: reqwest::Client,
    parts: RuntimeParts,
    settings: Settings,
    handle: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl App {
    async fn spawn(tweak: impl FnOnce(&mut Settings)) -> App {
        let env = TestEnv::new();
        let mut s = settings(&env);
        tweak(&mut s);
        let service = Application::build(s.clone())
            .await
            .unwrap()
            .without_signal_handling();
        let parts = service.parts();
        let base = format!("http://127.0.0.1:{}", service.port());
        let handle = tokio::spawn(service.run_until_stopped());
        App {
            _env: env,
            base,
            http: reqwest::Client::new(),
            parts,
            settings: s,
            handle,
        }
    }

    async fn stop(self) {
        self.parts.shutdown.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.handle).await;
    }

    fn hasher(&self) -> PasswordHasher {
        let p = &self.settings.console.password;
        PasswordHasher::new(console::domain::password::HashCost {
            memory_kib: p.memory_kib,
            iterations: p.iterations,
            parallelism: p.parallelism,
        })
        .unwrap()
    }

    /// An account written straight into the store (with TOTP enrolled when `totp` is given).
    async fn account(
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
        let mut conn = self.parts.pool.acquire().await.unwrap();
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

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let mut r = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        let resp = r.send().await.unwrap();
        let status = resp.status();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    async fn send(
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

    async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, path, token, None).await
    }

    async fn login(&self, login: &str, password: &str, totp: Option<&str>) -> (StatusCode, Value) {
        let mut body = json!({ "login_name": login, "password": password });
        if let Some(c) = totp {
            body["totp_code"] = json!(c);
        }
        self.post("/api/v1/auth/login", None, body).await
    }

    async fn login_ok(&self, login: &str, password: &str) -> Value {
        let (s, b) = self.login(login, password, None).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b
    }

    /// An administrator with TOTP enrolled, logged in.
    async fn admin(&self) -> String {
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

    async fn jwks(&self) -> Jwks {
        self.http
            .get(format!("{}/.well-known/jwks.json", self.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    fn verify_options(&self) -> VerifyOptions {
        VerifyOptions {
            issuer: "xinfang".into(),
            audience: "xinfang".into(),
            leeway_secs: 5,
        }
    }
}

fn claims_for(sub: &str, sid: Option<&str>, iat: i64, nbf: i64, exp: i64) -> Claims {
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

#[tokio::test]
async fn login_succeeds_and_the_token_verifies_against_the_jwks() {
    let app = App::spawn(|_| {}).await;
    let id = app
        .account(
            "zhang.san",
            "140423-XFJ",
            &["clerk", "handler"],
            "correct horse battery",
            None,
        )
        .await;
    let b = app.login_ok("Zhang.San", "correct horse battery").await;
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 300);
    assert_eq!(b["totp_enrolment_required"], false);
    let token = b["access_token"].as_str().unwrap();
    let claims = verify(token, &app.jwks().await, &app.verify_options()).unwrap();
    assert_eq!(claims.sub, id.to_string());
    assert_eq!(claims.typ, TokenType::User);
    assert_eq!(claims.unit.as_deref(), Some("140423-XFJ"));
    assert_eq!(claims.roles, vec!["clerk", "handler"]);
    assert_eq!(claims.sid.as_deref(), b["session_id"].as_str());
    assert!(claims.exp - claims.iat <= 300 && claims.nbf <= claims.iat + 1);
    let header: Value = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "EdDSA");
    assert_eq!(header["kid"], "k-new");
    let (s, me) = app.get("/api/v1/me", token).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["account"]["login_name"], "zhang.san");
    assert!(me["account"].get("password_hash").is_none());
    // the login is in the audit chain
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'auth.login'")
        .fetch_one(&app.parts.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_password_is_refused_like_an_unknown_account() {
    let app = App::spawn(|_| {}).await;
    app.account(
        "li.si",
        "140423-RSJ",
        &["handler"],
        "correct horse battery",
        None,
    )
    .await;
    let (s1, b1) = app.login("li.si", "wrong password!", None).await;
    let (s2, b2) = app.login("nobody.here", "wrong password!", None).await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!((s1, &b1), (s2, &b2));
    assert_eq!(b1["code"], "invalid_credentials");
    assert_eq!(b1["message"], "用户名或密码错误");
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'auth.login_failed'")
            .fetch_one(&app.parts.pool)
            .await
            .unwrap();
    assert_eq!(n, 2);
    app.stop().await;
}

#[tokio::test]
async fn lockout_holds_until_it_ends() {
    let app = App::spawn(|s| s.console.login.lockout_secs = 2).await;
    app.account(
        "wang.wu",
        "140423-XFJ",
        &["clerk"],
        "correct horse battery",
        None,
    )
    .await;
    for _ in 0..3 {
        let (s, _) = app.login("wang.wu", "wrong password!", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    // locked: even the right password is refused
    let (s, b) = app.login("wang.wu", "correct horse battery", None).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert_eq!(b["code"], "login_locked");
    assert!(b["details"]["retry_after_secs"].as_i64().unwrap() <= 3);
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'auth.lockout'")
        .fetch_one(&app.parts.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    tokio::time::sleep(Duration::from_millis(2300)).await;
    app.login_ok("wang.wu", "correct horse battery").await;
    app.stop().await;
}

#[tokio::test]
async fn lockout_answers_are_identical_for_unknown_accounts() {
    let app = App::spawn(|_| {}).await;
    app.account(
        "zhao.liu",
        "140423-XFJ",
        &["clerk"],
        "correct horse battery",
        None,
    )
    .await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    let mut known_time = Duration::ZERO;
    let mut unknown_time = Duration::ZERO;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let (s, mut b) = app.login("zhao.liu", "wrong password!", None).await;
        known_time += t.elapsed();
        b["details"]["retry_after_secs"] = json!(null);
        known.push((s, b));
        let t = std::time::Instant::now();
        let (s, mut b) = app.login("ghost.account", "wrong password!", None).await;
        unknown_time += t.elapsed();
        b["details"]["retry_after_secs"] = json!(null);
        unknown.push((s, b));
    }
    assert_eq!(known, unknown);
    assert_eq!(known[2].0, StatusCode::UNAUTHORIZED);
    assert_eq!(known[3].0, StatusCode::TOO_MANY_REQUESTS);
    // comparable time: a dummy hash is verified for the unknown account
    let (k, u) = (known_time.as_secs_f64(), unknown_time.as_secs_f64());
    assert!(u > k * 0.4 && u < k * 2.5, "known {k:.3}s unknown {u:.3}s");
    app.stop().await;
}

#[tokio::test]
async fn totp_is_required_for_admin_and_pii_viewer_and_a_wrong_code_is_refused() {
    let app = App::spawn(|_| {}).await;
    let secret = TotpSecret::generate();
    app.account(
        "pii.viewer",
        "140423-XFJ",
        &["clerk", "pii_viewer"],
        "correct horse battery",
        Some(&secret),
    )
    .await;
    let (s, b) = app.login("pii.viewer", "correct horse battery", None).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("totp_required"))
    );
    let now = Utc::now().timestamp() as u64;
    let good = secret.code_at(now).unwrap();
    let wrong = format!("{:06}", (good.parse::<u32>().unwrap() + 1) % 1_000_000);
    let (s, b) = app
        .login("pii.viewer", "correct horse battery", Some(&wrong))
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("totp_invalid"))
    );
    let (s, b) = app
        .login("pii.viewer", "correct horse battery", Some(&good))
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // the same code cannot be used twice
    let (s, b) = app
        .login("pii.viewer", "correct horse battery", Some(&good))
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("totp_invalid"))
    );

    // an administrator without TOTP can only enrol
    app.account(
        "new.admin",
        "140423-XFJ",
        &["admin"],
        "correct horse battery",
        None,
    )
    .await;
    let b = app.login_ok("new.admin", "correct horse battery").await;
    assert_eq!(b["totp_enrolment_required"], true);
    let token = b["access_token"].as_str().unwrap();
    let claims = verify(token, &app.jwks().await, &app.verify_options()).unwrap();
    assert!(claims.roles.is_empty());
    let (s, e) = app.get("/api/v1/units", token).await;
    assert_eq!(
        (s, e["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("totp_enrolment_required"))
    );
    let (s, enrol) = app
        .post("/api/v1/auth/totp/enrol", Some(token), json!({}))
        .await;
    assert_eq!(s, StatusCode::OK, "{enrol}");
    assert!(enrol["otpauth_url"]
        .as_str()
        .unwrap()
        .starts_with("otpauth://totp/"));
    let bytes = totp_rs::Secret::try_from_base32(enrol["secret"].as_str().unwrap()).unwrap();
    let enrolled = TotpSecret::from_bytes(bytes.as_bytes().to_vec());
    let code = enrolled.code_at(Utc::now().timestamp() as u64).unwrap();
    let (s, b) = app
        .post(
            "/api/v1/auth/totp/confirm",
            Some(token),
            json!({ "code": code }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let full = b["access_token"].as_str().unwrap();
    let (s, _) = app.get("/api/v1/units", full).await;
    assert_eq!(s, StatusCode::OK);
    app.stop().await;
}

async fn refresh(app: &App, session: &Value) -> (StatusCode, Value) {
    app.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": session["refresh_token"] }),
    )
    .await
}

#[tokio::test]
async fn ended_sessions_refuse_refresh_logout_admin_revocation_and_password_change() {
    let app = App::spawn(|_| {}).await;
    let admin = app.admin().await;
    let id = app
        .account(
            "chen.qi",
            "140423-XFJ",
            &["clerk"],
            "correct horse battery",
            None,
        )
        .await;

    // refresh works while the session lives
    let s1 = app.login_ok("chen.qi", "correct horse battery").await;
    let (s, b) = refresh(&app, &s1).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert!(b["access_token"].is_string());

    // logout
    let t1 = s1["access_token"].as_str().unwrap();
    let (s, _) = app.post("/api/v1/auth/logout", Some(t1), json!({})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, b) = refresh(&app, &s1).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("session_ended"))
    );
    let (s, b) = app.get("/api/v1/me", t1).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("session_ended"))
    );

    // admin revocation of one session
    let s2 = app.login_ok("chen.qi", "correct horse battery").await;
    let sid = s2["session_id"].as_str().unwrap();
    let (s, _) = app
        .post(
            &format!("/api/v1/sessions/{sid}/revoke"),
            Some(&admin),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(refresh(&app, &s2).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/v1/me", s2["access_token"].as_str().unwrap())
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );

    // password change ends every session, the current one included
    let s3 = app.login_ok("chen.qi", "correct horse battery").await;
    let s4 = app.login_ok("chen.qi", "correct horse battery").await;
    let (s, b) = app
        .post("/api/v1/auth/password", s3["access_token"].as_str(), json!({ "current_password": "correct horse battery", "new_password": "a whole new phrase" }))
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{b}");
    assert_eq!(refresh(&app, &s3).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(refresh(&app, &s4).await.0, StatusCode::UNAUTHORIZED);
    app.login_ok("chen.qi", "a whole new phrase").await;

    // an administrator's password reset ends them too
    let s5 = app.login_ok("chen.qi", "a whole new phrase").await;
    let (s, _) = app
        .send(
            reqwest::Method::PUT,
            &format!("/api/v1/accounts/{id}/password"),
            &admin,
            Some(json!({ "new_password": "reset by the admin" })),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(refresh(&app, &s5).await.0, StatusCode::UNAUTHORIZED);

    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action IN ('session.revoke', 'auth.logout')",
    )
    .fetch_one(&app.parts.pool)
    .await
    .unwrap();
    assert!(n >= 4, "{n}");
    app.stop().await;
}

#[tokio::test]
async fn rotated_keys_old_tokens_live_until_expiry_and_unknown_kids_are_refused() {
    let retired_at = Utc::now();
    let app = App::spawn(|s| {
        s.console.tokens.signing_keys = vec![
            key("k-new", new_seed(), KeyState::Active, None),
            key("k-old", old_seed(), KeyState::Retired, Some(retired_at)),
            key("k-next", [33u8; 32], KeyState::Next, None),
        ];
    })
    .await;
    let id = app
        .account(
            "sun.ba",
            "140423-XFJ",
            &["clerk"],
            "correct horse battery",
            None,
        )
        .await;
    let session = app.login_ok("sun.ba", "correct horse battery").await;
    let sid = session["session_id"].as_str().unwrap();
    let jwks = app.jwks().await;
    let kids: Vec<&str> = jwks.keys.iter().map(|k| k.kid.as_str()).collect();
    assert!(
        kids.contains(&"k-new") && kids.contains(&"k-old") && kids.contains(&"k-next"),
        "{kids:?}"
    );

    // a token the old key signed before the rotation is still accepted while it lives
    let now = Utc::now().timestamp();
    let old = KeyPair::from_seed("k-old", old_seed());
    let token = old
        .sign(&claims_for(
            &id.to_string(),
            Some(sid),
            now - 60,
            now - 60,
            now + 240,
        ))
        .unwrap();
    assert!(verify(&token, &jwks, &app.verify_options()).is_ok());
    let (s, b) = app.get("/api/v1/me", &token).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // ... and refused once expired
    let expired = old
        .sign(&claims_for(
            &id.to_string(),
            Some(sid),
            now - 400,
            now - 400,
            now - 100,
        ))
        .unwrap();
    assert_eq!(
        verify(&expired, &jwks, &app.verify_options()),
        Err(VerifyError::Expired)
    );
    // the old key leaves the JWKS once every token it signed has expired
    let keys = KeySet::from_settings(&app.settings.console.tokens, false).unwrap();
    let later = keys.jwks(retired_at + chrono::Duration::seconds(300 + 5 + 1));
    assert!(later.find("k-old").is_none() && later.find("k-new").is_some());
    assert_eq!(
        verify(&token, &later, &app.verify_options()),
        Err(VerifyError::UnknownKey)
    );
    // a key nobody published
    let stranger = KeyPair::from_seed("k-unknown", [44u8; 32]);
    let forged = stranger
        .sign(&claims_for(&id.to_string(), Some(sid), now, now, now + 60))
        .unwrap();
    assert_eq!(
        verify(&forged, &jwks, &app.verify_options()),
        Err(VerifyError::UnknownKey)
    );
    assert_eq!(
        app.get("/api/v1/me", &forged).await.0,
        StatusCode::UNAUTHORIZED
    );
    // a known kid with another key's signature
    let mislabelled = KeyPair::from_seed("k-new", [44u8; 32]);
    let t = mislabelled
        .sign(&claims_for(&id.to_string(), Some(sid), now, now, now + 60))
        .unwrap();
    assert_eq!(
        verify(&t, &jwks, &app.verify_options()),
        Err(VerifyError::Signature)
    );
    app.stop().await;
}

fn unsigned(header: Value, claims: &Claims) -> String {
    format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
    )
}

#[tokio::test]
async fn alg_none_and_hs256_signed_with_the_public_key_are_refused() {
    let app = App::spawn(|_| {}).await;
    let id = app
        .account(
            "zhou.jiu",
            "140423-XFJ",
            &["clerk"],
            "correct horse battery",
            None,
        )
        .await;
    let session = app.login_ok("zhou.jiu", "correct horse battery").await;
    let sid = session["session_id"].as_str().unwrap();
    let jwks = app.jwks().await;
    let now = Utc::now().timestamp();
    let claims = claims_for(&id.to_string(), Some(sid), now, now, now + 60);

    let none = format!(
        "{}.",
        unsigned(
            json!({ "alg": "none", "typ": "JWT", "kid": "k-new" }),
            &claims
        )
    );
    assert_eq!(
        verify(&none, &jwks, &app.verify_options()),
        Err(VerifyError::Algorithm)
    );
    assert_eq!(
        app.get("/api/v1/me", &none).await.0,
        StatusCode::UNAUTHORIZED
    );

    // HS256 with the published public key (raw bytes and the base64 text) as the HMAC secret
    let public = URL_SAFE_NO_PAD
        .decode(&jwks.find("k-new").unwrap().x)
        .unwrap();
    for secret in [
        public.clone(),
        jwks.find("k-new").unwrap().x.clone().into_bytes(),
    ] {
        let input = unsigned(
            json!({ "alg": "HS256", "typ": "JWT", "kid": "k-new" }),
            &claims,
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(&secret).unwrap();
        mac.update(input.as_bytes());
        let token = format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
        );
        assert_eq!(
            verify(&token, &jwks, &app.verify_options()),
            Err(VerifyError::Algorithm)
        );
        let (s, b) = app.get("/api/v1/me", &token).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(b["message"], "缺少或无效的身份令牌：令牌算法不被接受");
    }
    app.stop().await;
}

#[tokio::test]
async fn expired_and_not_yet_valid_tokens_are_refused() {
    let app = App::spawn(|_| {}).await;
    let id = app
        .account(
            "wu.shi",
            "140423-XFJ",
            &["clerk"],
            "correct horse battery",
            None,
        )
        .await;
    let session = app.login_ok("wu.shi", "correct horse battery").await;
    let sid = session["session_id"].as_str().unwrap();
    let jwks = app.jwks().await;
    let signer = KeyPair::from_seed("k-new", new_seed());
    let now = Utc::now().timestamp();
    let expired = signer
        .sign(&claims_for(
            &id.to_string(),
            Some(sid),
            now - 400,
            now - 400,
            now - 60,
        ))
        .unwrap();
    assert_eq!(
        verify(&expired, &jwks, &app.verify_options()),
        Err(VerifyError::Expired)
    );
    let (s, b) = app.get("/api/v1/me", &expired).await;
    assert_eq!(
        (s, b["message"].as_str()),
        (
            StatusCode::UNAUTHORIZED,
            Some("缺少或无效的身份令牌：令牌已过期")
        )
    );
    let early = signer
        .sign(&claims_for(
            &id.to_string(),
            Some(sid),
            now,
            now + 120,
            now + 300,
        ))
        .unwrap();
    assert_eq!(
        verify(&early, &jwks, &app.verify_options()),
        Err(VerifyError::NotYetValid)
    );
    assert_eq!(
        app.get("/api/v1/me", &early).await.0,
        StatusCode::UNAUTHORIZED
    );
    // within the leeway
    let skewed = signer
        .sign(&claims_for(
            &id.to_string(),
            Some(sid),
            now,
            now + 3,
            now + 60,
        ))
        .unwrap();
    assert!(verify(&skewed, &jwks, &app.verify_options()).is_ok());
    // wrong audience
    let mut c = claims_for(&id.to_string(), Some(sid), now, now, now + 60);
    c.aud = "elsewhere".into();
    assert_eq!(
        verify(&signer.sign(&c).unwrap(), &jwks, &app.verify_options()),
        Err(VerifyError::WrongIssuerOrAudience)
    );
    app.stop().await;
}

#[tokio::test]
async fn a_unit_head_cannot_manage_another_units_accounts() {
    let app = App::spawn(|_| {}).await;
    app.account(
        "rsj.head",
        "140423-RSJ",
        &["unit_head"],
        "correct horse battery",
        None,
    )
    .await;
    let other = app
        .account(
            "zjj.handler",
            "140423-ZJJ",
            &["handler"],
            "correct horse battery",
            None,
        )
        .await;
    let own = app
        .account(
            "rsj.handler",
            "140423-RSJ",
            &["handler"],
            "correct horse battery",
            None,
        )
        .await;
    let head = app.login_ok("rsj.head", "correct horse battery").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let (s, b) = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/accounts/{other}"),
            &head,
            Some(json!({ "display_name": "改名" })),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    assert_eq!(b["message"], "单位负责人只能管理本单位的账号");
    let (s, _) = app.post("/api/v1/accounts", Some(&head), json!({ "login_name": "zjj.new", "display_name": "新人", "unit": "140423-ZJJ", "roles": ["handler"], "password": "correct horse battery" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app.post("/api/v1/accounts", Some(&head), json!({ "login_name": "rsj.admin", "display_name": "新人", "unit": "140423-RSJ", "roles": ["admin"], "password": "correct horse battery" })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // moving an own account to another unit is managing that unit's accounts
    let (s, _) = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/accounts/{own}"),
            &head,
            Some(json!({ "unit": "140423-ZJJ" })),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // within the own unit it works, and the role change is audited
    let (s, b) = app.post("/api/v1/accounts", Some(&head), json!({ "login_name": "rsj.new", "display_name": "新人", "unit": "140423-RSJ", "roles": ["handler"], "password": "correct horse battery" })).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = app
        .send(
            reqwest::Method::PATCH,
            &format!("/api/v1/accounts/{own}"),
            &head,
            Some(json!({ "roles": ["handler", "clerk"] })),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let (s, list) = app.get("/api/v1/accounts", &head).await;
    assert_eq!(s, StatusCode::OK);
    assert!(list
        .as_array()
        .unwrap()
        .iter()
        .all(|a| a["unit"] == "140423-RSJ"));
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'account.roles_change'")
            .fetch_one(&app.parts.pool)
            .await
            .unwrap();
    assert_eq!(n, 1);
    app.stop().await;
}

#[tokio::test]
async fn unknown_or_retired_unit_codes_are_refused_naming_the_field() {
    let app = App::spawn(|_| {}).await;
    let admin = app.admin().await;
    let body = |unit: &str, login: &str| json!({ "login_name": login, "display_name": "新人", "unit": unit, "roles": ["clerk"], "password": "correct horse battery" });
    let (s, b) = app
        .post(
            "/api/v1/accounts",
            Some(&admin),
            body("140423-NOPE", "a.one"),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["details"]["field"], "unit");
    assert_eq!(b["message"], "所属单位 140423-NOPE 不存在于单位目录");
    let (s, b) = app
        .post(
            "/api/v1/accounts",
            Some(&admin),
            body("not a code", "a.two"),
        )
        .await;
    assert_eq!(
        (s, b["details"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unit"))
    );
    // retire a village committee, then try to place an account in it
    let (s, b) = app
        .post(
            "/api/v1/units/140423-HBZHB/retire",
            Some(&admin),
            json!({ "reason": "村委合并" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["active"], false);
    let (s, b) = app
        .post(
            "/api/v1/accounts",
            Some(&admin),
            body("140423-HBZHB", "a.three"),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(b["details"]["field"], "unit");
    assert_eq!(b["message"], "所属单位 140423-HBZHB 已撤销");
    // a unit naming a retired township as its own
    let (s, b) = app.post("/api/v1/units", Some(&admin), json!({ "code": "140423-TEST", "name": "测试村民委员会", "short_name": "测试村", "kind": "village_committee", "level": "village", "parent_code": "140423-HBZHB", "township_code": "140423-HBZ" })).await;
    assert_eq!(
        (s, b["details"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("parent_code")),
        "{b}"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_unit_change_is_versioned_audited_and_published_through_the_outbox() {
    let app = App::spawn(|_| {}).await;
    let admin = app.admin().await;
    let (s, b) = app.post("/api/v1/units", Some(&admin), json!({
        "code": "140423-GHZNG", "name": "古韩镇南关村民委员会", "short_name": "南关村",
        "kind": "village_committee", "level": "village", "parent_code": "140423-GHZ", "township_code": "140423-GHZ"
    })).await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    assert_eq!(b["version"], 1);
    let (s, b) = app.send(reqwest::Method::PUT, "/api/v1/units/140423-GHZNG", &admin, Some(json!({
        "name": "古韩镇南关社区居民委员会", "short_name": "南关社区",
        "kind": "village_committee", "level": "village", "parent_code": "140423-GHZ", "township_code": "140423-GHZ", "version": 1
    }))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["version"], 2);
    // a stale version is a conflict
    let (s, b) = app.send(reqwest::Method::PUT, "/api/v1/units/140423-GHZNG", &admin, Some(json!({
        "name": "x", "short_name": "x", "kind": "village_committee", "level": "village", "township_code": "140423-GHZ", "version": 1
    }))).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::CONFLICT, Some("version_conflict"))
    );

    let rows: Vec<(String, sqlx::types::Json<Envelope>)> =
        sqlx::query_as("SELECT routing_key, envelope FROM outbox ORDER BY id")
            .fetch_all(&app.parts.pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|(k, _)| k == "console.unit.changed.v1"));
    let events: Vec<_> = rows
        .iter()
        .map(|(_, e)| match DomainEvent::decode(&e.0).unwrap() {
            DomainEvent::UnitChanged(u) => u,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(events[0].change, "created");
    assert_eq!(events[1].change, "updated");
    assert_eq!(events[1].unit.name, "古韩镇南关社区居民委员会");
    assert_eq!(events[1].unit.version, 2);
    assert_eq!(events[1].unit.township_code.as_deref(), Some("140423-GHZ"));
    let (s, h) = app.get("/api/v1/units/140423-GHZNG/history", &admin).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(h.as_array().unwrap().len(), 2);
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action IN ('unit.created', 'unit.updated')",
    )
    .fetch_one(&app.parts.pool)
    .await
    .unwrap();
    assert_eq!(n, 2);
    // the relay publishes them
    xinfang_test_support::wait_for("outbox published", Duration::from_secs(20), || {
        let pool = app.parts.pool.clone();
        async move {
            let n: i64 =
                sqlx::query_scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL")
                    .fetch_one(&pool)
                    .await
                    .ok()?;
            (n == 0).then_some(())
        }
    })
    .await;
    app.stop().await;
}

#[tokio::test]
async fn the_directory_is_seeded_filtered_and_walks_up() {
    let app = App::spawn(|_| {}).await;
    app.account(
        "reader",
        "140423-XFJ",
        &["clerk"],
        "correct horse battery",
        None,
    )
    .await;
    let token = app.login_ok("reader", "correct horse battery").await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // every unit code the repository's seeds and tests use
    for code in [
        "140423-XFJ",
        "140423-RSJ",
        "140423-ZJJ",
        "140423-NYJ",
        "140423-ZRJ",
        "140423-ZRZYJ",
        "140423-XYGS",
        "140423-LDJC",
        "140423-CGZ",
        "140400-XFJ",
    ] {
        let (s, b) = app.get(&format!("/api/v1/units/{code}"), &token).await;
        assert_eq!(s, StatusCode::OK, "{code}: {b}");
    }
    let (_, b) = app.get("/api/v1/units/140423-XFJ", &token).await;
    assert_eq!(b["name"], "襄垣县信访局");
    assert_eq!(b["kind_label"], "信访局");
    let (_, towns) = app
        .get("/api/v1/units?kind=township_government&active=true", &token)
        .await;
    let names: Vec<&str> = towns
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["short_name"].as_str().unwrap())
        .collect();
    for t in [
        "古韩镇",
        "王桥镇",
        "侯堡镇",
        "夏店镇",
        "虒亭镇",
        "西营镇",
        "王村镇",
        "下良镇",
        "善福乡",
        "北底乡",
        "上马乡",
    ] {
        assert!(names.contains(&t), "{t} in {names:?}");
    }
    let (s, b) = app.get("/api/v1/units?kind=galaxy", &token).await;
    assert_eq!(
        (s, b["details"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("kind"))
    );
    let (_, chain) = app
        .get("/api/v1/units/140423-GHZDG/ancestors", &token)
        .await;
    let codes: Vec<&str> = chain
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["140423-GHZ", "140423-ZF", "140400-ZF"]);
    let (s, _) = app.get("/api/v1/units/140423-NOPE/ancestors", &token).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app
        .http
        .get(format!("{}/api/v1/units", app.base))
        .send()
        .await
        .map(|r| (r.status(), ()))
        .unwrap();
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[tokio::test]
async fn the_jwks_document_has_the_expected_shape_and_service_tokens_work() {
    let app = App::spawn(|_| {}).await;
    let raw: Value = app
        .http
        .get(format!("{}/.well-known/jwks.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys = raw["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2, "{raw}");
    for k in keys {
        let obj = k.as_object().unwrap();
        let mut fields: Vec<&str> = obj.keys().map(String::as_str).collect();
        fields.sort();
        assert_eq!(fields, vec!["alg", "crv", "kid", "kty", "use", "x"]);
        assert_eq!(
            (
                k["kty"].as_str(),
                k["crv"].as_str(),
                k["alg"].as_str(),
                k["use"].as_str()
            ),
            (Some("OKP"), Some("Ed25519"), Some("EdDSA"), Some("sig"))
        );
        assert_eq!(
            URL_SAFE_NO_PAD
                .decode(k["x"].as_str().unwrap())
                .unwrap()
                .len(),
            32
        );
    }
    let kids: Vec<&str> = keys.iter().map(|k| k["kid"].as_str().unwrap()).collect();
    assert_eq!(kids, vec!["k-new", console::jwt::keys::DEV_KID]);

    // the development key verifies in local (tests and xinfangctl mint with it)
    let now = Utc::now().timestamp();
    let dev = console::jwt::keys::dev_key().unwrap();
    let t = dev
        .sign(&claims_for("someone", None, now, now, now + 60))
        .unwrap();
    assert!(verify(&t, &app.jwks().await, &app.verify_options()).is_ok());

    // service identity tokens
    let (s, b) = app
        .post(
            "/api/v1/auth/service-token",
            None,
            json!({ "client_id": "notification", "client_secret": "wrong" }),
        )
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let (s, b) = app
        .post(
            "/api/v1/auth/service-token",
            None,
            json!({ "client_id": "notification", "client_secret": "s3cret-notification" }),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let token = b["access_token"].as_str().unwrap();
    let claims = verify(token, &app.jwks().await, &app.verify_options()).unwrap();
    assert_eq!(claims.typ, TokenType::Service);
    assert_eq!(claims.sub, "service:notification");
    assert_eq!(claims.scopes, vec!["intake.contact.read"]);
    assert!(claims.unit.is_none() && claims.sid.is_none());
    assert_eq!(
        app.get("/api/v1/units/140423-XFJ", token).await.0,
        StatusCode::OK
    );
    assert_eq!(app.get("/api/v1/me", token).await.0, StatusCode::FORBIDDEN);
    // the OpenAPI document is served
    let doc: Value = app
        .http
        .get(format!("{}/api-docs/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/auth/login"].is_object());
    app.stop().await;
}

#[tokio::test]
async fn production_refuses_the_development_key() {
    let env = TestEnv::new();
    let mut s = settings(&env);
    s.environment = "production".into();
    let e = Application::build(s.clone()).await.err().expect("refused");
    assert!(e.to_string().contains("development key"), "{e}");
    // and a signing key that is the development key
    s.console.tokens.dev_key_file = None;
    s.console.tokens.signing_keys = vec![KeySettings {
        kid: "sneaky".into(),
        private_key_pem: Some(SecretString::from(console::jwt::keys::DEV_KEY_PEM)),
        private_key_file: None,
        state: KeyState::Active,
        retired_at: None,
    }];
    assert!(Application::build(s.clone()).await.is_err());
    // and no generated key in production
    s.console.tokens.signing_keys = vec![];
    assert!(Application::build(s).await.is_err());
}

#[tokio::test]
async fn the_cleanup_worker_removes_ended_sessions() {
    let app = App::spawn(|_| {}).await;
    app.account(
        "qian.shi",
        "140423-XFJ",
        &["clerk"],
        "correct horse battery",
        None,
    )
    .await;
    let s1 = app.login_ok("qian.shi", "correct horse battery").await;
    app.login_ok("qian.shi", "correct horse battery").await;
    app.post(
        "/api/v1/auth/logout",
        s1["access_token"].as_str(),
        json!({}),
    )
    .await;
    let keep = app.settings.console.workers.keep_ended_sessions_secs;
    let soon = Utc::now() + chrono::Duration::seconds(keep + 1);
    let cleaned = console::workers::cleanup::run_once(&app.parts.pool, &app.settings.console, soon)
        .await
        .unwrap();
    // the logged-out session ended long enough ago; the other one is still within its idle time
    assert_eq!(cleaned.sessions, 1);
    let idle = app.settings.console.sessions.idle_timeout_secs;
    let later = soon + chrono::Duration::seconds(idle);
    let cleaned =
        console::workers::cleanup::run_once(&app.parts.pool, &app.settings.console, later)
            .await
            .unwrap();
    // by then it has been idle-expired for longer than the keeping period
    assert_eq!(cleaned.sessions, 1);
    app.stop().await;
}
