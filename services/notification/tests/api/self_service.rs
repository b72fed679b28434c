//! The petitioner's self-service against the real intake: a petition registered at intake reaches
//! notification over the bus; its receipt goes by SMS to the phone intake gives notification at send
//! time (service token, audited); the petitioner looks the case up with the number and the query
//! code, downloads the receipt, is refused a rating until the case has ended, rates once; a wrong
//! code answers like a missing case; attempts are limited.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use uuid::Uuid;
use xinfang_contracts::{
    notices::{NoticeRecipient, NoticeRequest, ReviewNoticeRequestedV1},
    Envelope, Producer,
};
use xinfang_test_support::{
    clerk_token, publish, publisher, service_token, spawn_app, wait_for, TestEnv,
};

use notification::startup::{self, Options};

use crate::helpers::{channel_settings, names, outbox};
use crate::servers::{start_gateway, Gateway};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_petitioner_follows_the_case_with_the_query_code_and_rates_it_once() {
    let env = TestEnv::new();
    let intake = spawn_app(intake::startup::build(intake::configuration::Settings {
        platform: env.settings("intake"),
        intake: intake::configuration::IntakeSettings {
            division_code: "140423".into(),
        },
    }))
    .await;
    intake.wait_connected().await;
    let gw = Gateway::default();
    let url = start_gateway(gw.clone());
    let mut settings = channel_settings(&env, Some(&url), None, 3);
    settings.notification.contacts.intake_url = intake.address.clone();
    settings.notification.contacts.token =
        Some(service_token("notification", &["intake.contact.read"]).into());
    settings.notification.self_service.attempts_per_minute = 40;
    let app = spawn_app(startup::build_with(
        settings,
        Options {
            names: Some(Arc::new(names())),
            ..Options::default()
        },
    ))
    .await;
    app.wait_connected().await;
    let client = reqwest::Client::new();

    // Registered at intake's window, with a phone.
    let reg: Value = client
        .post(format!("{}/api/v1/petitions", intake.address))
        .bearer_auth(clerk_token())
        .json(&json!({
            "channel": "visit", "summary": "工资被拖欠三个月，多次讨要无果", "category": "claim",
            "field": "labour_social_security",
            "facts": "在某建筑公司务工，工程结束后工资一直未结清", "requests": "请求督促公司支付拖欠工资",
            "petitioners": [{ "name": "张三", "phone": "13812345678" }],
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let case_number = reg["case_number"].as_str().unwrap().to_string();
    let query_code = reg["query_code"].as_str().unwrap().to_string();
    let case_id: Uuid = reg["id"].as_str().unwrap().parse().unwrap();

    // The receipt goes by SMS to the phone intake holds (asked at send time, never on the bus).
    let sent = wait_for("the receipt's SMS", WAIT, || {
        let gw = gw.clone();
        async move { gw.accepted().into_iter().next() }
    })
    .await;
    assert_eq!(sent["to"], "13812345678");
    assert!(sent["text"].as_str().unwrap().contains(&case_number));
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'petition.contact.read' AND case_id = $1 AND actor = 'service:notification'",
    )
    .bind(case_id)
    .fetch_one(&intake.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1, "intake audits the read");

    let lookup = |number: String, code: String| {
        let (client, base) = (client.clone(), app.address.clone());
        async move {
            let r = client
                .post(format!("{base}/api/v1/self-service/lookup"))
                .json(&json!({ "case_number": number, "query_code": code }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, progress) = lookup(case_number.clone(), query_code.to_lowercase()).await;
    assert_eq!(status, 200, "{progress}");
    assert_eq!(progress["case_number"], case_number.as_str());
    assert_eq!(progress["status"], "已登记，正在审查是否受理");
    assert_eq!(progress["registering_organ"], "襄垣县信访局");
    assert_eq!(progress["closed"], false);
    assert_eq!(progress["can_rate"], false);
    assert_eq!(progress["documents"][0]["title"], "信访事项登记回执");
    assert_eq!(progress["dates"][0]["label"], "告知是否受理的期限");

    // A wrong code and a missing case answer alike.
    let (s1, wrong) = lookup(case_number.clone(), "ZZZZZZZZ".into()).await;
    let (s2, missing) = lookup("140423-1999-999999".into(), query_code.clone()).await;
    assert_eq!((s1, s2), (404, 404));
    assert_eq!(wrong, missing);

    // The receipt as PDF, with the credential in headers: served online on the first download.
    let doc = progress["documents"][0]["download"].as_str().unwrap();
    let get = |code: String| {
        let (client, url, number) = (
            client.clone(),
            format!("{}{doc}", app.address),
            case_number.clone(),
        );
        async move {
            client
                .get(url)
                .header("X-Case-Number", number)
                .header("X-Query-Code", code)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(get("ZZZZZZZZ".into()).await.status().as_u16(), 404);
    let pdf = get(query_code.clone()).await;
    assert_eq!(pdf.status().as_u16(), 200);
    let text = crate::documents::pdf_text(&pdf.bytes().await.unwrap());
    assert!(
        text.contains(&case_number) && text.contains("襄垣县信访局"),
        "{text}"
    );
    let online: String = sqlx::query_scalar(
        "SELECT status FROM deliveries WHERE case_id = $1 AND channel = 'online'",
    )
    .bind(case_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(online, "delivered");

    // No rating before the case has ended.
    let rate = |rating: &'static str| {
        let (client, base, number, code) = (
            client.clone(),
            app.address.clone(),
            case_number.clone(),
            query_code.clone(),
        );
        async move {
            let r = client
                .post(format!("{base}/api/v1/self-service/rating"))
                .json(&json!({ "case_number": number, "query_code": code, "rating": rating, "comment": "办理及时" }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, e) = rate("satisfied").await;
    assert_eq!(
        (s, e["code"].as_str()),
        (409, Some("not_yet_closed")),
        "{e}"
    );

    // The handling opinion ends the case at its level.
    let (review, stop_review) = publisher(&env, Producer::AdministrativeReview).await;
    let request = NoticeRequest {
        request_id: Uuid::now_v7(),
        petition_id: case_id,
        case_number: case_number.clone(),
        template: "handling_opinion".into(),
        issuing_unit: "140423-RSJ".into(),
        recipient: NoticeRecipient::Petitioner,
        recipient_unit: None,
        document_number: None,
        dated_on: xinfang_platform::time::today_in_china(),
        fields: BTreeMap::from([
            ("outcome".to_string(), "支持".to_string()),
            ("facts".to_string(), "拖欠工资属实".to_string()),
            (
                "reasons".to_string(),
                "应当按时足额支付劳动报酬".to_string(),
            ),
            ("review_organ".to_string(), "140400-XFJ".to_string()),
        ]),
    };
    publish(
        &review,
        &[Envelope::new(
            &ReviewNoticeRequestedV1 { request },
            Some(case_id),
            None,
            None,
        )],
    )
    .await;
    wait_for("the case closed", WAIT, || {
        let pool = app.pool.clone();
        async move {
            let closed: bool =
                sqlx::query_scalar("SELECT closed FROM notification_cases WHERE case_id = $1")
                    .bind(case_id)
                    .fetch_one(&pool)
                    .await
                    .ok()?;
            closed.then_some(())
        }
    })
    .await;
    let (_, progress) = lookup(case_number.clone(), query_code.clone()).await;
    assert_eq!(progress["status"], "已出具信访处理意见书");
    assert_eq!(progress["can_rate"], true);
    let (s, e) = rate("bad").await;
    assert_eq!((s, e["details"]["field"].as_str()), (422, Some("rating")));
    let (s, _) = rate("basically_satisfied").await;
    assert_eq!(s, 201);
    let (s, e) = rate("satisfied").await;
    assert_eq!((s, e["code"].as_str()), (409, Some("already_rated")));
    let (_, progress) = lookup(case_number.clone(), query_code.clone()).await;
    assert_eq!(progress["rating"], "基本满意");
    assert_eq!(progress["can_rate"], false);
    let rated: Vec<Value> = outbox(&app.pool)
        .await
        .into_iter()
        .filter(|(k, _)| k == "notification.satisfaction.rated.v1")
        .map(|(_, p)| p)
        .collect();
    assert_eq!(rated.len(), 1);
    assert_eq!(rated[0]["rating"], "basically_satisfied");
    assert_eq!(rated[0]["has_comment"], true);
    assert!(rated[0].get("comment").is_none(), "the comment stays here");

    // Too many attempts from one client: refused for the rest of the minute.
    let mut limited = None;
    for _ in 0..100 {
        let (s, body) = lookup(case_number.clone(), "ZZZZZZZZ".into()).await;
        if s == 429 {
            limited = Some(body);
            break;
        }
        assert_eq!(s, 404);
    }
    let body = limited.expect("rate limited");
    assert_eq!(body["code"], "too_many_requests");
    stop_review.cancel();
    app.stop().await;
    intake.stop().await;
}
