//! The rules that refuse: recusal (回避), a party asking for another mediator, double booking of a
//! mediator or a room, and who may take which step.

use serde_json::json;
use xinfang_platform::Role;
use xinfang_test_support::{token, BUREAU};

use crate::helpers::{session, Ctx, OTHER_TOWN};

#[tokio::test]
async fn recusal_refuses_a_party_the_respondent_units_staff_and_a_related_mediator() {
    let ctx = Ctx::start().await;
    let case_id = ctx.register_case().await;
    let m = ctx.refer(case_id).await;
    let med = ctx.mediator();
    for party in ["张三", "李四"] {
        let (s, _) = ctx
            .post(
                &format!("/api/v1/mediations/{m}/consents"),
                &med,
                json!({ "party": party, "consented": true, "method": "electronic" }),
            )
            .await;
        assert_eq!(s, 200);
    }
    let assign = |mediator| json!({ "mediator_id": mediator, "reason": "指定" });
    // 张三 the mediator bears a party's name: refused.
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/mediator"),
            &med,
            assign(ctx.zhang),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str(), v["details"]["ground"].as_str()),
        (409, Some("mediator_recused"), Some("is_party")),
        "{v}"
    );
    // 孙七 works for the respondent unit: refused.
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/mediator"),
            &med,
            assign(ctx.sun),
        )
        .await;
    assert_eq!(
        (s, v["details"]["ground"].as_str()),
        (409, Some("respondent_unit")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("被反映单位"));
    // 赵六 is declared related to 李四: refused from then on, and no longer suggested.
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/mediator-exclusions"),
            &med,
            json!({
        "mediator_id": ctx.zhao, "ground": "related", "party": "李四", "reason": "系李四的姐夫" }),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/mediator"),
            &med,
            assign(ctx.zhao),
        )
        .await;
    assert_eq!(
        (s, v["details"]["ground"].as_str()),
        (409, Some("related")),
        "{v}"
    );
    let (_, v) = ctx
        .get(
            &format!("/api/v1/mediations/{m}/mediator-suggestions"),
            &med,
        )
        .await;
    let names: Vec<&str> = v["mediators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["王五"]);

    // 王五 is assigned; 张三 (the party) asks for another mediator: 王五 leaves, and cannot return.
    let (s, _) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/mediator"),
            &med,
            assign(ctx.wang),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = ctx.post(&format!("/api/v1/mediations/{m}/mediator-exclusions"), &med, json!({
        "mediator_id": ctx.wang, "ground": "party_request", "party": "张三", "reason": "认为调解员偏向对方" })).await;
    assert_eq!(s, 200, "{v}");
    assert!(v["mediation"]["mediator_id"].is_null());
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/mediator"),
            &med,
            assign(ctx.wang),
        )
        .await;
    assert_eq!(
        (s, v["details"]["ground"].as_str()),
        (409, Some("party_request")),
        "{v}"
    );
    let (_, v) = ctx
        .get(
            &format!("/api/v1/mediations/{m}/mediator-suggestions"),
            &med,
        )
        .await;
    assert!(v["mediators"].as_array().unwrap().is_empty(), "{v}");
    let published = ctx.published().await;
    assert_eq!(
        published
            .iter()
            .filter(|k| *k == "mediation.mediator.assigned.v1")
            .count(),
        1
    );
    ctx.stop().await;
}

#[tokio::test]
async fn a_mediator_or_a_room_is_never_booked_twice_at_the_same_time() {
    let ctx = Ctx::start().await;
    let med = ctx.mediator();
    let first = ctx.refer(ctx.register_case().await).await;
    ctx.consent_and_assign(first).await;
    let second = ctx.refer(ctx.register_case().await).await;
    ctx.consent_and_assign(second).await;
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{first}/sessions"),
            &med,
            session(1, Some("一号调解室")),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let booked = v["sessions"][0]["id"].as_str().unwrap().to_string();
    // Same mediator (王五), same time: refused, the conflict named.
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{second}/sessions"),
            &med,
            session(1, None),
        )
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("double_booking")),
        "{v}"
    );
    assert_eq!(v["details"]["conflict"], "mediator");
    assert_eq!(v["details"]["session_id"], booked);
    assert!(v["message"].as_str().unwrap().contains("调解员王五"), "{v}");
    // Another mediator, same room, same time: refused for the room.
    let third = ctx.refer(ctx.register_case().await).await;
    for party in ["张三", "李四"] {
        ctx.post(
            &format!("/api/v1/mediations/{third}/consents"),
            &med,
            json!({ "party": party, "consented": true, "method": "written" }),
        )
        .await;
    }
    let (s, _) = ctx
        .post(
            &format!("/api/v1/mediations/{third}/mediator"),
            &med,
            json!({ "mediator_id": ctx.zhao, "reason": "指定" }),
        )
        .await;
    assert_eq!(s, 200);
    let (s, v) = ctx
        .post(
            &format!("/api/v1/mediations/{third}/sessions"),
            &med,
            session(1, Some("一号调解室")),
        )
        .await;
    assert_eq!(
        (s, v["details"]["conflict"].as_str()),
        (409, Some("room")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("一号调解室"));
    // Another room at that time, or the same room another day: fine.
    let (s, _) = ctx
        .post(
            &format!("/api/v1/mediations/{third}/sessions"),
            &med,
            session(1, Some("二号调解室")),
        )
        .await;
    assert_eq!(s, 201);
    let (s, _) = ctx
        .post(
            &format!("/api/v1/mediations/{second}/sessions"),
            &med,
            session(2, Some("一号调解室")),
        )
        .await;
    assert_eq!(s, 201);
    ctx.stop().await;
}

#[tokio::test]
async fn every_step_needs_its_right_and_the_bodys_unit() {
    let ctx = Ctx::start().await;
    let case_id = ctx.register_case().await;
    // A handler of another unit cannot refer the bureau's case (nor learn it exists).
    let outsider = token("h", "140423-ZJJ", &[Role::Handler]);
    let (s, _) = ctx.post("/api/v1/mediations", &outsider, json!({
        "petition_id": case_id, "stage": "handling", "body_id": ctx.body_id,
        "parties": [{ "name": "甲", "role": "applicant" }, { "name": "乙", "role": "respondent" }], "summary": "x" })).await;
    assert_eq!(s, 404);
    let m = ctx.refer(case_id).await;
    // A mediator of another township's unit may not take the body's steps.
    let other = token("m2", OTHER_TOWN, &[Role::Mediator]);
    let (s, _) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/consents"),
            &other,
            json!({ "party": "张三", "consented": true, "method": "written" }),
        )
        .await;
    assert_eq!(s, 404);
    // The bureau clerk refers but does not mediate.
    let (s, _) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/consents"),
            &ctx.clerk(),
            json!({ "party": "张三", "consented": true, "method": "written" }),
        )
        .await;
    assert_eq!(s, 403);
    // Only administrators, the bureau and the body's head maintain the directory.
    let (s, _) = ctx.post("/api/v1/mediators", &ctx.mediator(), json!({
        "name": "钱八", "body_id": ctx.body_id, "kind": "grid_worker", "fields": ["x"], "townships": ["古韩镇"] })).await;
    assert_eq!(s, 403);
    let other_head = token("h2", OTHER_TOWN, &[Role::UnitHead]);
    let (s, _) = ctx.post("/api/v1/mediators", &other_head, json!({
        "name": "钱八", "body_id": ctx.body_id, "kind": "grid_worker", "fields": ["x"], "townships": ["古韩镇"] })).await;
    assert_eq!(s, 403);
    let bureau_mediator = token("bm", BUREAU, &[Role::Mediator]);
    let (s, v) = ctx.post("/api/v1/mediators", &bureau_mediator, json!({
        "name": "钱八", "body_id": ctx.body_id, "kind": "five_elders", "fields": ["x"], "townships": ["古韩镇"] })).await;
    assert_eq!(s, 201, "{v}");
    // A body's unit and a mediator's employer must be units of the directory.
    let admin = token("admin", BUREAU, &[Role::Admin]);
    let (s, v) = ctx.post("/api/v1/mediation-bodies", &admin, json!({
        "name": "无名委员会", "kind": "studio", "township": "古韩镇", "fields": ["x"], "contact": "1", "unit_code": "140423-NOPE" })).await;
    assert_eq!(
        (s, v["details"]["field"].as_str()),
        (422, Some("unit_code")),
        "{v}"
    );
    let (s, v) = ctx.post("/api/v1/mediators", &ctx.head(), json!({
        "name": "钱九", "body_id": ctx.body_id, "kind": "lawyer", "fields": ["x"], "townships": ["古韩镇"], "employer_unit": "140423-NOPE" })).await;
    assert_eq!(
        (s, v["details"]["field"].as_str()),
        (422, Some("employer_unit")),
        "{v}"
    );
    // Bad input names its field.
    let (s, v) = ctx.post("/api/v1/mediators", &ctx.head(), json!({
        "name": "钱八", "body_id": ctx.body_id, "kind": "wizard", "fields": ["x"], "townships": ["古韩镇"] })).await;
    assert_eq!(
        (s, v["details"]["field"].as_str()),
        (422, Some("kind")),
        "{v}"
    );
    // A keyed retry gets the first answer, not a second mediator.
    let key = uuid::Uuid::new_v4().to_string();
    let mut ids = vec![];
    for _ in 0..2 {
        let res = ctx.app.client.post(ctx.app.url("/api/v1/mediators")).bearer_auth(ctx.head())
            .header("Idempotency-Key", &key)
            .json(&json!({ "name": "周九", "body_id": ctx.body_id, "kind": "lawyer", "fields": ["x"], "townships": ["古韩镇"] }))
            .send().await.unwrap();
        assert_eq!(res.status().as_u16(), 201);
        ids.push(res.json::<serde_json::Value>().await.unwrap()["id"].clone());
    }
    assert_eq!(ids[0], ids[1]);
    // The OpenAPI document lists the routes.
    let doc: serde_json::Value = ctx
        .app
        .client
        .get(ctx.app.url("/api-docs/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for path in [
        "/api/v1/mediations",
        "/api/v1/mediations/{id}/mediator-suggestions",
        "/api/v1/sessions/{id}/held",
        "/api/v1/agreements/{id}/judicial-confirmation",
        "/api/v1/disputes",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
    ctx.stop().await;
}
