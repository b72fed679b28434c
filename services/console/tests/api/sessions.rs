//! sessions

use crate::helpers::*;

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
    .fetch_one(&app.app.pool)
    .await
    .unwrap();
    assert!(n >= 4, "{n}");
    app.stop().await;
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
    let cleaned = console::workers::cleanup::run_once(&app.app.pool, &app.settings.console, soon)
        .await
        .unwrap();
    // the logged-out session ended long enough ago; the other one is still within its idle time
    assert_eq!(cleaned.sessions, 1);
    let idle = app.settings.console.sessions.idle_timeout_secs;
    let later = soon + chrono::Duration::seconds(idle);
    let cleaned = console::workers::cleanup::run_once(&app.app.pool, &app.settings.console, later)
        .await
        .unwrap();
    // by then it has been idle-expired for longer than the keeping period
    assert_eq!(cleaned.sessions, 1);
    app.stop().await;
}
