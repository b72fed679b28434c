//! accounts

use crate::helpers::*;

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
            .fetch_one(&app.app.pool)
            .await
            .unwrap();
    assert_eq!(n, 1);
    app.stop().await;
}
