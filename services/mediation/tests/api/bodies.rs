//! Maintaining the bodies (调解组织的维护): changes and deactivation by an administrator or the
//! body's head, audited and published; and the referral's check of the matter's category
//! (only 申诉求决类 matters are referred).

use serde_json::{json, Value};
use xinfang_contracts::events::Category;
use xinfang_platform::Role;
use xinfang_test_support::{token, BUREAU};

use crate::helpers::{Ctx, OTHER_TOWN, TOWN};

fn body(contact: &str, unit: &str, active: bool) -> Value {
    json!({
        "name": "古韩镇人民调解委员会", "kind": "township_committee", "township": "古韩镇",
        "fields": ["agriculture_rural", "labour_social_security"], "contact": contact,
        "unit_code": unit, "active": active })
}

async fn put(ctx: &Ctx, path: &str, token: &str, body: Value) -> (u16, Value) {
    let res = ctx
        .app
        .client
        .put(ctx.app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn the_head_changes_and_deactivates_a_body_audited_and_published_never_under_a_live_mediation(
) {
    let ctx = Ctx::start().await;
    let path = format!("/api/v1/mediation-bodies/{}", ctx.body_id);
    let head = ctx.head();

    // Who may not: a mediator of the unit, the head of another unit, the head moving the body to
    // a unit they do not head.
    let (s, _) = put(
        &ctx,
        &path,
        &ctx.mediator(),
        body("0355-7000002", TOWN, true),
    )
    .await;
    assert_eq!(s, 403);
    let other_head = token("head2", OTHER_TOWN, &[Role::UnitHead]);
    let (s, _) = put(&ctx, &path, &other_head, body("0355-7000002", TOWN, true)).await;
    assert_eq!(s, 403);
    let (s, v) = put(&ctx, &path, &head, body("0355-7000002", "140423-WQZ", true)).await;
    assert_eq!(s, 403, "{v}");
    // Bad input names its field; an unknown body is 404.
    let (s, v) = put(&ctx, &path, &head, body("  ", TOWN, true)).await;
    assert_eq!(
        (s, v["details"]["field"].as_str()),
        (422, Some("contact")),
        "{v}"
    );
    let (s, v) = put(
        &ctx,
        &path,
        &head,
        body("0355-7000002", "140423-NOPE", true),
    )
    .await;
    assert_eq!(
        (s, v["details"]["field"].as_str()),
        (422, Some("unit_code")),
        "{v}"
    );
    let (s, _) = put(
        &ctx,
        &format!("/api/v1/mediation-bodies/{}", uuid::Uuid::now_v7()),
        &head,
        body("0355-7000002", TOWN, true),
    )
    .await;
    assert_eq!(s, 404);
    assert!(
        ctx.payloads("mediation.body.changed.v1").await.len() == 1,
        "only the creation"
    );

    // The head changes the contact: the row, the audit row and the event say so.
    let (s, v) = put(&ctx, &path, &head, body("0355-7000002", TOWN, true)).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["contact"], "0355-7000002");
    let changed = ctx.payloads("mediation.body.changed.v1").await;
    assert_eq!(changed.len(), 2);
    assert_eq!(changed[0]["change"], "created");
    assert_eq!(
        (changed[1]["change"].as_str(), &changed[1]["changes"]),
        (Some("updated"), &json!(["contact"]))
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'mediation.body.update' AND details->>'body_id' = $1",
    )
    .bind(ctx.body_id.to_string())
    .fetch_one(&ctx.app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // A live mediation keeps the body active.
    let case_id = ctx.register_case().await;
    let m = ctx.refer(case_id).await;
    let (s, v) = put(&ctx, &path, &head, body("0355-7000002", TOWN, false)).await;
    assert_eq!(
        (
            s,
            v["code"].as_str(),
            v["details"]["live_mediations"].as_i64()
        ),
        (409, Some("body_has_live_mediations"), Some(1)),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("进行中的调解1件"));
    // Once it ended (a party refused), the administrator deactivates it.
    let (s, _) = ctx
        .post(
            &format!("/api/v1/mediations/{m}/consents"),
            &ctx.mediator(),
            json!({ "party": "李四", "consented": false, "method": "oral", "note": "不愿调解" }),
        )
        .await;
    assert_eq!(s, 200);
    let admin = token("admin", BUREAU, &[Role::Admin]);
    let (s, v) = put(&ctx, &path, &admin, body("0355-7000002", TOWN, false)).await;
    assert_eq!((s, v["active"].as_bool()), (200, Some(false)), "{v}");
    let changed = ctx.payloads("mediation.body.changed.v1").await;
    assert_eq!(changed.len(), 3);
    assert_eq!(
        (
            changed[2]["change"].as_str(),
            changed[2]["active"].as_bool()
        ),
        (Some("deactivated"), Some(false))
    );
    // A deactivated body takes no referral.
    let case2 = ctx.register_case().await;
    let (s, v) = ctx
        .post("/api/v1/mediations", &ctx.clerk(), json!({
            "petition_id": case2, "stage": "acceptance", "body_id": ctx.body_id,
            "parties": [{ "name": "张三", "role": "applicant" }, { "name": "李四", "role": "respondent" }],
            "summary": "承包地边界争议" }))
        .await;
    assert_eq!(
        (s, v["details"]["field"].as_str()),
        (422, Some("body_id")),
        "{v}"
    );
    // Sent again unchanged: 200, nothing new published.
    let (s, _) = put(&ctx, &path, &admin, body("0355-7000002", TOWN, false)).await;
    assert_eq!(s, 200);
    assert_eq!(ctx.payloads("mediation.body.changed.v1").await.len(), 3);
    ctx.stop().await;
}

#[tokio::test]
async fn only_a_claim_is_referred_to_mediation() {
    let ctx = Ctx::start().await;
    let refer = |case_id| {
        json!({
            "petition_id": case_id, "stage": "acceptance", "body_id": ctx.body_id,
            "parties": [{ "name": "张三", "role": "applicant" }, { "name": "李四", "role": "respondent" }],
            "summary": "对村务管理的建议" })
    };
    let suggestion = ctx.register_case_of(Some(Category::Suggestion)).await;
    let (s, v) = ctx
        .post("/api/v1/mediations", &ctx.clerk(), refer(suggestion))
        .await;
    assert_eq!(
        (s, v["code"].as_str(), v["details"]["category"].as_str()),
        (409, Some("category_not_mediable"), Some("suggestion")),
        "{v}"
    );
    assert!(v["message"]
        .as_str()
        .unwrap()
        .contains("只有申诉求决类事项可以引导调解"));
    let accusation = ctx.register_case_of(Some(Category::Accusation)).await;
    let (s, v) = ctx
        .post("/api/v1/mediations", &ctx.clerk(), refer(accusation))
        .await;
    assert_eq!(
        (s, v["details"]["category"].as_str()),
        (409, Some("accusation")),
        "{v}"
    );
    let unknown = ctx.register_case_of(None).await;
    let (s, v) = ctx
        .post("/api/v1/mediations", &ctx.clerk(), refer(unknown))
        .await;
    assert_eq!(
        (s, v["code"].as_str()),
        (409, Some("category_not_mediable")),
        "{v}"
    );
    assert!(v["message"].as_str().unwrap().contains("尚未确定类别"));
    // Nothing was referred; a claim is.
    assert!(ctx
        .payloads("mediation.mediation.referred.v1")
        .await
        .is_empty());
    let claim = ctx.register_case_of(Some(Category::Claim)).await;
    let (s, v) = ctx
        .post("/api/v1/mediations", &ctx.clerk(), refer(claim))
        .await;
    assert_eq!(s, 201, "{v}");
    ctx.stop().await;
}
