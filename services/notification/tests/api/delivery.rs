//! Delivery over real channels: SMS to a local gateway that fails first (retried, sent once),
//! e-mail to a local SMTP server (received and read), failures visible and retried by hand,
//! letters through the post room, handovers, and redelivered events that send nothing twice.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use serde_json::{json, Value};
use uuid::Uuid;
use xinfang_contracts::{
    events::PetitionRegisteredV1,
    notices::{NoticeRecipient, NoticeRequest, ReviewNoticeRequestedV1},
    Envelope, Producer,
};
use xinfang_platform::Role;
use xinfang_test_support::{
    clerk_token, publish, publisher, spawn_app, token, wait_for, TestEnv, BUREAU,
};

use crate::helpers::{build_with, channel_settings, outbox, registered};
use crate::servers::{start_gateway, Contacts, Gateway, Smtp};

const WAIT: Duration = Duration::from_secs(20);

fn contactable() -> PetitionRegisteredV1 {
    PetitionRegisteredV1 {
        contactable: true,
        ..registered(false)
    }
}

/// The deliveries of a case as the operators' list shows them.
async fn deliveries(base: &str, case_id: Uuid) -> Vec<Value> {
    reqwest::Client::new()
        .get(format!("{base}/api/v1/deliveries?case_id={case_id}"))
        .bearer_auth(clerk_token())
        .send()
        .await
        .unwrap()
        .json::<Vec<Value>>()
        .await
        .unwrap()
}

async fn delivery_where(base: &str, case_id: Uuid, channel: &str, status: &str) -> Value {
    let (base, channel, status) = (base.to_string(), channel.to_string(), status.to_string());
    wait_for(&format!("{channel} {status}"), WAIT, || {
        let (base, channel, status) = (base.clone(), channel.clone(), status.clone());
        async move {
            deliveries(&base, case_id)
                .await
                .into_iter()
                .find(|d| d["channel"] == channel.as_str() && d["status"] == status.as_str())
        }
    })
    .await
}

#[tokio::test]
async fn an_sms_that_first_fails_is_retried_and_sent_once_and_redelivery_sends_nothing_again() {
    let env = TestEnv::new();
    let gw = Gateway::default();
    gw.fail_first.store(1, Ordering::SeqCst);
    let url = start_gateway(gw.clone());
    let contacts = Arc::new(Contacts::default());
    let reg = contactable();
    contacts.add(reg.petition_id, Some("13812345678"), None, None);
    let app = spawn_app(build_with(
        channel_settings(&env, Some(&url), None, 5),
        contacts.clone(),
    ))
    .await;
    app.wait_connected().await;
    let (broker, stop) = publisher(&env, Producer::Intake).await;
    let envelope = Envelope::new(&reg, Some(reg.petition_id), None, None);
    publish(&broker, std::slice::from_ref(&envelope)).await;

    let d = delivery_where(&app.address, reg.petition_id, "sms", "delivered").await;
    assert_eq!(d["attempts"], 2, "failed once, then sent: {d}");
    assert_eq!(d["proof"], "短信网关回执 gw-1");
    let received = gw.received();
    assert_eq!(received.len(), 2);
    assert_eq!(
        received[0]["message_id"], received[1]["message_id"],
        "the same message, retried"
    );
    assert_eq!(received[1]["to"], "13812345678");
    assert!(received[1]["text"]
        .as_str()
        .unwrap()
        .contains(&reg.case_number));
    assert_eq!(gw.accepted().len(), 1);

    // The receipt was served by the SMS: one delivery event, quoting no request.
    let events = outbox(&app.pool).await;
    let delivered: Vec<_> = events
        .iter()
        .filter(|(k, _)| k == "notification.notice.delivered.v1")
        .collect();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].1["method"], "electronic");
    assert_eq!(delivered[0].1["template"], "registration_receipt");

    // The same event delivered again, twice: no new notice, no new delivery, nothing sent.
    publish(&broker, &[envelope.clone(), envelope]).await;
    let calls = contacts.calls.load(Ordering::SeqCst);
    let queue = app.broker.topology.queue(Producer::Notification);
    wait_for("the redeliveries consumed", WAIT, || {
        let (broker, queue) = (app.broker.clone(), queue.clone());
        async move { (broker.queue_depth(&queue).await == Some(0)).then_some(()) }
    })
    .await;
    let (notices, sms): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM notices), (SELECT count(*) FROM deliveries WHERE channel = 'sms')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((notices, sms), (1, 1));
    assert_eq!(gw.accepted().len(), 1);
    assert_eq!(
        contacts.calls.load(Ordering::SeqCst),
        calls,
        "no further send was attempted"
    );
    stop.cancel();
    app.stop().await;
}

#[tokio::test]
async fn a_failing_channel_is_marked_failed_visible_and_retried_by_hand() {
    let env = TestEnv::new();
    let gw = Gateway::default();
    gw.fail_first.store(2, Ordering::SeqCst);
    let url = start_gateway(gw.clone());
    let contacts = Arc::new(Contacts::default());
    let reg = contactable();
    contacts.add(reg.petition_id, Some("13812345678"), None, None);
    let app = spawn_app(build_with(
        channel_settings(&env, Some(&url), None, 2),
        contacts,
    ))
    .await;
    app.wait_connected().await;
    let (broker, stop) = publisher(&env, Producer::Intake).await;
    publish(
        &broker,
        &[Envelope::new(&reg, Some(reg.petition_id), None, None)],
    )
    .await;

    let d = delivery_where(&app.address, reg.petition_id, "sms", "failed").await;
    assert_eq!(d["attempts"], 2);
    assert!(
        d["last_error"].as_str().unwrap().contains("HTTP 500"),
        "{d}"
    );
    let events = outbox(&app.pool).await;
    let failed: Vec<_> = events
        .iter()
        .filter(|(k, _)| k == "notification.notice.delivery_failed.v1")
        .collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].1["channel"], "sms");
    assert_eq!(failed[0].1["attempts"], 2);

    let client = reqwest::Client::new();
    let listed: Vec<Value> = client
        .get(format!("{}/api/v1/deliveries?status=failed", app.address))
        .bearer_auth(clerk_token())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let metrics = client
        .get(format!("{}/api/v1/deliveries/metrics", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("notification_deliveries{channel=\"sms\",status=\"failed\"} 1"),
        "{metrics}"
    );

    // Another unit's handler may not retry it; the clerk may, and the gateway now accepts.
    let id = d["id"].as_str().unwrap();
    let other = token("h1", "140423-RSJ", &[Role::UnitHead]);
    let r = client
        .post(format!("{}/api/v1/deliveries/{id}/retry", app.address))
        .bearer_auth(other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = client
        .post(format!("{}/api/v1/deliveries/{id}/retry", app.address))
        .bearer_auth(clerk_token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let d = delivery_where(&app.address, reg.petition_id, "sms", "delivered").await;
    assert_eq!(d["attempts"], 1);
    assert_eq!(gw.accepted().len(), 1);
    // A delivered SMS cannot be retried again.
    let r = client
        .post(format!("{}/api/v1/deliveries/{id}/retry", app.address))
        .bearer_auth(clerk_token())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);
    stop.cancel();
    app.stop().await;
}

#[tokio::test]
async fn e_mail_reaches_a_real_smtp_server_with_the_document_attached() {
    let env = TestEnv::new();
    let smtp = Smtp::default();
    let port = smtp.start().await;
    let contacts = Arc::new(Contacts::default());
    let reg = contactable();
    contacts.add(
        reg.petition_id,
        Some("13812345678"),
        Some("zhangsan@example.cn"),
        Some("email"),
    );
    let app = spawn_app(build_with(
        channel_settings(&env, None, Some(port), 3),
        contacts,
    ))
    .await;
    app.wait_connected().await;
    let (broker, stop) = publisher(&env, Producer::Intake).await;
    publish(
        &broker,
        &[Envelope::new(&reg, Some(reg.petition_id), None, None)],
    )
    .await;

    let d = delivery_where(&app.address, reg.petition_id, "email", "delivered").await;
    assert!(d["proof"].as_str().unwrap().starts_with("SMTP"), "{d}");
    let messages = smtp.messages.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    let m = &messages[0];
    assert!(m.contains("To: zhangsan@example.cn"), "{m}");
    assert!(m.contains("Subject:"));
    assert!(m.contains("application/pdf"));
    assert!(m.contains(&format!("{}-registration_receipt.pdf", reg.case_number)));
    stop.cancel();
    app.stop().await;
}

fn opinion_request(case: &PetitionRegisteredV1) -> NoticeRequest {
    NoticeRequest {
        request_id: Uuid::now_v7(),
        petition_id: case.petition_id,
        case_number: case.case_number.clone(),
        template: "handling_opinion".into(),
        issuing_unit: "140423-RSJ".into(),
        recipient: NoticeRecipient::Petitioner,
        recipient_unit: None,
        document_number: Some("襄人社信〔2025〕7号".into()),
        dated_on: NaiveDate::from_ymd_opt(2025, 11, 20).unwrap(),
        fields: BTreeMap::from([
            ("outcome".to_string(), "支持".to_string()),
            ("facts".to_string(), "经查，某公司拖欠工资属实".to_string()),
            (
                "reasons".to_string(),
                "用人单位应当按时足额支付劳动报酬".to_string(),
            ),
            (
                "legal_basis".to_string(),
                "《保障农民工工资支付条例》".to_string(),
            ),
            ("review_organ".to_string(), "140423-ZF".to_string()),
        ]),
    }
}

#[tokio::test]
async fn a_handling_opinion_goes_by_letter_through_the_post_room_and_its_delivery_quotes_the_request(
) {
    let env = TestEnv::new();
    let gw = Gateway::default();
    let url = start_gateway(gw.clone());
    let contacts = Arc::new(Contacts::default());
    let reg = contactable();
    contacts.add(reg.petition_id, Some("13812345678"), None, None);
    let app = spawn_app(build_with(
        channel_settings(&env, Some(&url), None, 3),
        contacts,
    ))
    .await;
    app.wait_connected().await;
    let (intake, stop_intake) = publisher(&env, Producer::Intake).await;
    publish(
        &intake,
        &[Envelope::new(&reg, Some(reg.petition_id), None, None)],
    )
    .await;
    let (review, stop_review) = publisher(&env, Producer::AdministrativeReview).await;
    let request = opinion_request(&reg);
    let asked = Envelope::new(
        &ReviewNoticeRequestedV1 {
            request: request.clone(),
        },
        Some(reg.petition_id),
        None,
        None,
    );
    publish(&review, &[asked.clone(), asked]).await;

    let letter = delivery_where(&app.address, reg.petition_id, "letter", "awaiting_post").await;
    // The SMS only announces the opinion: it does not serve it.
    delivery_where(&app.address, reg.petition_id, "sms", "delivered").await;
    let client = reqwest::Client::new();
    let id = letter["id"].as_str().unwrap();
    let pdf = client
        .get(format!("{}/api/v1/deliveries/{id}/letter.pdf", app.address))
        .bearer_auth(clerk_token())
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    // The post room prints every letter awaiting the post at once (批量打印).
    let batch = client
        .get(format!("{}/api/v1/deliveries/letters.pdf", app.address))
        .bearer_auth(clerk_token())
        .send()
        .await
        .unwrap();
    assert_eq!(batch.status().as_u16(), 200);
    assert_eq!(batch.headers()["x-letter-count"], "1");
    assert!(batch.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let text = crate::documents::pdf_text(&batch.bytes().await.unwrap());
    assert!(text.contains("信访事项处理意见书"), "{text}");
    let r = client
        .post(format!("{}/api/v1/deliveries/{id}/received", app.address))
        .bearer_auth(clerk_token())
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409, "not posted yet");
    let r = client
        .post(format!("{}/api/v1/deliveries/{id}/posted", app.address))
        .bearer_auth(clerk_token())
        .json(&json!({ "tracking_number": "EMS1234567890" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = client
        .post(format!("{}/api/v1/deliveries/{id}/received", app.address))
        .bearer_auth(clerk_token())
        .json(&json!({ "delivered_on": "2025-11-24", "signed_by": "张三" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "delivered");
    assert_eq!(body["tracking_number"], "EMS1234567890");
    // Nothing left for the post: the batch says so in Chinese.
    let none = client
        .get(format!("{}/api/v1/deliveries/letters.pdf", app.address))
        .bearer_auth(clerk_token())
        .send()
        .await
        .unwrap();
    assert_eq!(none.status().as_u16(), 404);
    let body: Value = none.json().await.unwrap();
    assert_eq!(body["message"], "当前没有待寄信件");

    let events = outbox(&app.pool).await;
    let delivered: Vec<&Value> = events
        .iter()
        .filter(|(k, p)| {
            k == "notification.notice.delivered.v1" && p["template"] == "handling_opinion"
        })
        .map(|(_, p)| p)
        .collect();
    assert_eq!(delivered.len(), 1, "one delivery event for the opinion");
    assert_eq!(delivered[0]["request_id"], request.request_id.to_string());
    assert_eq!(delivered[0]["method"], "post");
    assert_eq!(delivered[0]["delivered_on"], "2025-11-24");
    assert_eq!(delivered[0]["proof"], "邮寄送达，张三签收");
    // One opinion notice although the request came twice.
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM notices WHERE kind = 'handling_opinion'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
    stop_intake.cancel();
    stop_review.cancel();
    app.stop().await;
}

#[tokio::test]
async fn a_petitioner_without_a_phone_is_served_in_person_on_the_signature_date() {
    let env = TestEnv::new();
    let contacts = Arc::new(Contacts::default());
    let reg = registered(false);
    let app = spawn_app(build_with(channel_settings(&env, None, None, 3), contacts)).await;
    app.wait_connected().await;
    let (broker, stop) = publisher(&env, Producer::Intake).await;
    publish(
        &broker,
        &[Envelope::new(&reg, Some(reg.petition_id), None, None)],
    )
    .await;
    let d = delivery_where(
        &app.address,
        reg.petition_id,
        "in_person",
        "awaiting_handover",
    )
    .await;
    let r = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/deliveries/{}/handover",
            app.address,
            d["id"].as_str().unwrap()
        ))
        .bearer_auth(clerk_token())
        .json(&json!({ "delivered_on": "2025-09-26", "signed_by": "张三" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let events = outbox(&app.pool).await;
    let delivered: Vec<_> = events
        .iter()
        .filter(|(k, _)| k == "notification.notice.delivered.v1")
        .collect();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0].1["method"], "in_person");
    assert_eq!(delivered[0].1["delivered_on"], "2025-09-26");
    let unit: String = sqlx::query_scalar("SELECT unit_code FROM notices LIMIT 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(unit, BUREAU);
    stop.cancel();
    app.stop().await;
}
