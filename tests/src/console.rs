//! The console in end-to-end tests (控制台): started in the platform's environment, with an
//! administrator written into its store (TOTP enrolled) who logs in through the API.

use chrono::Utc;
use secrecy::SecretString;
use serde_json::{json, Value};
use uuid::Uuid;

use console::{
    configuration::*,
    domain::{
        account::LoginName,
        password::{HashCost, NewPassword, PasswordHasher},
        totp::{SecretBox, TotpSecret},
    },
    store,
};
use xinfang_test_support::{spawn_app, test_client, TestApp, TestEnv, BUREAU};

/// The TOTP sealing key of the test console (base64 of 32 bytes).
pub const TOTP_KEY: &str = "ZGV2LW9ubHktdG90cC1rZXktY2hhbmdlLW1lLTAwMDA=";

const HASH_COST: HashCost = HashCost {
    memory_kib: 19 * 1024,
    iterations: 2,
    parallelism: 1,
};

/// Console settings for the test environment: an in-memory signing key (tokens it issues are
/// trusted only through its JWKS), access tokens valid `access_ttl_secs`, a cheap argon2 cost.
pub fn console_settings(env: &TestEnv, access_ttl_secs: i64) -> Settings {
    Settings {
        platform: env.settings("console"),
        environment: "local".into(),
        console: ConsoleSettings {
            tokens: TokenSettings {
                access_ttl_secs,
                service_ttl_secs: 60,
                leeway_secs: 0,
                signing_keys: Vec::new(),
                dev_key_file: None,
                service_clients: Vec::new(),
            },
            sessions: SessionSettings::default(),
            login: LoginSettings::default(),
            password: PasswordSettings {
                memory_kib: HASH_COST.memory_kib,
                iterations: HASH_COST.iterations,
                parallelism: HASH_COST.parallelism,
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

/// Start the console in `env`.
pub async fn start_console(env: &TestEnv, access_ttl_secs: i64) -> TestApp {
    spawn_app(console::startup::build(console_settings(
        env,
        access_ttl_secs,
    )))
    .await
}

/// Write an account straight into the console's store; with `totp`, enrolled.
pub async fn add_account(
    console: &TestApp,
    login: &str,
    unit: &str,
    roles: &[&str],
    password: &str,
    totp: Option<&TotpSecret>,
) -> Uuid {
    let login_name = LoginName::parse(login).unwrap();
    let new_password = NewPassword::parse("password", password, &login_name).unwrap();
    let hash = PasswordHasher::new(HASH_COST)
        .unwrap()
        .hash(&new_password)
        .unwrap();
    let id = Uuid::now_v7();
    let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    let mut conn = console.pool.acquire().await.unwrap();
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

/// Log in through the console's API; returns the session body (with `access_token`).
pub async fn login(console: &TestApp, login: &str, password: &str, totp: Option<&str>) -> Value {
    let mut body = json!({ "login_name": login, "password": password });
    if let Some(code) = totp {
        body["totp_code"] = json!(code);
    }
    let res = test_client()
        .post(console.url("/api/v1/auth/login"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "login of {login}");
    res.json().await.unwrap()
}

/// An administrator of the bureau (TOTP enrolled), logged in: the access token.
pub async fn admin_token(console: &TestApp) -> String {
    let secret = TotpSecret::generate();
    add_account(
        console,
        "admin.e2e",
        BUREAU,
        &["admin"],
        "Xf-admin-e2e-2026!",
        Some(&secret),
    )
    .await;
    let code = secret.code_at(Utc::now().timestamp() as u64).unwrap();
    let session = login(console, "admin.e2e", "Xf-admin-e2e-2026!", Some(&code)).await;
    session["access_token"].as_str().unwrap().to_string()
}
