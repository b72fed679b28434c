//! Service tests of issue #12 (legal fidelity): acceptance hands the case to its handling unit,
//! notices cite the right ground, legal channels need a recorded override, objections are verified
//! by the transferring organ.

use serde_json::{json, Value};
use xinfang_platform::Role;
use xinfang_test_support::{clerk_token, token, BUREAU};

use crate::helpers::TestApp;

fn id_number(seq: u32) -> String {
    let first = format!("14042319860101{seq:03}");
    format!("{first}{}", intake::domain::petition::check_char(&first))
}

fn claim(seq: u32, field: &str) -> Value {
    json!({
        "channel": "visit", "summary": "工资被拖欠", "category": "claim",
        "field": field, "township": "城关镇", "respondent_unit": "140423-XYGS",
        "facts": "在某建筑公司务工，工程结束后工资一直未结清", "requests": "请求督促公司支付拖欠工资",
        "petitioners": [{ "name": "李四", "id_number": id_number(seq), "phone": "13800000011", "address": "城关镇东关村 3 号" }],
    })
}

async fn registered(app: &TestApp, body: Value) -> String {
    app.register(body).await["id"].as_str().unwrap().to_string()
}

fn actions(view: &Value) -> Vec<String> {
    view["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["action"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn accepting_with_a_handling_unit_hands_the_case_to_that_unit() {
    let app = TestApp::spawn().await;
    let clerk = clerk_token();
    let rsj = token("h-rsj", "140423-RSJ", &[Role::Handler]);
    let id = registered(&app, claim(1, "labour_social_security")).await;
    let (s, _) = app.get(&rsj, &format!("/api/v1/petitions/{id}")).await;
    assert_eq!(s, 404, "not yet the unit's case");
    let (s, d) = app
        .decide(&clerk, &id, json!({"kind": "accept", "reason": "属于本机关职责范围", "handling_unit": "140423-RSJ"}))
        .await;
    assert_eq!(s, 201, "{d}");
    let (s, v) = app.get(&rsj, &format!("/api/v1/petitions/{id}")).await;
    assert_eq!(s, 200, "the handling unit sees its case: {v}");
    assert_eq!(v["handling_unit"], "140423-RSJ");
    assert!(v["access_grants"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["unit"] == "140423-RSJ"));
    assert!(actions(&v).contains(&"petition.access_granted".to_string()));
    // and in its list
    let (s, page) = app.get(&rsj, "/api/v1/petitions?limit=10").await;
    assert_eq!(s, 200, "{page}");
    assert!(page.to_string().contains(&id), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn bars_and_declines_cite_the_right_ground() {
    let app = TestApp::spawn().await;
    let clerk = clerk_token();
    // an earlier case merely registered does not bar under art 19
    let first = registered(&app, claim(2, "labour_social_security")).await;
    let again = registered(&app, claim(2, "labour_social_security")).await;
    let (s, e) = app
        .decide(
            &clerk,
            &again,
            json!({"kind": "bar", "prior_petition_id": first}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["details"]["field"], "prior_petition_id");
    // once it is being handled within its period, it does: 不予受理 citing art 19
    let (s, d) = app
        .decide(
            &clerk,
            &first,
            json!({"kind": "accept", "reason": "属于本机关职责范围"}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    let (s, d) = app
        .decide(
            &clerk,
            &again,
            json!({"kind": "bar", "prior_petition_id": first}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["notice"], "不予受理告知书");
    assert!(d["reason"].as_str().unwrap().contains("第十九条"));
    // outside the organ's remit: art 23
    let other = registered(&app, claim(3, "labour_social_security")).await;
    let (s, d) = app
        .decide(&clerk, &other, json!({"kind": "decline", "reason": "不属于本机关职权范围", "guidance": "请向县市场监督管理局提出"}))
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["details"]["ground"], "outside_remit");
    assert_eq!(d["details"]["legal_basis"], "《信访工作条例》第二十三条");
    let event: Value = sqlx::query_scalar(
        "SELECT envelope->'payload' FROM outbox WHERE envelope->>'event_type' = 'petition.declined'",
    )
    .fetch_one(&app.service.pool)
    .await
    .unwrap();
    assert_eq!(event["ground"], "outside_remit");
    app.stop().await;
}

#[tokio::test]
async fn going_against_a_legal_channel_needs_a_recorded_override() {
    let app = TestApp::spawn().await;
    let clerk = clerk_token();
    // 涉法涉诉: the rules send it to 政法部门
    let id = registered(&app, claim(4, "law_litigation")).await;
    let (s, e) = app
        .decide(&clerk, &id, json!({"kind": "accept", "reason": "受理"}))
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["details"]["field"], "override_reason");
    assert!(e["message"].as_str().unwrap().contains("政法部门"));
    let (s, e) = app
        .decide(
            &clerk,
            &id,
            json!({"kind": "transfer", "to_unit": "140423-RSJ", "reason": "转"}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let (s, d) = app
        .decide(&clerk, &id, json!({"kind": "accept", "reason": "受理", "override_reason": "诉讼已终结，所提为生活困难求助"}))
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(
        d["details"]["legal_channel_override"]["suggested_channel"],
        "political_legal"
    );
    let (_, v) = app.get(&clerk, &format!("/api/v1/petitions/{id}")).await;
    assert!(actions(&v).contains(&"petition.legal_channel_override".to_string()));
    assert!(app
        .outbox_types()
        .await
        .contains(&"legal_channel.overridden".to_string()));
    // the channel codes of art 31(3) and (4)
    for (n, channel, word) in [
        (5, "administrative_reconsideration", "行政复议"),
        (6, "party_review", "申请复审"),
    ] {
        let p = registered(&app, claim(n, "labour_social_security")).await;
        let (s, d) = app
            .decide(
                &clerk,
                &p,
                json!({"kind": "decline", "reason": "应通过法定途径", "legal_channel": channel}),
            )
            .await;
        assert_eq!(s, 201, "{d}");
        assert!(
            d["details"]["guidance"].as_str().unwrap().contains(word),
            "{d}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn objections_are_verified_by_the_transferring_organ() {
    let app = TestApp::spawn().await;
    let clerk = clerk_token();
    let head = token("head-xfj", BUREAU, &[Role::UnitHead]);
    let zjj = token("h-zjj", "140423-ZJJ", &[Role::UnitHead]);
    let path = |id: &str, tail: &str| format!("/api/v1/petitions/{id}/assignment/{tail}");

    // rejected: the unit keeps the case
    let id = registered(&app, claim(7, "other")).await;
    let (s, d) = app
        .decide(
            &clerk,
            &id,
            json!({"kind": "transfer", "to_unit": "140423-ZJJ", "reason": "属住建局职责"}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    let (s, b) = app
        .post(
            &zjj,
            &path(&id, "objection"),
            json!({"reasons": "不属于本单位职责"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "objection_pending");
    // not returned yet: the bureau cannot re-route before verifying
    let (s, _) = app
        .decide(
            &clerk,
            &id,
            json!({"kind": "transfer", "to_unit": "140423-RSJ", "reason": "改转"}),
        )
        .await;
    assert_eq!(s, 409);
    // the objecting unit cannot verify its own objection
    let (s, _) = app
        .post(
            &zjj,
            &path(&id, "objection/ruling"),
            json!({"agreed": true, "reason": "同意"}),
        )
        .await;
    assert_eq!(s, 403);
    let (s, b) = app
        .post(
            &head,
            &path(&id, "objection/ruling"),
            json!({"agreed": false, "reason": "经核实属于住建局职责"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "in_handling");
    let (s, v) = app.get(&zjj, &format!("/api/v1/petitions/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(v["handling_unit"], "140423-ZJJ");
    let (s, _) = app
        .post(
            &head,
            &path(&id, "objection/ruling"),
            json!({"agreed": true, "reason": "再议"}),
        )
        .await;
    assert_eq!(s, 409, "nothing left to verify");

    // agreed: the material returns and the unit loses access
    let id = registered(&app, claim(8, "other")).await;
    let due = (xinfang_platform::time::today_in_china() + chrono::Days::new(30)).to_string();
    let (s, d) = app
        .decide(&clerk, &id, json!({"kind": "assign", "to_unit": "140423-ZJJ", "due_on": due, "instructions": "请办理"}))
        .await;
    assert_eq!(s, 201, "{d}");
    let (s, _) = app
        .post(
            &zjj,
            &path(&id, "objection"),
            json!({"reasons": "不属于本单位职责"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = app
        .post(
            &head,
            &path(&id, "objection/ruling"),
            json!({"agreed": true, "reason": "核实同意"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "returned");
    let (s, _) = app.get(&zjj, &format!("/api/v1/petitions/{id}")).await;
    assert_eq!(s, 404, "the objecting unit no longer sees the case");
    let (s, d) = app
        .decide(&clerk, &id, json!({"kind": "assign", "to_unit": "140423-RSJ", "due_on": due, "instructions": "请办理"}))
        .await;
    assert_eq!(s, 201, "{d}");
    let (_, v) = app.get(&clerk, &format!("/api/v1/petitions/{id}")).await;
    assert!(actions(&v).contains(&"petition.access_revoked".to_string()));
    assert!(actions(&v).contains(&"assignment.objection_ruled".to_string()));

    // acceptance: the written acceptance notice is requested
    let rsj = token("h-rsj", "140423-RSJ", &[Role::Handler]);
    let (s, b) = app.post(&rsj, &path(&id, "accept"), json!({})).await;
    assert_eq!(s, 200, "{b}");
    let request: Value = sqlx::query_scalar(
        "SELECT envelope->'payload' FROM outbox WHERE envelope->>'event_type' = 'notice.requested'",
    )
    .fetch_one(&app.service.pool)
    .await
    .unwrap();
    assert_eq!(request["template"], "assignment_acceptance_notice");
    assert_eq!(request["issuing_unit"], "140423-RSJ");
    assert_eq!(request["recipient"], "petitioner");
    assert_eq!(request["fields"]["handling_unit"], "140423-RSJ");
    assert!(request["fields"]["procedure"]
        .as_str()
        .unwrap()
        .contains("60日"));
    app.stop().await;
}

#[tokio::test]
async fn a_self_registered_transferred_in_case_has_an_objection_route() {
    let app = TestApp::spawn().await;
    let unit_clerk = token("clerk-zjj", "140423-ZJJ", &[Role::Clerk, Role::UnitHead]);
    let head = token("head-xfj", BUREAU, &[Role::UnitHead]);
    let mut body = claim(9, "other");
    body["channel"] = json!("transferred_in");
    body["upstream_reference"] = json!("长信转〔2026〕12号");
    body["upstream_organ"] = json!("长治市信访局");
    let (s, p) = app.post(&unit_clerk, "/api/v1/petitions", body).await;
    assert_eq!(s, 201, "{p}");
    let id = p["id"].as_str().unwrap();
    let (s, b) = app
        .post(
            &unit_clerk,
            &format!("/api/v1/petitions/{id}/assignment/objection"),
            json!({"reasons": "不属于本单位职责"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "objection_pending");
    let (s, _) = app
        .post(
            &unit_clerk,
            &format!("/api/v1/petitions/{id}/assignment/objection"),
            json!({"reasons": "再次"}),
        )
        .await;
    assert_eq!(s, 409, "one objection only");
    let (s, b) = app
        .post(
            &head,
            &format!("/api/v1/petitions/{id}/assignment/objection/ruling"),
            json!({"agreed": true, "reason": "上级核实同意"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    // a case registered as a direct visit has no such route
    let (s, q) = app
        .post(&unit_clerk, "/api/v1/petitions", claim(10, "other"))
        .await;
    assert_eq!(s, 201, "{q}");
    let (s, _) = app
        .post(
            &unit_clerk,
            &format!(
                "/api/v1/petitions/{}/assignment/objection",
                q["id"].as_str().unwrap()
            ),
            json!({"reasons": "不属于本单位职责"}),
        )
        .await;
    assert_eq!(s, 409);
    app.stop().await;
}

#[tokio::test]
async fn decisions_carry_the_date_of_the_act() {
    let app = TestApp::spawn().await;
    let clerk = clerk_token();
    let today = xinfang_platform::time::today_in_china();
    let ago = |n: u64| (today - chrono::Days::new(n)).to_string();
    let mut body = claim(11, "labour_social_security");
    body["received_on"] = json!(ago(10));
    let id = registered(&app, body).await;
    // never before the receipt, never in the future
    for (on, why) in [
        (ago(11), "before receipt"),
        ((today + chrono::Days::new(1)).to_string(), "future"),
    ] {
        let (s, e) = app
            .decide(
                &clerk,
                &id,
                json!({"kind": "accept", "reason": "受理", "decided_on": on}),
            )
            .await;
        assert_eq!(s, 422, "{why}: {e}");
        assert_eq!(e["details"]["field"], "decided_on", "{why}");
    }
    // an unknown field is refused, not dropped
    let (s, e) = app
        .decide(
            &clerk,
            &id,
            json!({"kind": "accept", "reason": "受理", "decided_at": ago(2)}),
        )
        .await;
    assert!(s == 400 || s == 422, "{s} {e}");
    // a decision made on paper five days ago, entered today
    let (s, d) = app
        .decide(&clerk, &id, json!({"kind": "transfer", "to_unit": "140423-RSJ", "reason": "属人社局职责", "decided_on": ago(5)}))
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["decided_on"], ago(5));
    let event: Value = sqlx::query_scalar(
        "SELECT envelope->'payload' FROM outbox WHERE envelope->>'event_type' = 'petition.transferred'",
    )
    .fetch_one(&app.service.pool)
    .await
    .unwrap();
    assert_eq!(event["decided_on"], ago(5), "windows count from the act");
    let (_, v) = app.get(&clerk, &format!("/api/v1/petitions/{id}")).await;
    let entry = v["history"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["action"] == "petition.transfer")
        .unwrap()
        .clone();
    assert_eq!(entry["details"]["entered_late"], true, "{entry}");
    assert_eq!(entry["details"]["entered_on"], today.to_string());
    assert_eq!(entry["actor"], "clerk-1");
    // the unit's objection cannot predate the transfer
    let rsj = token("h-rsj", "140423-RSJ", &[Role::UnitHead]);
    let (s, e) = app
        .post(
            &rsj,
            &format!("/api/v1/petitions/{id}/assignment/objection"),
            json!({"reasons": "不属于本单位职责", "objected_on": ago(6)}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["details"]["field"], "objected_on");
    app.stop().await;
}

#[tokio::test]
async fn identity_search_and_accusation_text_follow_the_roles_that_need_them() {
    let app = TestApp::spawn().await;
    let clerk = clerk_token();
    let mediator = token("m-1", BUREAU, &[Role::Mediator]);
    let supervisor = token("s-1", BUREAU, &[Role::Supervisor]);
    let mut acc = claim(12, "other");
    acc["category"] = json!("accusation");
    acc["facts"] = json!("某局干部收受贿赂的具体经过");
    let id = registered(&app, acc).await;

    // accusation text: the clerk reads it, a mediator at the bureau does not
    let (s, v) = app.get(&clerk, &format!("/api/v1/petitions/{id}")).await;
    assert_eq!(s, 200);
    assert!(v["facts"].as_str().unwrap().contains("收受贿赂"));
    let (s, v) = app.get(&mediator, &format!("/api/v1/petitions/{id}")).await;
    assert_eq!(s, 200, "{v}");
    assert!(!v.to_string().contains("收受贿赂"), "{v}");
    assert!(v["facts"].as_str().unwrap().contains("仅限"));
    let (_, page) = app.get(&mediator, "/api/v1/petitions?limit=10").await;
    let line = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id.as_str())
        .unwrap()
        .clone();
    assert!(line["summary"].as_str().unwrap().contains("仅限"), "{line}");

    // search by identity number: not for a mediator; a supervisor needs a reason; all audited
    let by_id = format!("/api/v1/petitions?id_number={}", id_number(12));
    let (s, _) = app.get(&mediator, &by_id).await;
    assert_eq!(s, 403);
    let (s, e) = app.get(&supervisor, &by_id).await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["details"]["field"], "reason");
    let (s, page) = app
        .get(&supervisor, &format!("{by_id}&reason=%E7%9D%A3%E6%9F%A5"))
        .await;
    assert_eq!(s, 200, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (s, _) = app.get(&clerk, &by_id).await;
    assert_eq!(s, 200);
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'petition.search_by_identity'",
    )
    .fetch_one(&app.service.pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_says_what_the_server_does() {
    let app = TestApp::spawn().await;
    let (s, doc) = app.get(&clerk_token(), "/api-docs/openapi.json").await;
    assert_eq!(s, 200);
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = &op["responses"];
            assert!(
                responses["400"].is_object(),
                "{method} {path}: 400 undocumented"
            );
            if op.get("requestBody").is_some() {
                assert!(
                    responses["415"].is_object(),
                    "{method} {path}: 415 undocumented"
                );
            }
        }
    }
    let details = &doc["components"]["schemas"]["ErrorBody"]["properties"]["details"];
    assert!(
        details.to_string().contains("null"),
        "details may be null: {details}"
    );
    let limit = doc["paths"]["/api/v1/petitions"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "limit")
        .unwrap()
        .clone();
    assert_eq!(limit["schema"]["minimum"], 1, "{limit}");
    assert_eq!(limit["schema"]["maximum"], 200, "{limit}");
    let count =
        &doc["components"]["schemas"]["RegisterPetitionRequest"]["properties"]["petitioner_count"];
    assert_eq!(count["maximum"], 2000, "{count}");
    // TRACE is served nowhere: 405 in the shared shape
    for path in ["/api/v1/petitions", "/nowhere"] {
        let res = app
            .client
            .request(reqwest::Method::TRACE, format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 405, "{path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_unit_records_its_acceptance_with_the_date_it_signed() {
    let app = TestApp::spawn().await;
    let clerk = clerk_token();
    let today = xinfang_platform::time::today_in_china();
    let ago = |n: u64| (today - chrono::Days::new(n)).to_string();
    let mut body = claim(13, "labour_social_security");
    body["received_on"] = json!(ago(6));
    let id = registered(&app, body).await;
    let (s, d) = app
        .decide(&clerk, &id, json!({"kind": "transfer", "to_unit": "140423-RSJ", "reason": "属人社局职责", "decided_on": ago(4)}))
        .await;
    assert_eq!(s, 201, "{d}");
    let rsj = token("h-rsj", "140423-RSJ", &[Role::Handler]);
    let path = format!("/api/v1/petitions/{id}/assignment/accept");
    let (s, e) = app.post(&rsj, &path, json!({"accepted_on": ago(5)})).await;
    assert_eq!(s, 422, "before the transfer: {e}");
    assert_eq!(e["details"]["field"], "accepted_on");
    let (s, e) = app.post(&rsj, &path, json!({"signed": ago(2)})).await;
    assert_eq!(s, 400, "unknown field refused: {e}");
    let (s, b) = app.post(&rsj, &path, json!({"accepted_on": ago(2)})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["accepted_on"], ago(2));
    let request: Value = sqlx::query_scalar(
        "SELECT envelope->'payload' FROM outbox WHERE envelope->>'event_type' = 'notice.requested'",
    )
    .fetch_one(&app.service.pool)
    .await
    .unwrap();
    assert_eq!(request["dated_on"], ago(2));
    app.stop().await;
}

#[tokio::test]
async fn a_case_accepted_with_a_handling_unit_can_be_handed_on() {
    let app = TestApp::spawn().await;
    let clerk = clerk_token();
    let rsj = token("h-rsj", "140423-RSJ", &[Role::Handler]);
    let zjj = token("h-zjj", "140423-ZJJ", &[Role::UnitHead]);
    let due = (xinfang_platform::time::today_in_china() + chrono::Days::new(30)).to_string();
    let id = registered(&app, claim(21, "labour_social_security")).await;
    let (s, d) = app
        .decide(&clerk, &id, json!({"kind": "accept", "reason": "属于本机关职责范围", "handling_unit": "140423-RSJ"}))
        .await;
    assert_eq!(s, 201, "{d}");
    // The acceptance stands: no second acceptance, decline or bar.
    let (s, e) = app
        .decide(
            &clerk,
            &id,
            json!({"kind": "decline", "reason": "改为不予受理", "guidance": "请向人民法院起诉"}),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    // Handing it to the unit that already handles it says so.
    let (s, e) = app
        .decide(&clerk, &id, json!({"kind": "assign", "to_unit": "140423-RSJ", "due_on": due, "instructions": "请办理"}))
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["details"]["field"], "to_unit");
    // Handed on to the unit that should handle it (交办): a lawful next step, not 409.
    let (s, d) = app
        .decide(&clerk, &id, json!({"kind": "assign", "to_unit": "140423-ZJJ", "due_on": due, "instructions": "改由住建局办理"}))
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["status"], "assigned");
    // The unit named at acceptance no longer sees it; the new one does, and signs for it.
    let (s, _) = app.get(&rsj, &format!("/api/v1/petitions/{id}")).await;
    assert_eq!(s, 404, "access revoked");
    let (s, v) = app.get(&zjj, &format!("/api/v1/petitions/{id}")).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["handling_unit"], "140423-ZJJ");
    let revoked = sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM audit_log WHERE action = 'petition.access_revoked' AND details->>'unit' = '140423-RSJ'",
    )
    .fetch_one(&app.service.pool)
    .await
    .unwrap_or_default();
    assert_eq!(revoked, 1, "the revocation is audited");
    let (s, b) = app
        .post(
            &zjj,
            &format!("/api/v1/petitions/{id}/assignment/accept"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "in_handling");
    // A case the organ accepted to handle itself has nothing to hand on.
    let own = registered(&app, claim(22, "labour_social_security")).await;
    let (s, d) = app
        .decide(
            &clerk,
            &own,
            json!({"kind": "accept", "reason": "属于本机关职责范围"}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    let (s, e) = app
        .decide(
            &clerk,
            &own,
            json!({"kind": "assign", "to_unit": "140423-ZJJ", "due_on": due, "instructions": "x"}),
        )
        .await;
    assert_eq!(s, 409, "{e}");
    app.stop().await;
}

#[tokio::test]
async fn an_objection_ruling_carries_the_date_it_was_made() {
    let app = TestApp::spawn().await;
    let clerk = clerk_token();
    let head = token("head-xfj", BUREAU, &[Role::UnitHead]);
    let zjj = token("h-zjj", "140423-ZJJ", &[Role::UnitHead]);
    let today = xinfang_platform::time::today_in_china();
    let ago = |n: u64| (today - chrono::Days::new(n)).to_string();
    let mut body = claim(23, "other");
    body["received_on"] = json!(ago(8));
    let id = registered(&app, body).await;
    let (s, d) = app
        .decide(&clerk, &id, json!({"kind": "transfer", "to_unit": "140423-ZJJ", "reason": "属住建局职责", "decided_on": ago(6)}))
        .await;
    assert_eq!(s, 201, "{d}");
    let path = format!("/api/v1/petitions/{id}/assignment/objection");
    let (s, b) = app
        .post(
            &zjj,
            &path,
            json!({"reasons": "不属于本单位职责", "objected_on": ago(4)}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let ruling = format!("{path}/ruling");
    // before the objection, in the future, or an unknown field: refused, naming the field
    for (body, field) in [
        (
            json!({"agreed": true, "reason": "同意", "ruled_on": ago(5)}),
            "ruled_on",
        ),
        (
            json!({"agreed": true, "reason": "同意", "ruled_on": (today + chrono::Days::new(1)).to_string()}),
            "ruled_on",
        ),
    ] {
        let (s, e) = app.post(&head, &ruling, body).await;
        assert_eq!(s, 422, "{e}");
        assert_eq!(e["details"]["field"], field);
    }
    let (s, e) = app
        .post(
            &head,
            &ruling,
            json!({"agreed": true, "reason": "同意", "decided": ago(3)}),
        )
        .await;
    assert_eq!(s, 400, "unknown field refused: {e}");
    let (s, b) = app
        .post(
            &head,
            &ruling,
            json!({"agreed": true, "reason": "经核实不属于住建局职责", "ruled_on": ago(3)}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["ruled_on"], ago(3));
    let event: Value = sqlx::query_scalar(
        "SELECT envelope->'payload' FROM outbox WHERE envelope->>'event_type' = 'assignment.objection_ruled'",
    )
    .fetch_one(&app.service.pool)
    .await
    .unwrap();
    assert_eq!(event["ruled_on"], ago(3));
    let audit: Value = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = 'assignment.objection_ruled'",
    )
    .fetch_one(&app.service.pool)
    .await
    .unwrap();
    assert_eq!(audit["ruled_on"], ago(3));
    assert_eq!(audit["entered_late"], true);
    assert_eq!(audit["entered_by"], "head-xfj");
    assert_eq!(audit["entered_on"], today.to_string());
    // the re-routing that follows cannot be dated before the ruling
    let (s, e) = app
        .decide(&clerk, &id, json!({"kind": "transfer", "to_unit": "140423-RSJ", "reason": "属人社局职责", "decided_on": ago(4)}))
        .await;
    assert_eq!(s, 422, "{e}");
    assert_eq!(e["details"]["field"], "decided_on");
    app.stop().await;
}
