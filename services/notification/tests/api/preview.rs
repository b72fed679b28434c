//! The preview of a notice (告知书预览): the template in force filled with the fields given, unit
//! codes read as organ names; unknown and missing fields answered 422 naming each; reading
//! templates' right required.

use serde_json::{json, Value};
use xinfang_platform::Role;
use xinfang_test_support::{clerk_token, spawn_app, token, TestEnv, BUREAU};

use crate::helpers::build;

#[tokio::test]
async fn a_notice_previews_with_its_fields_and_unknown_or_missing_ones_are_named() {
    let env = TestEnv::new();
    let app = spawn_app(build(&env)).await;
    let client = reqwest::Client::new();
    let url = app.url("/api/v1/templates/assignment_to_unit/preview");
    let post = |body: Value, bearer: Option<String>| {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let mut req = client.post(url).json(&body);
            if let Some(t) = bearer {
                req = req.bearer_auth(t);
            }
            let r = req.send().await.unwrap();
            (
                r.status().as_u16(),
                r.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };

    // The 交办单 as it would read: the due date in Chinese, the organ's name, nothing stored.
    let (s, v) = post(
        json!({ "due_on": "2026-12-20", "instructions": "请核实后依法处理", "case_number": "140423-2026-000007" }),
        Some(clerk_token()),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["code"], "assignment_to_unit");
    assert_eq!(v["version"], 1);
    assert_eq!(v["title"], "信访事项交办单");
    let body = v["body"].as_str().unwrap();
    assert!(body.contains("2026年12月20日前办结"), "{body}");
    assert!(body.contains("140423-2026-000007号"), "{body}");
    assert!(
        body.contains("向襄垣县信访局报送"),
        "the caller's organ: {body}"
    );
    assert!(body.contains("请核实后依法处理"), "{body}");

    // A unit code in a unit field reads as the organ's name.
    let (s, v) = post(
        json!({ "decided_on": "2026-12-01", "to_unit": "140423-RSJ" }),
        Some(clerk_token()),
    )
    .await;
    assert_eq!(s, 422, "to_unit is not a field of the 交办单: {v}");
    let (s, v) = client
        .post(app.url("/api/v1/templates/assignment_info/preview"))
        .bearer_auth(clerk_token())
        .json(&json!({ "decided_on": "2026-12-01", "to_unit": "140423-RSJ" }))
        .send()
        .await
        .map(|r| (r.status().as_u16(), r))
        .unwrap();
    assert_eq!(s, 200);
    let v: Value = v.json().await.unwrap();
    assert!(
        v["body"]
            .as_str()
            .unwrap()
            .contains("2026年12月1日交由襄垣县人力资源和社会保障局办理"),
        "{v}"
    );

    // Missing and unknown fields: 422 naming each.
    let (s, e) = post(
        json!({ "instructions": "x", "shoe_size": "42" }),
        Some(clerk_token()),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    let named: Vec<&str> = e["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert!(
        named.contains(&"due_on") && named.contains(&"shoe_size"),
        "{e}"
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("缺少必填字段 due_on"),
        "{e}"
    );
    let (s, e) = post(json!({ "due_on": 20261220 }), Some(clerk_token())).await;
    assert_eq!(
        (s, e["details"]["field"].as_str()),
        (422, Some("due_on")),
        "{e}"
    );

    // An unknown template: 404. No token: 401. A role that does not read cases: 403.
    let r = client
        .post(app.url("/api/v1/templates/no_such_notice/preview"))
        .bearer_auth(clerk_token())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let (s, _) = post(json!({ "due_on": "2026-12-20" }), None).await;
    assert_eq!(s, 401);
    let archivist = token("arch-1", BUREAU, &[Role::Archivist]);
    let (s, _) = post(json!({ "due_on": "2026-12-20" }), Some(archivist)).await;
    assert_eq!(s, 403);
    app.stop().await;
}
