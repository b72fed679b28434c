//! The extension rules (art 34: one, ≤ 30 days, approved by a different unit head, before the due
//! date), optimistic concurrency (409 with the current version, nothing half-written) and unit
//! scoping.

use serde_json::json;
use xinfang_contracts::notices::templates;

use crate::helpers::*;

#[tokio::test]
async fn extension_rules_and_the_notice_after_supervision_moves_the_clock() {
    let a = App::spawn().await;
    let (id, _) = a.accepted_claim(RSJ, days_ago(20)).await;
    let path = format!("/api/v1/handling/cases/{id}/extensions");
    // The due date comes from supervision; until it is known no extension can be checked.
    let v = a
        .act(
            id,
            &path,
            &handler(RSJ),
            json!({ "days": 10, "reason": "情况复杂" }),
            409,
        )
        .await;
    assert_eq!(v["code"], "clock_pending");
    let due = days_ago(20) + chrono::Duration::days(60);
    a.project(id, "handling", RSJ, days_ago(20), due, 0).await;

    let v = a
        .act(
            id,
            &path,
            &handler(RSJ),
            json!({ "days": 31, "reason": "情况复杂" }),
            422,
        )
        .await;
    assert_eq!(v["code"], "extension_too_long");
    assert!(v["message"].as_str().unwrap().contains("30"));
    let v = a
        .act(
            id,
            &path,
            &handler(RSJ),
            json!({ "days": 30, "reason": "涉及多个部门，需会商" }),
            201,
        )
        .await;
    let ext = v["id"].as_str().unwrap().to_string();
    // A second request while one is pending.
    let v = a
        .act(
            id,
            &path,
            &handler(RSJ),
            json!({ "days": 5, "reason": "再延" }),
            422,
        )
        .await;
    assert_eq!(v["code"], "second_extension");
    assert!(v["message"].as_str().unwrap().contains("第三十四条"));

    let decide = format!("/api/v1/handling/cases/{id}/extensions/{ext}/decision");
    // Not a unit head; a head of another unit; the requester as head of the unit: all refused.
    a.act(
        id,
        &decide,
        &second_handler(RSJ),
        json!({ "approve": true }),
        403,
    )
    .await;
    a.act(id, &decide, &head(OTHER), json!({ "approve": true }), 404)
        .await;
    let self_head = xinfang_test_support::token(
        &format!("handler@{RSJ}"),
        RSJ,
        &[
            xinfang_platform::Role::Handler,
            xinfang_platform::Role::UnitHead,
        ],
    );
    let v = a
        .act(id, &decide, &self_head, json!({ "approve": true }), 403)
        .await;
    assert_eq!(v["code"], "self_approval");
    a.act(
        id,
        &decide,
        &head(RSJ),
        json!({ "approve": true, "note": "同意延期30日" }),
        200,
    )
    .await;
    let decided = a
        .published("administrative-review.extension.decided.v1", id)
        .await;
    assert_eq!(decided[0]["approved"], true);
    assert_eq!(decided[0]["days"], 30);
    // No notice until supervision has moved the clock; then it carries both dates.
    assert!(a.notices(id, templates::EXTENSION_NOTICE).await.is_empty());
    let extended = due + chrono::Duration::days(30);
    a.project(id, "handling", RSJ, days_ago(20), extended, 1)
        .await;
    let notice = &a.notices(id, templates::EXTENSION_NOTICE).await[0];
    assert_eq!(notice["fields"]["reason"], "涉及多个部门，需会商");
    assert_eq!(notice["fields"]["original_due_on"], due.to_string());
    assert_eq!(notice["fields"]["extended_due_on"], extended.to_string());
    // A repeated projection sends no second notice.
    a.project(id, "handling", RSJ, days_ago(20), extended, 1)
        .await;
    assert_eq!(a.notices(id, templates::EXTENSION_NOTICE).await.len(), 1);
    let case = a.case(id, &handler(RSJ)).await;
    assert_eq!(
        case["extensions"][0]["extended_due_on"],
        extended.to_string()
    );
    // A second extension after approval.
    let v = a
        .act(
            id,
            &path,
            &handler(RSJ),
            json!({ "days": 1, "reason": "再延" }),
            422,
        )
        .await;
    assert_eq!(v["code"], "second_extension");
    a.stop().await;
}

#[tokio::test]
async fn an_extension_after_the_due_date_is_refused_and_a_rejected_one_does_not_count() {
    let a = App::spawn().await;
    let (late, _) = a.accepted_claim(RSJ, days_ago(70)).await;
    a.project(late, "handling", RSJ, days_ago(70), days_ago(10), 0)
        .await;
    let v = a
        .act(
            late,
            &format!("/api/v1/handling/cases/{late}/extensions"),
            &handler(RSJ),
            json!({ "days": 10, "reason": "情况复杂" }),
            422,
        )
        .await;
    assert_eq!(v["code"], "extension_after_due");
    assert_eq!(v["details"]["due_on"], days_ago(10).to_string());

    let (id, _) = a.accepted_claim(RSJ, days_ago(5)).await;
    a.project(
        id,
        "handling",
        RSJ,
        days_ago(5),
        days_ago(5) + chrono::Duration::days(60),
        0,
    )
    .await;
    let path = format!("/api/v1/handling/cases/{id}/extensions");
    let v = a
        .act(
            id,
            &path,
            &handler(RSJ),
            json!({ "days": 10, "reason": "情况复杂" }),
            201,
        )
        .await;
    let ext = v["id"].as_str().unwrap();
    a.act(
        id,
        &format!("/api/v1/handling/cases/{id}/extensions/{ext}/decision"),
        &head(RSJ),
        json!({ "approve": false, "note": "理由不充分" }),
        200,
    )
    .await;
    a.act(
        id,
        &path,
        &handler(RSJ),
        json!({ "days": 15, "reason": "补充材料" }),
        201,
    )
    .await;
    a.stop().await;
}

#[tokio::test]
async fn two_handlers_acting_at_once_one_wins_and_the_other_gets_409_with_the_current_version() {
    let a = App::spawn().await;
    let (id, _) = a.accepted_claim(RSJ, days_ago(5)).await;
    let version = a.version(id).await;
    let body = |summary: &str| json!({ "version": version, "kind": "talk", "occurred_on": today(), "summary": summary });
    let path = format!("/api/v1/handling/cases/{id}/entries");
    let (first, second) = (handler(RSJ), second_handler(RSJ));
    let (one, two) = tokio::join!(
        a.post(&path, &first, body("第一位承办人")),
        a.post(&path, &second, body("第二位承办人")),
    );
    let mut statuses = [one.0, two.0];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{one:?} {two:?}");
    let conflict = if one.0 == 409 { &one.1 } else { &two.1 };
    assert_eq!(conflict["code"], "version_conflict");
    assert_eq!(conflict["details"]["current_version"], version + 1);
    let case = a.case(id, &handler(RSJ)).await;
    assert_eq!(
        case["entries"].as_array().unwrap().len(),
        1,
        "nothing half-written"
    );
    assert_eq!(case["version"], version + 1);
    // A stale version on any change is refused the same way.
    let (s, v) = a
        .post(
            &format!("/api/v1/handling/cases/{id}/closure"),
            &handler(RSJ),
            json!({ "version": version, "ground": "withdrawn", "reason": "撤回" }),
        )
        .await;
    assert_eq!(s, 409);
    assert_eq!(v["details"]["current_version"], version + 1);
    a.stop().await;
}

#[tokio::test]
async fn a_unit_sees_its_own_queue_and_cases_only_and_the_bureau_sees_all() {
    let a = App::spawn().await;
    let (early, _) = a.accepted_claim(RSJ, days_ago(50)).await;
    let (later, _) = a.accepted_claim(RSJ, days_ago(10)).await;
    let (elsewhere, _) = a.accepted_claim(OTHER, days_ago(10)).await;
    a.project(
        later,
        "handling",
        RSJ,
        days_ago(10),
        days_ago(10) + chrono::Duration::days(60),
        0,
    )
    .await;
    a.project(
        early,
        "handling",
        RSJ,
        days_ago(50),
        days_ago(50) + chrono::Duration::days(60),
        0,
    )
    .await;

    let (s, q) = a.get("/api/v1/handling/queue", &handler(RSJ)).await;
    assert_eq!(s, 200);
    let ids: Vec<&str> = q
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["case_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![early.to_string(), later.to_string()],
        "due date first"
    );
    assert!(
        q[0]["explanation"].as_array().unwrap().len() >= 2,
        "how it was computed"
    );
    // Asking for another unit's queue gives one's own.
    let (_, q) = a
        .get(
            &format!("/api/v1/handling/queue?unit={OTHER}"),
            &handler(RSJ),
        )
        .await;
    assert_eq!(q.as_array().unwrap().len(), 2);

    let (s, _) = a
        .get(
            &format!("/api/v1/handling/cases/{elsewhere}"),
            &handler(RSJ),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = a
        .post(
            &format!("/api/v1/handling/cases/{elsewhere}/entries"),
            &handler(RSJ),
            json!({ "version": 1, "kind": "talk", "occurred_on": today(), "summary": "x" }),
        )
        .await;
    assert_eq!(s, 404);
    let (s, q) = a.get("/api/v1/handling/queue", &bureau()).await;
    assert_eq!(s, 200);
    assert_eq!(q.as_array().unwrap().len(), 3);
    let (_, q) = a
        .get(&format!("/api/v1/handling/queue?unit={OTHER}"), &bureau())
        .await;
    assert_eq!(q.as_array().unwrap().len(), 1);
    // The bureau sees every case but acts for no unit.
    a.case(elsewhere, &bureau()).await;
    a.act(
        elsewhere,
        &format!("/api/v1/handling/cases/{elsewhere}/entries"),
        &bureau(),
        json!({ "kind": "talk", "occurred_on": today(), "summary": "x" }),
        403,
    )
    .await;
    // Unit codes are checked against the directory.
    let v = a.act(later, &format!("/api/v1/handling/cases/{later}/entries"), &handler(RSJ),
        json!({ "kind": "consultation", "occurred_on": today(), "summary": "征求意见", "consulted_unit": "140423-NOPE" }), 422).await;
    assert_eq!(v["details"]["field"], "consulted_unit");
    a.act(later, &format!("/api/v1/handling/cases/{later}/entries"), &handler(RSJ),
        json!({ "kind": "consultation", "occurred_on": today(), "summary": "征求意见", "consulted_unit": OTHER }), 201).await;
    // Without a token: 401.
    let r = a
        .app
        .client
        .get(a.app.url("/api/v1/handling/queue"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    a.stop().await;
}

#[tokio::test]
async fn every_endpoint_is_in_the_openapi_document() {
    let a = App::spawn().await;
    let doc: serde_json::Value = a
        .app
        .client
        .get(a.app.url("/api-docs/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/handling/queue",
        "/api/v1/handling/cases/{case_id}",
        "/api/v1/handling/cases/{case_id}/entries",
        "/api/v1/handling/cases/{case_id}/extensions",
        "/api/v1/handling/cases/{case_id}/extensions/{extension_id}/decision",
        "/api/v1/handling/cases/{case_id}/closure",
        "/api/v1/handling/cases/{case_id}/opinions",
        "/api/v1/handling/cases/{case_id}/external-decisions",
        "/api/v1/handling/cases/{case_id}/review-requests",
        "/api/v1/handling/cases/{case_id}/hearings",
        "/api/v1/handling/cases/{case_id}/follow-ups",
        "/api/v1/handling/cases/{case_id}/follow-ups/{follow_up_id}/outcome",
        "/api/v1/handling/opinions/{opinion_id}",
        "/api/v1/handling/opinions/{opinion_id}/withdrawal",
        "/api/v1/handling/opinions/{opinion_id}/approval",
        "/api/v1/handling/opinions/{opinion_id}/issue",
        "/api/v1/handling/opinions/{opinion_id}/delivery",
        "/api/v1/handling/opinions/{opinion_id}/implementation",
        "/api/v1/handling/hearings/{hearing_id}/record",
        "/api/v1/cases/{case_id}",
    ] {
        assert!(
            paths.contains_key(path),
            "{path} missing from the OpenAPI document"
        );
    }
    a.stop().await;
}
