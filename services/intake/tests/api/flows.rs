//! Service tests of issue #3: personal data, repeat detection, decisions, hand-offs, rights,
//! routing rules, the visit log and the list. Each test has its own databases and queue prefix.

use std::time::Duration;

use intake::events::IntakeEvents;
use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;
use xinfang_contracts::{events::CaseFinalizedV1, DomainEvent, Envelope};
use xinfang_messaging::{EventHandler, UnitOfWork};
use xinfang_platform::Role;
use xinfang_test_support::{clerk_token, token, BUREAU};

use crate::helpers::TestApp;

/// A valid identity number (GB 11643) built from a birth date and a sequence.
fn id_number(seq: u32) -> String {
    let first = format!("14042319850101{seq:03}");
    format!("{first}{}", intake::domain::petition::check_char(&first))
}

fn claim(summary: &str, id: &str, phone: &str) -> Value {
    json!({
        "channel": "visit", "summary": summary, "category": "claim",
        "field": "labour_social_security", "subfield": "wage_arrears",
        "township": "城关镇", "village": "东关村", "respondent_unit": "140423-XYGS",
        "facts": "在某建筑公司务工，工程结束后工资一直未结清", "requests": "请求督促公司支付拖欠工资",
        "petitioners": [{ "name": "张三", "id_number": id, "phone": phone, "address": "城关镇东关村 12 号" }],
    })
}

#[tokio::test]
async fn a_petition_with_several_petitioners_and_attachments_is_written_whole() {
    let app = TestApp::spawn().await;
    let idn = id_number(31);
    let mut body = claim("工资被拖欠三个月，多次讨要无果", &idn, "13812345678");
    body["petitioner_count"] = json!(2);
    body["petitioners"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "李四", "phone": "0355-5221234" }));
    body["attachments"] = json!([
        { "kind": "photo", "file_name": "欠条.jpg", "content_type": "image/jpeg",
          "size_bytes": 120000, "sha256": "AB".repeat(32) },
        { "kind": "document", "file_name": "劳动合同.pdf", "content_type": "application/pdf",
          "size_bytes": 2048, "sha256": "cd".repeat(32) },
    ]);
    let reg = app.register(body).await;
    let id: uuid::Uuid = reg["id"].as_str().unwrap().parse().unwrap();

    // (ordinal, name, ID mask, phone mask, ID indexed, address sealed)
    type Person = (i16, String, Option<String>, Option<String>, bool, bool);
    let people: Vec<Person> = sqlx::query_as(
        "SELECT ordinal, name, id_number_mask, phone_mask, id_number_bidx IS NOT NULL, address_enc IS NOT NULL
         FROM petitioners WHERE petition_id = $1 ORDER BY ordinal",
    )
    .bind(id)
    .fetch_all(&app.service.pool)
    .await
    .unwrap();
    assert_eq!(
        people,
        vec![
            (
                0,
                "张三".into(),
                Some(format!("140423********{}", &idn[14..])),
                Some("138****5678".into()),
                true,
                true
            ),
            (
                1,
                "李四".into(),
                None,
                Some("0355-***1234".into()),
                false,
                false
            ),
        ]
    );
    let files: Vec<(i16, String, String, i64, String)> = sqlx::query_as(
        "SELECT ordinal, kind, file_name, size_bytes, sha256 FROM attachments WHERE petition_id = $1 ORDER BY ordinal",
    )
    .bind(id)
    .fetch_all(&app.service.pool)
    .await
    .unwrap();
    assert_eq!(
        files,
        vec![
            (
                0,
                "photo".into(),
                "欠条.jpg".into(),
                120000,
                "ab".repeat(32)
            ),
            (
                1,
                "document".into(),
                "劳动合同.pdf".into(),
                2048,
                "cd".repeat(32)
            ),
        ]
    );
    let (signature_tokens, search_tokens): (i32, i32) = sqlx::query_as(
        "SELECT s.token_count, cardinality(s.tokens)
         FROM content_signatures s JOIN petitions p ON p.id = s.petition_id WHERE p.id = $1",
    )
    .bind(id)
    .fetch_one(&app.service.pool)
    .await
    .unwrap();
    assert!(search_tokens > 5);
    assert_eq!(signature_tokens, search_tokens);
    let (s, v) = app
        .get(&clerk_token(), &format!("/api/v1/petitions/{id}"))
        .await;
    assert_eq!(s, 200);
    assert_eq!(v["petitioners"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["petitioners"][1]["name"], "李四");
}

#[tokio::test]
async fn personal_data_is_sealed_masked_searchable_and_audited() {
    let app = TestApp::spawn().await;
    let idn = id_number(17);
    let reg = app
        .register(claim("工资被拖欠三个月", &idn, "13812345678"))
        .await;
    let id = reg["id"].as_str().unwrap();

    // Nothing readable at rest.
    let row: (Vec<u8>, Vec<u8>, Vec<u8>, String, String) = sqlx::query_as(
        "SELECT id_number_enc, phone_enc, address_enc, id_number_mask, phone_mask FROM petitioners",
    )
    .fetch_one(&app.service.pool)
    .await
    .unwrap();
    let all = [&row.0[..], &row.1[..], &row.2[..]].concat();
    assert!(!all
        .windows(8)
        .any(|w| w == &idn.as_bytes()[..8] || w == b"13812345"));
    assert_eq!(row.3, format!("140423********{}", &idn[14..]));
    assert_eq!(row.4, "138****5678");

    // A clerk sees masks; nothing is audited.
    let (s, v) = app
        .get(&clerk_token(), &format!("/api/v1/petitions/{id}"))
        .await;
    assert_eq!(s, 200);
    let p = &v["petitioners"][0];
    assert_eq!(p["masked"], true);
    assert_eq!(p["id_number"], row.3);
    assert_eq!(p["phone"], "138****5678");
    assert_eq!(p["address"], "******");

    // A pii_viewer sees them in full, and the view is audited.
    let viewer = token("pii-1", BUREAU, &[Role::Clerk, Role::PiiViewer]);
    let (_, v) = app.get(&viewer, &format!("/api/v1/petitions/{id}")).await;
    assert_eq!(v["petitioners"][0]["id_number"], idn.as_str());
    assert_eq!(v["petitioners"][0]["phone"], "13812345678");
    assert_eq!(v["petitioners"][0]["address"], "城关镇东关村 12 号");
    let audits: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'petition.view_pii' AND actor = 'pii-1'",
    )
    .fetch_one(&app.service.pool)
    .await
    .unwrap();
    assert_eq!(audits, 1);

    // Found through the blind index, by identity number or phone.
    for q in [format!("id_number={idn}"), "phone=138%201234%205678".into()] {
        let (s, page) = app
            .get(&clerk_token(), &format!("/api/v1/petitions?{q}"))
            .await;
        assert_eq!(s, 200, "{page}");
        assert_eq!(page["items"].as_array().unwrap().len(), 1, "{q}");
    }
    let (_, page) = app
        .get(
            &clerk_token(),
            &format!("/api/v1/petitions?id_number={}", id_number(18)),
        )
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0);

    // Validation errors name the field, in Chinese.
    let mut bad = claim("x", "140423198501010170", "12345");
    bad["petitioners"][0]["id_number"] =
        json!(format!("{}0", &idn[..17])
            .replace(&idn[17..], if &idn[17..] == "0" { "1" } else { "0" }));
    let (s, e) = app.post(&clerk_token(), "/api/v1/petitions", bad).await;
    assert_eq!(s, 422);
    let fields: Vec<&str> = e["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"petitioners[0].id_number"), "{e}");
    assert!(fields.contains(&"petitioners[0].phone"), "{e}");
    app.stop().await;
}

#[tokio::test]
async fn repeat_candidates_by_person_and_content_and_links() {
    let app = TestApp::spawn().await;
    let first = app
        .register(claim(
            "工资被拖欠三个月没有发放",
            &id_number(1),
            "13800000001",
        ))
        .await;
    assert!(first["repeat_candidates"].as_array().unwrap().is_empty());
    let a = first["id"].as_str().unwrap();

    // Same person, another matter.
    let mut other = claim("宅基地被邻居占用", &id_number(1), "13900000009");
    other["field"] = json!("natural_resources");
    other["subfield"] = json!("homestead");
    let same_person = app.register(other).await;
    let c = &same_person["repeat_candidates"][0];
    assert_eq!(c["petition_id"], a);
    assert!(c["reasons"]
        .as_array()
        .unwrap()
        .contains(&json!("same_id_number")));

    // Another person, same matter, same field and respondent.
    let similar = app
        .register(claim(
            "拖欠工资三个月没有发放",
            &id_number(2),
            "13800000002",
        ))
        .await;
    let c = &similar["repeat_candidates"][0];
    assert_eq!(c["petition_id"], a, "{similar}");
    assert!(c["reasons"]
        .as_array()
        .unwrap()
        .contains(&json!("similar_content")));
    assert!(c["score"].as_f64().unwrap() >= 0.3);

    // The clerk links it, or confirms another one as new.
    let sid = similar["id"].as_str().unwrap();
    let (s, _) = app
        .post(
            &clerk_token(),
            &format!("/api/v1/petitions/{sid}/repeat"),
            json!({"decision": "repeat", "earlier_petition_id": a}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, e) = app
        .post(
            &clerk_token(),
            &format!("/api/v1/petitions/{a}/repeat"),
            json!({"decision": "repeat", "earlier_petition_id": sid}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let pid = same_person["id"].as_str().unwrap();
    let (s, _) = app
        .post(
            &clerk_token(),
            &format!("/api/v1/petitions/{pid}/repeat"),
            json!({"decision": "new"}),
        )
        .await;
    assert_eq!(s, 200);
    let (_, v) = app
        .get(&clerk_token(), &format!("/api/v1/petitions/{sid}"))
        .await;
    assert_eq!(v["repeat_of"], a);
    assert!(app
        .outbox_types()
        .await
        .contains(&"petition.repeat_linked".to_string()));
    app.stop().await;
}

#[tokio::test]
async fn every_decision_path_requests_its_notice() {
    let app = TestApp::spawn().await;
    let clerk = clerk_token();
    let new_case = |n: u32| claim("工资被拖欠", &id_number(n), "13800000003");

    // accept, on the simple track
    let p = app.register(new_case(1)).await;
    let id = p["id"].as_str().unwrap().to_string();
    let (s, d) = app.decide(&clerk, &id, json!({"kind": "accept", "reason": "属于本机关职责范围", "handling_unit": "140423-RSJ", "simple_track": true})).await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["notice"], "受理告知书");
    assert_eq!(d["status"], "accepted");
    assert!(d["details"]["simple_opinion_by"].is_string());
    assert_eq!(d["suggestion"]["rule_version"], 1);
    // a second decision on the same case is refused
    let (s, e) = app
        .decide(&clerk, &id, json!({"kind": "accept", "reason": "再次"}))
        .await;
    assert_eq!(s, 409, "{e}");

    // bar under art 19: the earlier case is still being handled
    let again = app.register(new_case(1)).await;
    let again_id = again["id"].as_str().unwrap();
    let (s, d) = app
        .decide(
            &clerk,
            again_id,
            json!({"kind": "bar", "prior_petition_id": id}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["details"]["ground"], "earlier_case_in_progress");
    assert!(d["reason"].as_str().unwrap().contains("第十九条"));

    // bar under art 36 after administrative review finalized the earlier case
    let env = Envelope::new(
        &CaseFinalizedV1 {
            petition_id: id.parse().unwrap(),
            case_number: p["case_number"].as_str().unwrap().into(),
            concluded_on: chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap(),
            level: "re_review".into(),
            final_opinion: Some(xinfang_contracts::events::FinalOpinion {
                opinion_id: uuid::Uuid::nil(),
                outcome: "uphold".into(),
                level: "re_review".into(),
                issued_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 20),
                delivered_on: chrono::NaiveDate::from_ymd_opt(2025, 1, 22),
                issuing_unit: "140400-XFJ".into(),
            }),
        },
        None,
        None,
        None,
    );
    let mut conn = app.service.pool.acquire().await.unwrap();
    IntakeEvents
        .handle(
            &mut UnitOfWork::immediate(&mut conn),
            &env,
            DomainEvent::decode(&env).unwrap(),
        )
        .await
        .unwrap();
    drop(conn);
    let third = app.register(new_case(1)).await;
    let (s, d) = app
        .decide(
            &clerk,
            third["id"].as_str().unwrap(),
            json!({"kind": "bar", "prior_petition_id": id}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["details"]["ground"], "final_after_re_review");
    assert_eq!(d["notice"], "不再受理告知书");
    // the bar cites the final opinion the case concluded on (复核意见：维持)
    let reason = d["reason"].as_str().unwrap();
    assert!(
        reason.contains("复核意见") && reason.contains("维持"),
        "{reason}"
    );
    assert_eq!(
        d["details"]["final_opinion"]["opinion_id"],
        uuid::Uuid::nil().to_string()
    );

    // decline with the legal channel; the guidance comes from the rule or the channel
    let p = app.register(new_case(4)).await;
    let pid = p["id"].as_str().unwrap();
    let (s, e) = app
        .decide(
            &clerk,
            pid,
            json!({"kind": "decline", "reason": "属于劳动争议"}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(e["details"]["field"], "guidance");
    let (s, d) = app
        .decide(
            &clerk,
            pid,
            json!({"kind": "decline", "reason": "属于劳动争议", "legal_channel": "arbitration"}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["notice"], "不予受理告知书");
    assert!(d["details"]["guidance"].as_str().unwrap().contains("仲裁"));

    // transfer, then the receiving unit accepts
    let p = app.register(new_case(5)).await;
    let pid = p["id"].as_str().unwrap();
    let (s, d) = app
        .decide(
            &clerk,
            pid,
            json!({"kind": "transfer", "to_unit": "140423-RSJ", "reason": "属人社局职责"}),
        )
        .await;
    assert_eq!(s, 201, "{d}");
    assert_eq!(d["details"]["followed_suggestion"], true);
    let rsj = token("h1", "140423-RSJ", &[Role::Handler]);
    let other = token("h2", "140423-ZJJ", &[Role::Handler]);
    let (s, _) = app
        .post(
            &other,
            &format!("/api/v1/petitions/{pid}/assignment/accept"),
            json!({}),
        )
        .await;
    assert_eq!(s, 404);
    let (s, b) = app
        .post(
            &rsj,
            &format!("/api/v1/petitions/{pid}/assignment/accept"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "in_handling");

    // assign with a deadline; the unit objects; the bureau re-routes
    let p = app.register(new_case(6)).await;
    let pid = p["id"].as_str().unwrap();
    let due = (xinfang_platform::time::today_in_china() + chrono::Days::new(30)).to_string();
    let (s, d) = app.decide(&clerk, pid, json!({"kind": "assign", "to_unit": "140423-ZJJ", "due_on": due, "instructions": "请于期限内办结并报告"})).await;
    assert_eq!(s, 201, "{d}");
    assert!(d["details"]["object_by"].is_string());
    let zjj = token("h3", "140423-ZJJ", &[Role::UnitHead]);
    let (s, e) = app
        .post(
            &zjj,
            &format!("/api/v1/petitions/{pid}/assignment/objection"),
            json!({"reasons": " "}),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let (s, b) = app
        .post(
            &zjj,
            &format!("/api/v1/petitions/{pid}/assignment/objection"),
            json!({"reasons": "不属于本单位职责"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "objection_pending");
    let head = token("h4", BUREAU, &[Role::UnitHead]);
    let (s, b) = app
        .post(
            &head,
            &format!("/api/v1/petitions/{pid}/assignment/objection/ruling"),
            json!({"agreed": true, "reason": "核实同意"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["status"], "returned");
    let (s, d) = app.decide(&clerk, pid, json!({"kind": "assign", "to_unit": "140423-RSJ", "due_on": due, "instructions": "请办理"})).await;
    assert_eq!(s, 201, "{d}");
    let (_, v) = app.get(&clerk, &format!("/api/v1/petitions/{pid}")).await;
    assert_eq!(v["hand_offs"].as_array().unwrap().len(), 2);
    assert_eq!(v["hand_offs"][0]["status"], "objection_agreed");
    // the objecting unit's grant was revoked when its objection was agreed
    assert_eq!(v["access_grants"].as_array().unwrap().len(), 1);
    assert!(v["history"].as_array().unwrap().len() >= 4);

    // accusation material never goes to the accused unit
    let mut acc = claim("举报某局干部收受贿赂", &id_number(7), "13800000007");
    acc["category"] = json!("accusation");
    acc["field"] = json!("other");
    acc.as_object_mut().unwrap().remove("subfield");
    acc["respondent_unit"] = json!("140423-ZJJ");
    let p = app.register(acc).await;
    let pid = p["id"].as_str().unwrap();
    let (s, e) = app
        .decide(
            &clerk,
            pid,
            json!({"kind": "transfer", "to_unit": "140423-ZJJ", "reason": "x"}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(e["message"].as_str().unwrap().contains("不得"));
    let (s, e) = app
        .decide(
            &clerk,
            pid,
            json!({"kind": "assign", "to_unit": "140423-ZJJ", "due_on": due, "instructions": "x"}),
        )
        .await;
    assert_eq!(s, 422, "{e}");

    let types = app.outbox_types().await;
    for t in [
        "petition.accepted",
        "petition.barred",
        "petition.declined",
        "petition.transferred",
        "petition.assigned",
        "assignment.accepted",
        "assignment.objected",
    ] {
        assert!(types.contains(&t.to_string()), "{t} in {types:?}");
    }
    // a clerk of another unit, or without the right, may not decide
    let mediator = token("m", BUREAU, &[Role::Mediator]);
    let (s, _) = app
        .decide(&mediator, pid, json!({"kind": "accept", "reason": "x"}))
        .await;
    assert_eq!(s, 403);
    app.stop().await;
}

#[tokio::test]
async fn units_see_only_their_cases_and_lists_page_by_keyset() {
    let app = TestApp::spawn().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            app.register(claim(
                &format!("第{i}件 工资"),
                &id_number(20 + i),
                "13800000020",
            ))
            .await["id"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    let mut acc = claim("举报镇干部挪用补助", &id_number(30), "13800000030");
    acc["category"] = json!("accusation");
    acc["field"] = json!("other");
    acc.as_object_mut().unwrap().remove("subfield");
    acc["respondent_unit"] = json!("140423-CGZ");
    let acc_id = app.register(acc).await["id"].as_str().unwrap().to_string();

    let rsj = token("h1", "140423-RSJ", &[Role::Handler]);
    let (s, _) = app
        .get(&rsj, &format!("/api/v1/petitions/{}", ids[0]))
        .await;
    assert_eq!(s, 404);
    let (_, page) = app.get(&rsj, "/api/v1/petitions").await;
    assert!(page["items"].as_array().unwrap().is_empty());

    // After an assignment the unit sees that case, and only it.
    let due = (xinfang_platform::time::today_in_china() + chrono::Days::new(20)).to_string();
    let (s, _) = app.decide(&clerk_token(), &ids[0], json!({"kind": "assign", "to_unit": "140423-RSJ", "due_on": due, "instructions": "办理"})).await;
    assert_eq!(s, 201);
    let (s, _) = app
        .get(&rsj, &format!("/api/v1/petitions/{}", ids[0]))
        .await;
    assert_eq!(s, 200);
    let (_, page) = app.get(&rsj, "/api/v1/petitions").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);

    // The accused unit never sees the accusation, even with a county-wide role.
    let cgz_leader = token("l", "140423-CGZ", &[Role::Leader]);
    let (s, _) = app
        .get(&cgz_leader, &format!("/api/v1/petitions/{acc_id}"))
        .await;
    assert_eq!(s, 404);
    let (_, page) = app.get(&cgz_leader, "/api/v1/petitions?limit=200").await;
    assert!(page["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["id"] != acc_id.as_str()));
    assert_eq!(page["items"].as_array().unwrap().len(), 5);

    // Keyset pages: newest first, no overlap, no gap.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(a) => format!("/api/v1/petitions?limit=2&after={a}"),
            None => "/api/v1/petitions?limit=2".into(),
        };
        let (s, page) = app.get(&clerk_token(), &path).await;
        assert_eq!(s, 200, "{page}");
        for i in page["items"].as_array().unwrap() {
            seen.push(i["id"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => after = Some(c.to_string()),
            None => break,
        }
    }
    let mut expected: Vec<String> = ids.iter().cloned().chain([acc_id.clone()]).collect();
    expected.sort();
    expected.reverse();
    assert_eq!(seen, expected);

    // Filters: text, field, status, date range.
    let (_, page) = app
        .get(&clerk_token(), "/api/v1/petitions?q=%E6%8C%AA%E7%94%A8")
        .await; // 挪用
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, page) = app
        .get(
            &clerk_token(),
            "/api/v1/petitions?status=assigned&field=labour_social_security",
        )
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let (_, page) = app
        .get(&clerk_token(), "/api/v1/petitions?received_to=2000-01-01")
        .await;
    assert!(page["items"].as_array().unwrap().is_empty());
    app.stop().await;
}

#[tokio::test]
async fn routing_rules_are_versioned_data_for_administrators() {
    let app = TestApp::spawn().await;
    let rules = json!({"rules": [{"category": "claim", "field": "labour_social_security", "unit": "140423-LDJC"}], "note": "劳动监察大队承接欠薪"});
    let (s, _) = app
        .call(
            Method::PUT,
            &clerk_token(),
            "/api/v1/routing-rules",
            Some(rules.clone()),
        )
        .await;
    assert_eq!(s, 403);
    let admin = token("a", BUREAU, &[Role::Admin]);
    let (s, e) = app
        .call(
            Method::PUT,
            &admin,
            "/api/v1/routing-rules",
            Some(json!({"rules": [{"field": "weather"}]})),
        )
        .await;
    assert_eq!(s, 422, "{e}");
    let (s, v) = app
        .call(Method::PUT, &admin, "/api/v1/routing-rules", Some(rules))
        .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["version"], 2);
    let (_, v1) = app
        .get(&clerk_token(), "/api/v1/routing-rules/versions/1")
        .await;
    assert!(v1["rules"].as_array().unwrap().len() >= 5);

    let p = app
        .register(claim("拖欠工资", &id_number(1), "13800000001"))
        .await;
    let id = p["id"].as_str().unwrap();
    let (_, sug) = app
        .get(
            &clerk_token(),
            &format!("/api/v1/petitions/{id}/routing-suggestion"),
        )
        .await;
    assert_eq!(sug["unit"], "140423-LDJC");
    assert_eq!(sug["rule_version"], 2);
    let (_, d) = app
        .decide(
            &clerk_token(),
            id,
            json!({"kind": "transfer", "to_unit": "140423-RSJ", "reason": "人社局承办"}),
        )
        .await;
    assert_eq!(d["suggestion"]["rule_version"], 2);
    assert_eq!(d["details"]["followed_suggestion"], false);
    app.stop().await;
}

#[tokio::test]
async fn walk_in_visits_are_logged_and_resolved_by_registration() {
    let app = TestApp::spawn().await;
    let (s, v) = app
        .post(
            &clerk_token(),
            "/api/v1/visits",
            json!({"visitor_count": 3}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let visit = v["id"].as_str().unwrap().to_string();
    let (_, list) = app
        .get(&clerk_token(), "/api/v1/visits?unregistered=true")
        .await;
    assert_eq!(list.as_array().unwrap().len(), 1);

    let mut body = claim("工资", &id_number(1), "13800000001");
    body["visit_id"] = json!(visit);
    let reg = app.register(body.clone()).await;
    let (_, list) = app
        .get(&clerk_token(), "/api/v1/visits?unregistered=true")
        .await;
    assert!(list.as_array().unwrap().is_empty());
    let (s, _) = app
        .post(&clerk_token(), "/api/v1/petitions", body.clone())
        .await;
    assert_eq!(s, 409);
    // Refused with an Idempotency-Key, alone in its batch: the key is not left claimed, so the
    // same request sent again gets the same refusal, not "in progress".
    body["summary"] = json!("工资（另一件）");
    for _ in 0..2 {
        let r = app
            .register_as(&clerk_token(), body.clone(), Some("visit-taken"))
            .await;
        assert_eq!(r.status().as_u16(), 409);
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["code"], "visit_already_registered", "{e}");
    }
    let mut body = claim("工资", &id_number(1), "13800000001");
    body["visit_id"] = json!(Uuid::now_v7());
    let (s, e) = app.post(&clerk_token(), "/api/v1/petitions", body).await;
    assert_eq!(s, 422);
    assert_eq!(e["details"]["field"], "visit_id");
    let types = app.outbox_types().await;
    assert!(types.contains(&"visit.logged".to_string()));
    let payload: Value = sqlx::query_scalar("SELECT envelope->'payload' FROM outbox WHERE envelope->>'event_type' = 'petition.registered'")
        .fetch_one(&app.service.pool)
        .await
        .unwrap();
    assert_eq!(payload["visit_id"], visit.as_str());
    assert_eq!(payload["petition_id"], reg["id"]);
    assert!(!payload.to_string().contains("13800000001"));

    // Group visits: a count, at most five representatives.
    let mut group = claim("征地补偿款未发放", &id_number(2), "13800000002");
    group["petitioner_count"] = json!(40);
    group["field"] = json!("natural_resources");
    group["subfield"] = json!("land_acquisition");
    let reg = app.register(group).await;
    let _ = tokio::time::timeout(Duration::from_secs(1), async {}).await;
    let (_, v) = app
        .get(
            &clerk_token(),
            &format!("/api/v1/petitions/{}", reg["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(v["group_visit"], true);
    assert_eq!(v["petitioner_count"], 40);
    app.stop().await;
}

#[tokio::test]
async fn content_lookup_compares_the_newest_petitions_of_the_scope_up_to_its_cap() {
    use intake::domain::text::{scope_of, search_tokens};
    use intake::store::repeat::{find_candidates, Probe};
    let app = TestApp::spawn().await;
    let older = app
        .register(claim(
            "工资被拖欠三个月没有发放",
            &id_number(31),
            "13800000031",
        ))
        .await;
    let newer = app
        .register(claim(
            "拖欠工资三个月没有发放",
            &id_number(32),
            "13800000032",
        ))
        .await;
    // The same matter in another field: never compared by content.
    let mut elsewhere = claim("工资被拖欠三个月没有发放", &id_number(33), "13800000033");
    elsewhere["field"] = json!("other");
    elsewhere.as_object_mut().unwrap().remove("subfield");
    app.register(elsewhere).await;

    let text = "工资被拖欠三个月没有发放\n在某建筑公司务工，工程结束后工资一直未结清\n请求督促公司支付拖欠工资";
    let tokens = search_tokens(text);
    let scope = scope_of(Some("labour_social_security"), Some("140423-XYGS"));
    let pool = app.service.pool.clone();
    let lookup = |cap: i64| {
        let (tokens, scope, pool) = (tokens.clone(), scope.clone(), pool.clone());
        async move {
            let mut conn = pool.acquire().await.unwrap();
            find_candidates(
                &mut conn,
                &Probe {
                    id_number_bidx: &[],
                    phone_bidx: &[],
                    scope: &scope,
                    tokens: &tokens,
                    min_score: 0.3,
                    limit: 10,
                    max_scope_scan: cap,
                },
            )
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.petition_id.to_string())
            .collect::<Vec<_>>()
        }
    };
    let all = lookup(10_000).await;
    assert_eq!(all.len(), 2, "{all:?}");
    assert_eq!(
        all[0],
        older["id"].as_str().unwrap(),
        "the identical text ranks first"
    );
    assert!(all.contains(&newer["id"].as_str().unwrap().to_string()));
    // With a cap of one, only the newest petition of the scope is compared.
    assert_eq!(
        lookup(1).await,
        vec![newer["id"].as_str().unwrap().to_string()]
    );
}

#[tokio::test]
async fn registrations_arriving_together_are_numbered_together_and_one_refusal_spares_the_others() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let (s, v) = app
        .post(
            &clerk_token(),
            "/api/v1/visits",
            json!({"visitor_count": 1}),
        )
        .await;
    assert_eq!(s, 201, "{v}");
    let visit = v["id"].as_str().unwrap().to_string();

    // 36 ordinary registrations and 4 that all claim the same walk-in visit, at once.
    let mut tasks = Vec::new();
    for i in 0..40u32 {
        let app = app.clone();
        let mut body = claim(
            &format!("第{i}件 工资被拖欠"),
            &id_number(100 + i),
            "13800000001",
        );
        if i % 10 == 3 {
            body["visit_id"] = json!(visit);
        }
        tasks.push(tokio::spawn(async move {
            let (s, b) = app.post(&clerk_token(), "/api/v1/petitions", body).await;
            (i % 10 == 3, s, b)
        }));
    }
    let mut numbers = Vec::new();
    let mut visit_winners = Vec::new();
    let mut refused = 0;
    for t in tasks {
        let (with_visit, s, b) = t.await.unwrap();
        match (with_visit, s) {
            (_, 201) => {
                numbers.push(b["case_number"].as_str().unwrap().to_string());
                if with_visit {
                    visit_winners.push(b["id"].as_str().unwrap().to_string());
                }
            }
            (true, 409) => {
                assert_eq!(b["code"], "visit_already_registered", "{b}");
                refused += 1;
            }
            other => panic!("unexpected answer {other:?}: {b}"),
        }
    }
    assert_eq!(visit_winners.len(), 1);
    assert_eq!(refused, 3);
    // 37 numbers without gaps or duplicates.
    numbers.sort();
    let year = numbers[0].split('-').nth(1).unwrap().to_string();
    let expected: Vec<String> = (1..=37).map(|n| format!("140423-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);

    let pool = &app.service.pool;
    let (rows, transactions): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT xmin::text) FROM petitions")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(rows, 37, "the refused registrations left nothing");
    assert!(
        transactions < 37,
        "{transactions} transactions for 37 petitions: no batch formed"
    );
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM petitions p JOIN outbox o ON o.case_id = p.id
         WHERE o.envelope->>'event_type' = 'petition.registered'
           AND (o.envelope->'payload'->>'case_number' <> p.case_number OR p.case_number LIKE 'pending:%')",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(mismatched, 0, "every event carries its petition's number");
    let events: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox WHERE envelope->>'event_type' = 'petition.registered'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(events, 37);
    let linked: Option<Uuid> = sqlx::query_scalar("SELECT petition_id FROM visits WHERE id = $1")
        .bind(Uuid::parse_str(&visit).unwrap())
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(linked.unwrap().to_string(), visit_winners[0]);
    // One audit row per registration written (none for the refused ones), chains intact.
    let audit = xinfang_platform::audit::verify(pool).await.unwrap();
    assert_eq!(audit.first_break, None);
    let registered: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'petition.register'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(registered, 37);
}

/// Test only: a trigger that counts every attempt to insert a petition (sequences do not roll
/// back), holds the very first one for 300 ms so that the registrations behind it queue up and are
/// written in batches, and refuses `refused` (as an unforeseen database error would).
async fn count_and_refuse_petition_inserts(pool: &sqlx::PgPool, refused: &str) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
        "CREATE SEQUENCE test_attempts;
         CREATE FUNCTION test_refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF nextval('test_attempts') = 1 THEN PERFORM pg_sleep(0.3); END IF;
             IF NEW.summary = '{refused}' THEN RAISE EXCEPTION 'refused for the test'; END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER test_refuse_one BEFORE INSERT ON petitions
             FOR EACH ROW EXECUTE FUNCTION test_refuse_one();"
    )))
    .execute(pool)
    .await
    .unwrap();
}

/// Register 30 claims at once (claim 17 with `summary_17`): (index, status, body) of each.
async fn thirty_at_once(app: &std::sync::Arc<TestApp>, summary_17: &str) -> Vec<(u16, Value)> {
    let mut tasks = Vec::new();
    for i in 0..30u32 {
        let app = app.clone();
        let summary = if i == 17 {
            summary_17.to_string()
        } else {
            format!("第{i}件 工资被拖欠")
        };
        let body = claim(&summary, &id_number(300 + i), "13800000002");
        tasks.push(tokio::spawn(async move {
            app.post(&clerk_token(), "/api/v1/petitions", body).await
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

/// The petitions were written in fewer transactions than `petitions`: batches formed.
async fn assert_written_in_batches(pool: &sqlx::PgPool, petitions: i64) {
    let transactions: i64 = sqlx::query_scalar("SELECT count(DISTINCT xmin::text) FROM petitions")
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(
        transactions < petitions,
        "{transactions} transactions for {petitions} petitions: no batch formed"
    );
}

async fn insert_attempts(pool: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar("SELECT last_value FROM test_attempts")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn registrations_without_checks_are_written_as_groups() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let pool = app.service.pool.clone();
    count_and_refuse_petition_inserts(&pool, "（无）").await;
    let answers = thirty_at_once(&app, "第17件 工资被拖欠").await;
    assert!(answers.iter().all(|(s, _)| *s == 201), "{answers:?}");
    // Written in fewer transactions than petitions, each petition inserted once: the group
    // statements went through (a failed group would have been written again one by one).
    assert_written_in_batches(&pool, 30).await;
    assert_eq!(insert_attempts(&pool).await, 30);
    let counts: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM petitioners), (SELECT count(*) FROM content_signatures),
                (SELECT count(*) FROM outbox WHERE envelope->>'event_type' = 'petition.registered'),
                (SELECT count(*) FROM audit_log WHERE action = 'petition.register')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(counts, (30, 30, 30, 30));
    // Every event carries its petition's number and id, in the order they were written.
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM petitions p JOIN outbox o ON o.case_id = p.id
         WHERE o.envelope->'payload'->>'case_number' <> p.case_number
            OR o.envelope->'payload'->>'petition_id' <> p.id::text",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(mismatched, 0);
    let audit = xinfang_platform::audit::verify(&pool).await.unwrap();
    assert_eq!(audit.first_break, None);
}

#[tokio::test]
async fn a_registration_the_database_refuses_does_not_take_its_batch_with_it() {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let pool = app.service.pool.clone();
    count_and_refuse_petition_inserts(&pool, "数据库拒绝的一件").await;
    let answers = thirty_at_once(&app, "数据库拒绝的一件").await;
    let mut numbers = Vec::new();
    let mut failed = Vec::new();
    for (i, (s, b)) in answers.into_iter().enumerate() {
        if s == 201 {
            numbers.push(b["case_number"].as_str().unwrap().to_string());
        } else {
            failed.push((i, s, b["code"].clone()));
        }
    }
    // Only the refused one failed; the others are numbered without gaps.
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert_eq!(failed[0].0, 17);
    assert!(failed[0].1 >= 500, "{failed:?}");
    numbers.sort();
    let year = numbers[0].split('-').nth(1).unwrap().to_string();
    let expected: Vec<String> = (1..=29).map(|n| format!("140423-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
    // It left nothing; every other petition is whole, with its event and its audit row, and they
    // were written in batches.
    let counts: (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM petitions), (SELECT count(*) FROM petitioners),
                (SELECT count(*) FROM content_signatures),
                (SELECT count(*) FROM outbox WHERE envelope->>'event_type' = 'petition.registered'),
                (SELECT count(*) FROM audit_log WHERE action = 'petition.register')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(counts, (29, 29, 29, 29, 29));
    assert_written_in_batches(&pool, 29).await;
    // The group holding the refused one was undone and written again one by one.
    assert!(insert_attempts(&pool).await > 30);
    let audit = xinfang_platform::audit::verify(&pool).await.unwrap();
    assert_eq!(audit.first_break, None);
}

#[tokio::test]
async fn keyed_and_plain_registrations_arriving_together_are_numbered_once_and_replay_their_answers(
) {
    let app = std::sync::Arc::new(TestApp::spawn().await);
    let pool = app.service.pool.clone();
    // Hold the first insert so that the others queue up and are written in batches that mix
    // registrations with an Idempotency-Key (checked one by one) and without (no check).
    count_and_refuse_petition_inserts(&pool, "（无）").await;
    let send = |i: u32| {
        let app = app.clone();
        async move {
            let body = claim(
                &format!("第{i}件 工资被拖欠"),
                &id_number(500 + i),
                "13800000003",
            );
            let key = i.is_multiple_of(2).then(|| format!("key-{i}"));
            let r = app.register_as(&clerk_token(), body, key.as_deref()).await;
            let status = r.status().as_u16();
            (i, status, r.json::<Value>().await.unwrap())
        }
    };
    let tasks: Vec<_> = (0..30u32).map(|i| tokio::spawn(send(i))).collect();
    let mut first: Vec<(u32, u16, Value)> = Vec::new();
    for t in tasks {
        first.push(t.await.unwrap());
    }
    assert!(first.iter().all(|(_, s, _)| *s == 201), "{first:?}");
    let mut numbers: Vec<String> = first
        .iter()
        .map(|(_, _, b)| b["case_number"].as_str().unwrap().to_string())
        .collect();
    numbers.sort();
    let year = numbers[0].split('-').nth(1).unwrap().to_string();
    let expected: Vec<String> = (1..=30).map(|n| format!("140423-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected, "30 numbers without gaps or duplicates");
    // Sent again, the keyed ones answer what they answered first; nothing new is written.
    for (i, _, answer) in first.iter().filter(|(i, _, _)| i.is_multiple_of(2)) {
        let (_, status, again) = send(*i).await;
        assert_eq!(status, 201);
        assert_eq!(&again, answer, "registration {i} replayed");
    }
    let counts: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM petitions),
                (SELECT count(*) FROM petitions WHERE case_number LIKE 'pending:%'),
                (SELECT count(*) FROM outbox WHERE envelope->>'event_type' = 'petition.registered'),
                (SELECT count(*) FROM idempotency_keys WHERE status_code = 201)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(counts, (30, 0, 30, 15));
    assert_written_in_batches(&pool, 30).await;
    // Each petition was inserted once, already numbered (no placeholder rewritten).
    assert_eq!(insert_attempts(&pool).await, 30);
    let audit = xinfang_platform::audit::verify(&pool).await.unwrap();
    assert_eq!(audit.first_break, None);
}
