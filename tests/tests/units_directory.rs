//! The units directory across running services (issue 13): the console publishes a change and
//! every service's copy holds it within seconds; each service refuses a unit code its copy does
//! not know (or knows as retired) with a 422 naming the field, and shows organs by name.

// A panic in a test helper is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use xinfang_e2e::{console, Hooks, Platform};
use xinfang_platform::Role;
use xinfang_test_support::{token, wait_for, BUREAU};

const NEW_UNIT: &str = "140423-XZSPJ";

fn petition(respondent: &str) -> Value {
    json!({
        "channel": "letter",
        "received_on": xinfang_platform::time::today_in_china(),
        "summary": "反映行政审批事项办理拖延",
        "respondent_unit": respondent,
        "petitioners": [{ "name": "张三", "address": "襄垣县古韩镇东关村" }],
    })
}

fn order(unit: &str) -> Value {
    json!({ "kind": "reminder", "unit": unit, "pattern": "多件事项逾期未办结", "summary": "请于期限内书面答复" })
}

async fn post(p: &Platform, url: String, token: &str, body: &Value) -> (u16, Value) {
    let res = p
        .client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_unit_created_at_the_console_reaches_every_service_and_unknown_units_are_refused() {
    let p = Platform::start_with(Hooks::default()).await;
    let console = console::start_console(&p.env, 300).await;
    let admin = console::admin_token(&console).await;
    let clerk = token("clerk-1", BUREAU, &[Role::Clerk]);
    let supervisor = token("sup-1", BUREAU, &[Role::Supervisor]);

    // Before the unit exists: intake and supervision refuse it, naming the field; every service's
    // copy says it does not know it.
    let (s, b) = post(
        &p,
        p.intake.url("/api/v1/petitions"),
        &clerk,
        &petition(NEW_UNIT),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["details"]["field"], "respondent_unit");
    assert_eq!(b["details"]["reason"], "unknown_unit");
    assert!(b["message"].as_str().unwrap().contains(NEW_UNIT), "{b}");
    let (s, b) = post(
        &p,
        p.supervision.url("/api/v1/orders"),
        &supervisor,
        &order(NEW_UNIT),
    )
    .await;
    assert_eq!(s, 422, "{b}");
    assert_eq!(b["details"]["field"], "unit");
    for service in p.services() {
        let (s, _) = p
            .get(service.url(&format!("/api/v1/directory/units/{NEW_UNIT}")))
            .await;
        assert_eq!(s, 404, "{} knows the unit too early", service.name);
        // The seeded directory is there (the console announced it at its start as well).
        let (s, b) = p
            .get(service.url("/api/v1/directory/units/140423-XFJ"))
            .await;
        assert_eq!(
            (s, b["name"].as_str()),
            (200, Some("襄垣县信访局")),
            "{}",
            service.name
        );
    }

    // The administrator creates the unit at the console.
    let created = Instant::now();
    let (s, b) = post(
        &p,
        console.url("/api/v1/units"),
        &admin,
        &json!({
            "code": NEW_UNIT, "name": "襄垣县行政审批服务管理局", "short_name": "县行政审批局",
            "kind": "department", "level": "county", "parent_code": "140423-ZF",
        }),
    )
    .await;
    assert_eq!(s, 201, "{b}");

    // Every service's copy holds it within seconds.
    for service in p.services() {
        let url = service.url(&format!("/api/v1/directory/units/{NEW_UNIT}"));
        let name = wait_for(
            &format!("{} to learn the new unit", service.name),
            Duration::from_secs(15),
            || {
                let url = url.clone();
                let p = &p;
                async move {
                    let (s, b) = p.get(url).await;
                    (s == 200).then(|| b["name"].as_str().unwrap_or("").to_string())
                }
            },
        )
        .await;
        assert_eq!(name, "襄垣县行政审批服务管理局");
    }
    println!(
        "the new unit reached all five services in {:?}",
        created.elapsed()
    );

    // Now the services accept it, and people read the organ's name.
    let (s, b) = post(
        &p,
        p.intake.url("/api/v1/petitions"),
        &clerk,
        &petition(NEW_UNIT),
    )
    .await;
    assert_eq!(s, 201, "{b}");
    let (s, view) = p
        .get(
            p.intake
                .url(&format!("/api/v1/petitions/{}", b["id"].as_str().unwrap())),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(view["respondent_unit_name"], "襄垣县行政审批服务管理局");
    assert_eq!(view["registering_unit_name"], "襄垣县信访局");
    let (s, b) = post(
        &p,
        p.supervision.url("/api/v1/orders"),
        &supervisor,
        &order(NEW_UNIT),
    )
    .await;
    assert_eq!(s, 201, "{b}");

    // Retired at the console: refused again, as retired.
    let (s, b) = post(
        &p,
        console.url(&format!("/api/v1/units/{NEW_UNIT}/retire")),
        &admin,
        &json!({ "reason": "机构改革撤并" }),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let url = p.intake.url("/api/v1/petitions");
    let refused = wait_for(
        "intake to refuse the retired unit",
        Duration::from_secs(15),
        || {
            let url = url.clone();
            let p = &p;
            let clerk = clerk.clone();
            async move {
                let (s, b) = post(p, url, &clerk, &petition(NEW_UNIT)).await;
                (s == 422).then_some(b)
            }
        },
    )
    .await;
    assert_eq!(refused["details"]["reason"], "retired_unit");
    assert_eq!(refused["details"]["field"], "respondent_unit");

    // An administrator can announce the whole directory again (a restored service catches up).
    let (s, b) = post(
        &p,
        console.url("/api/v1/units/republish"),
        &admin,
        &json!({}),
    )
    .await;
    assert_eq!(s, 200, "{b}");
    assert!(b["units"].as_u64().unwrap() >= 41, "{b}");
    let (s, _) = post(
        &p,
        console.url("/api/v1/units/republish"),
        &clerk,
        &json!({}),
    )
    .await;
    assert!(s == 401 || s == 403, "a clerk may not republish: {s}");

    console.stop().await;
    for s in [
        p.intake,
        p.mediation,
        p.review,
        p.supervision,
        p.notification,
    ] {
        s.stop().await;
    }
}
