//! 三项建议书 (art 40) end to end: the bureau makes a recommendation about a case through
//! supervision's API; notification writes the 三项建议书 to the unit it is made to, under the title
//! of its kind, with the findings (the bureau's own, or the finding article 40 names for the kind),
//! the recommendation and the date by which the unit answers in writing. A recommendation about no
//! case is filed under its own reference (`建议-…`) and reaches the unit the same way.

// A panic in a test helper is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::{json, Value};
use xinfang_e2e::{petition, Platform};
use xinfang_platform::Role;
use xinfang_test_support::{token, wait_for, BUREAU};

const UNIT: &str = "140423-RSJ";

#[tokio::test]
async fn a_recommendation_about_a_case_reaches_its_unit_as_a_letter() {
    let p = Platform::start().await;
    let supervisor = token("sup-1", BUREAU, &[Role::Supervisor]);
    let unit_head = token("head-rsj", UNIT, &[Role::UnitHead]);
    let reg = p.register(&petition("反映欠薪保障金迟迟不发放")).await;
    let case_id = reg["id"].as_str().unwrap().to_string();

    // Supervision knows the case once its registration arrives; then the recommendations.
    let url = p.supervision.url("/api/v1/recommendations");
    let client = p.client.clone();
    let issued: Value = wait_for(
        "supervision to accept a recommendation about the case",
        Duration::from_secs(20),
        || {
            let (client, url, supervisor, case_id) = (
                client.clone(),
                url.clone(),
                supervisor.clone(),
                case_id.clone(),
            );
            async move {
                let res = client
                    .post(url)
                    .bearer_auth(supervisor)
                    .json(&json!({
                        "kind": "improve_policy", "unit": UNIT, "case_id": case_id,
                        "findings": "欠薪保障金的申领条件不明确，群众反复来访。",
                        "content": "建议明确欠薪保障金的申领条件和办理时限",
                    }))
                    .send()
                    .await
                    .ok()?;
                (res.status().as_u16() == 201).then_some(())?;
                res.json().await.ok()
            }
        },
    )
    .await;
    let due = issued["feedback_due"].as_str().unwrap().to_string();
    let res = p
        .client
        .post(p.supervision.url("/api/v1/recommendations"))
        .bearer_auth(&supervisor)
        .json(
            &json!({ "kind": "pursue_accountability", "unit": UNIT, "case_id": case_id,
                       "content": "建议对相关责任人员依规依纪追究责任" }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    let res = p
        .client
        .post(p.supervision.url("/api/v1/recommendations"))
        .bearer_auth(&supervisor)
        .json(&json!({ "kind": "improve_work", "unit": UNIT, "content": "x", "findings": "长".repeat(2001) }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["details"]["field"], "findings", "{body}");
    // One about no case (the unit's way of working): a letter filed under its own reference.
    let res = p
        .client
        .post(p.supervision.url("/api/v1/recommendations"))
        .bearer_auth(&supervisor)
        .json(&json!({ "kind": "improve_work", "unit": UNIT,
                       "findings": "信访事项登记后未在规定期限内告知信访人",
                       "content": "建议建立受理告知台账，逐件核对告知时间" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);

    // The unit's inbox holds the three letters.
    let inbox = p.notification.url("/api/v1/notices/inbox");
    let client = p.client.clone();
    let letters: Vec<Value> = wait_for(
        "the three 三项建议书 in the unit's inbox",
        Duration::from_secs(20),
        || {
            let (client, inbox, unit_head) = (client.clone(), inbox.clone(), unit_head.clone());
            async move {
                let b: Value = client
                    .get(inbox)
                    .bearer_auth(unit_head)
                    .send()
                    .await
                    .ok()?
                    .json()
                    .await
                    .ok()?;
                let letters: Vec<Value> = b
                    .as_array()?
                    .iter()
                    .filter(|n| n["kind"] == "recommendation")
                    .cloned()
                    .collect();
                (letters.len() == 3).then_some(letters)
            }
        },
    )
    .await;
    let policy = letters
        .iter()
        .find(|n| n["title"] == "完善政策建议书")
        .unwrap_or_else(|| panic!("{letters:?}"));
    let body = policy["body"].as_str().unwrap();
    let (y, m, d) = {
        let mut it = due.split('-').map(|x| x.parse::<u32>().unwrap());
        (it.next().unwrap(), it.next().unwrap(), it.next().unwrap())
    };
    assert!(
        body.contains("欠薪保障金的申领条件不明确")
            && body.contains("第四十条")
            && body.contains("建议明确欠薪保障金的申领条件和办理时限")
            && body.contains(&format!("{y}年{m}月{d}日")),
        "{body}"
    );
    let accountability = letters
        .iter()
        .find(|n| n["title"] == "追究责任建议书")
        .unwrap_or_else(|| panic!("{letters:?}"));
    assert!(
        accountability["body"]
            .as_str()
            .unwrap()
            .contains("失职失责"),
        "the finding article 40 names for the kind: {accountability}"
    );
    let work = letters
        .iter()
        .find(|n| n["title"] == "改进工作建议书")
        .unwrap_or_else(|| panic!("{letters:?}"));
    assert!(
        work["case_number"].as_str().unwrap().starts_with("建议-"),
        "{work}"
    );
    assert!(
        work["body"].as_str().unwrap().contains("受理告知台账"),
        "{work}"
    );
    // Its document prints under the bureau's name, numbered as a recommendation.
    let pdf = p
        .client
        .get(p.notification.url(&format!(
            "/api/v1/documents/{}.pdf",
            work["id"].as_str().unwrap()
        )))
        .bearer_auth(&unit_head)
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status().as_u16(), 200);
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    p.stop().await;
}
