//! login

use crate::helpers::*;

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
        .fetch_one(&app.app.pool)
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
            .fetch_one(&app.app.pool)
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
        .fetch_one(&app.app.pool)
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

/// Behind a trusted reverse proxy the address lockout applies to the client the proxy names, not
/// to the proxy (which would lock everyone out), and an address the client wrote itself further
/// left in `X-Forwarded-For` is not believed.
#[tokio::test]
async fn the_address_lockout_follows_the_client_behind_a_trusted_proxy() {
    let app = App::spawn(|s| s.console.login.max_failures_per_address = 3).await;
    app.account(
        "zhao.liu",
        "140423-XFJ",
        &["clerk"],
        "correct horse battery",
        None,
    )
    .await;
    let login = |forwarded: &'static str, name: &'static str, password: &'static str| {
        let http = app.http.clone();
        let url = format!("{}/api/v1/auth/login", app.base);
        async move {
            let res = http
                .post(url)
                .header("X-Forwarded-For", forwarded)
                .json(&json!({ "login_name": name, "password": password }))
                .send()
                .await
                .unwrap();
            res.status()
        }
    };
    // Three failures from 10.0.0.1, each for a different (unknown) name: the address is locked.
    for name in ["nobody.a", "nobody.b", "nobody.c"] {
        assert_eq!(
            login("10.0.0.1", name, "wrong password!").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login("10.0.0.1", "zhao.liu", "correct horse battery").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A forged address on the left changes nothing: the proxy saw 10.0.0.1.
    assert_eq!(
        login("10.9.9.9, 10.0.0.1", "zhao.liu", "correct horse battery").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy is not locked out.
    assert_eq!(
        login("10.0.0.2", "zhao.liu", "correct horse battery").await,
        StatusCode::OK
    );
    app.stop().await;
}
