//! Decisions at the window travel the whole platform: intake decides, notification writes the
//! notices the law requires, supervision closes and opens the statutory clocks, and the case
//! timeline shows every step in order.

// Test code: a failed unwrap is a failed test. clippy.toml allows it in `#[test]` functions; this
// also covers the helpers beside them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{json, Value};
use xinfang_e2e::Platform;
use xinfang_platform::Role;
use xinfang_test_support::{clerk_token, token, wait_for, BUREAU};

async fn post(p: &Platform, url: String, token: &str, body: Value) -> Value {
    let res = p
        .client
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert!((200..300).contains(&status), "{status}: {body}");
    body
}

/// Poll a GET (as the bureau) until `ok` accepts the body.
async fn until(p: &Platform, what: &str, url: String, ok: impl Fn(&Value) -> bool) -> Value {
    wait_for(what, Duration::from_secs(30), || {
        let url = url.clone();
        let ok = &ok;
        async move {
            let (status, body) = p.get(url).await;
            (status == 200 && ok(&body)).then_some(body)
        }
    })
    .await
}

fn kinds(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap().to_string())
        .collect()
}

fn deadline<'a>(v: &'a Value, kind: &str) -> Option<&'a Value> {
    v.as_array().unwrap().iter().find(|d| d["kind"] == kind)
}

#[tokio::test]
async fn acceptance_closes_the_acceptance_clock_and_opens_handling() {
    let p = Platform::start().await;
    let clerk = clerk_token();
    let reg = post(
        &p,
        p.intake.url("/api/v1/petitions"),
        &clerk,
        json!({ "channel": "visit", "summary": "拖欠工资三个月未发放", "category": "claim",
                "field": "labour_social_security", "township": "古韩镇", "petitioners": [{ "name": "张三" }] }),
    )
    .await;
    let id = reg["id"].as_str().unwrap().to_string();
    let decision = post(
        &p,
        p.intake.url(&format!("/api/v1/petitions/{id}/decisions")),
        &clerk,
        json!({ "kind": "accept", "reason": "属于本机关职责范围", "handling_unit": "140423-RSJ" }),
    )
    .await;
    assert_eq!(decision["kind"], "accept");

    let notices = until(
        &p,
        "acceptance notice",
        p.notification.url(&format!("/api/v1/cases/{id}/notices")),
        |b| kinds(b).contains(&"acceptance_notice".to_string()),
    )
    .await;
    let accept = notices
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "acceptance_notice")
        .unwrap();
    assert!(
        accept["body"].as_str().unwrap().contains("60日内"),
        "{accept}"
    );

    let deadlines = until(
        &p,
        "acceptance met and handling open",
        p.supervision.url(&format!("/api/v1/cases/{id}/deadlines")),
        |b| {
            deadline(b, "acceptance").is_some_and(|d| d["status"] == "met")
                && deadline(b, "handling").is_some()
        },
    )
    .await;
    let handling = deadline(&deadlines, "handling").unwrap();
    assert_eq!(handling["status"], "open");
    assert_eq!(handling["period"], 60);

    let timeline = until(
        &p,
        "timeline",
        p.supervision.url(&format!("/api/v1/cases/{id}/timeline")),
        |b| b.as_array().is_some_and(|a| a.len() >= 2),
    )
    .await;
    let types: Vec<&str> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        &types[..2],
        [
            "intake.petition.registered.v1",
            "intake.petition.accepted.v1"
        ]
    );
    p.stop().await;
}

#[tokio::test]
async fn an_assignment_reaches_the_unit_and_its_objection_returns_to_the_bureau() {
    let p = Platform::start().await;
    let clerk = clerk_token();
    let reg = post(
        &p,
        p.intake.url("/api/v1/petitions"),
        &clerk,
        json!({ "channel": "letter", "summary": "宅基地确权纠纷", "category": "claim",
                "field": "natural_resources", "petitioners": [{ "name": "李四", "address": "襄垣县古韩镇南关村" }] }),
    )
    .await;
    let id = reg["id"].as_str().unwrap().to_string();
    let due_on = (chrono::Utc::now() + chrono::Duration::days(40))
        .date_naive()
        .to_string();
    post(
        &p,
        p.intake.url(&format!("/api/v1/petitions/{id}/decisions")),
        &clerk,
        json!({ "kind": "assign", "to_unit": "140423-ZRZYJ", "due_on": due_on, "instructions": "请依法调查处理" }),
    )
    .await;

    // The unit is told, and so is the petitioner.
    let notices = until(
        &p,
        "assignment notices",
        p.notification.url(&format!("/api/v1/cases/{id}/notices")),
        |b| {
            let k = kinds(b);
            k.contains(&"assignment_to_unit".to_string())
                && k.contains(&"assignment_info".to_string())
        },
    )
    .await;
    assert!(notices
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["recipient_unit"] == "140423-ZRZYJ"));
    // Supervision runs the assignment deadline and the unit's objection window.
    until(
        &p,
        "assignment clocks",
        p.supervision.url(&format!("/api/v1/cases/{id}/deadlines")),
        |b| {
            deadline(b, "assignment").is_some_and(|d| d["due_date"] == due_on.as_str())
                && deadline(b, "objection_window").is_some_and(|d| d["status"] == "open")
        },
    )
    .await;

    // The receiving unit may now read the case (an explicit hand-off grant), and objects.
    let unit = token("h-zr", "140423-ZRZYJ", &[Role::Handler, Role::UnitHead]);
    let seen = p
        .client
        .get(p.intake.url(&format!("/api/v1/petitions/{id}")))
        .bearer_auth(&unit)
        .send()
        .await
        .unwrap();
    assert_eq!(seen.status().as_u16(), 200);
    post(
        &p,
        p.intake
            .url(&format!("/api/v1/petitions/{id}/assignment/objection")),
        &unit,
        json!({ "reasons": "该宅基地纠纷属乡镇人民政府处理职责，不属本单位职责范围" }),
    )
    .await;

    // The bureau gets the objection; the window closes.
    until(
        &p,
        "objection notice to the bureau",
        p.notification.url(&format!("/api/v1/cases/{id}/notices")),
        |b| {
            b.as_array()
                .unwrap()
                .iter()
                .any(|n| n["kind"] == "objection_received" && n["recipient_unit"] == BUREAU)
        },
    )
    .await;
    until(
        &p,
        "objection window closed",
        p.supervision.url(&format!("/api/v1/cases/{id}/deadlines")),
        |b| deadline(b, "objection_window").is_some_and(|d| d["status"] != "open"),
    )
    .await;
    p.stop().await;
}
