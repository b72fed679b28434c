//! Tokens from one issuer (issue 13), across running services: a member of staff logs in at the
//! console, and mediation, which trusts nothing but the console's JWKS (fetched over HTTP), accepts
//! the access token; once the session is revoked the token stops working there within its
//! lifetime (a few seconds here), because access tokens are refreshed only through a live session.

// A panic in a test helper is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use console::{
    domain::{
        account::LoginName,
        password::{HashCost, NewPassword, PasswordHasher},
    },
    store,
};
use serde_json::{json, Value};
use uuid::Uuid;
use xinfang_e2e::console::start_console;
use xinfang_test_support::{spawn_app, test_client, wait_for, TestEnv, BUREAU};

const ACCESS_TTL_SECS: i64 = 3;

#[tokio::test]
async fn a_console_token_works_at_mediation_until_its_session_is_revoked() {
    let env = TestEnv::new();
    let console_app = start_console(&env, ACCESS_TTL_SECS).await;

    // Mediation trusts the console's JWKS only: no development key, a small leeway.
    let mut platform = env.settings("mediation");
    platform.auth.public_keys = Vec::new();
    platform.auth.jwks_url = Some(console_app.url("/.well-known/jwks.json"));
    platform.auth.leeway_secs = 1;
    platform.auth.min_refresh_interval_secs = 0;
    let mediation_app = spawn_app(mediation::startup::build(
        mediation::configuration::Settings { platform },
    ))
    .await;

    // A handler of the bureau, written straight into the console's store.
    let login = LoginName::parse("handler.li").unwrap();
    let password = NewPassword::parse("password", "Xf-handler-2026!", &login).unwrap();
    let hasher = PasswordHasher::new(HashCost {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    })
    .unwrap();
    let mut conn = console_app.pool.acquire().await.unwrap();
    store::accounts::insert(
        &mut conn,
        &store::accounts::NewAccount {
            id: Uuid::now_v7(),
            login_name: login.as_str(),
            display_name: "李承办",
            unit_code: BUREAU,
            roles: &["handler".to_string()],
            password_hash: &hasher.hash(&password).unwrap(),
            created_by: "test",
        },
    )
    .await
    .unwrap();
    drop(conn);

    let http = test_client();
    let session: Value = http
        .post(console_app.url("/api/v1/auth/login"))
        .json(&json!({ "login_name": "handler.li", "password": "Xf-handler-2026!" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = session["access_token"]
        .as_str()
        .expect("access token")
        .to_string();
    let case = mediation_app.url(&format!("/api/v1/cases/{}", Uuid::now_v7()));

    // Accepted: the case is unknown (404), not the caller (401).
    let status = http
        .get(&case)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 404, "a console token is accepted by mediation");

    // The user logs out: the session is revoked at the console at once…
    let out = http
        .post(console_app.url("/api/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(out.status().is_success(), "{}", out.status());
    let refreshed = http
        .post(console_app.url("/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": session["refresh_token"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refreshed.status().as_u16(),
        401,
        "no new token for a revoked session"
    );

    // …and at mediation once the access token has expired (its lifetime plus the leeway).
    wait_for(
        "mediation to refuse the token of the revoked session",
        Duration::from_secs(ACCESS_TTL_SECS as u64 + 15),
        || {
            let http = http.clone();
            let case = case.clone();
            let token = token.clone();
            async move {
                let s = http.get(&case).bearer_auth(&token).send().await.ok()?;
                (s.status().as_u16() == 401).then_some(())
            }
        },
    )
    .await;

    mediation_app.stop().await;
    console_app.stop().await;
}
