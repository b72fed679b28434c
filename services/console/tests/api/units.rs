//! units

use crate::helpers::*;

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

    // The changes, apart from the announcement of the whole directory at start.
    let rows: Vec<(String, sqlx::types::Json<Envelope>)> = sqlx::query_as(
        "SELECT routing_key, envelope FROM outbox \
         WHERE envelope->'payload'->>'change' <> 'republished' ORDER BY id",
    )
    .fetch_all(&app.app.pool)
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
    .fetch_one(&app.app.pool)
    .await
    .unwrap();
    assert_eq!(n, 2);
    // the relay publishes them
    xinfang_test_support::wait_for("outbox published", Duration::from_secs(20), || {
        let pool = app.app.pool.clone();
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

/// At its start the console announces the whole directory (重新发布), so that every service's copy
/// holds the seed; the seed the other services' tests start from is the same data.
#[tokio::test]
async fn the_directory_is_announced_at_start_and_matches_the_services_test_seed() {
    let app = App::spawn(|_| {}).await;
    let pool = app.app.pool.clone();
    let announced = xinfang_test_support::wait_for(
        "the announcement at start",
        std::time::Duration::from_secs(10),
        || {
            let pool = pool.clone();
            async move {
                let rows: Vec<(sqlx::types::Json<Envelope>,)> = sqlx::query_as(
                    "SELECT envelope FROM outbox \
                     WHERE envelope->'payload'->>'change' = 'republished' ORDER BY id",
                )
                .fetch_all(&pool)
                .await
                .unwrap();
                (!rows.is_empty()).then_some(rows)
            }
        },
    )
    .await;
    let mut published: Vec<_> = announced
        .iter()
        .map(|(e,)| match DomainEvent::decode(&e.0).unwrap() {
            DomainEvent::UnitChanged(u) => u.unit,
            other => panic!("{other:?}"),
        })
        .collect();
    published.sort_by(|a, b| a.code.cmp(&b.code));
    let mut seed = xinfang_test_support::directory::seed_units();
    seed.sort_by(|a, b| a.code.cmp(&b.code));
    assert_eq!(
        published, seed,
        "shared/test-support/data/units.tsv must match the console's seed"
    );

    // An administrator may announce it again; a person without the role may not.
    let admin = app.admin().await;
    let (s, b) = app
        .post("/api/v1/units/republish", Some(&admin), json!({}))
        .await;
    assert_eq!(
        (s, b["units"].as_u64()),
        (StatusCode::OK, Some(seed.len() as u64))
    );
    let audited: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'unit.republished'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        audited, 2,
        "the start and the administrator's republication are audited"
    );
    app.stop().await;
}

/// The unit bodies are plain objects in the OpenAPI document (no `allOf` whose parts each forbid
/// the other's properties, which no body can satisfy and schemathesis cannot generate from), and
/// the server still refuses unknown fields.
#[tokio::test]
async fn the_unit_bodies_in_the_openapi_document_can_be_satisfied() {
    let app = App::spawn(|_| {}).await;
    let doc: serde_json::Value = app
        .http
        .get(format!("{}/api-docs/openapi.json", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for (name, required) in [("CreateUnit", "code"), ("UpdateUnit", "name")] {
        let schema = &doc["components"]["schemas"][name];
        assert!(schema.get("allOf").is_none(), "{name}: {schema}");
        assert_eq!(schema["type"], "object", "{name}: {schema}");
        assert_eq!(schema["additionalProperties"], false, "{name}: {schema}");
        for field in [
            "name",
            "short_name",
            "kind",
            "level",
            "parent_code",
            "remarks",
        ] {
            assert!(schema["properties"].get(field).is_some(), "{name}.{field}");
        }
        assert!(schema["required"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r == required));
    }
    app.stop().await;
}
