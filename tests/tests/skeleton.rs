//! The walking skeleton: a petition registered at intake reaches supervision (its 15-day acceptance
//! deadline) and notification (the petitioner's receipt), across the real broker.

// Test code: a failed unwrap is a failed test. clippy.toml allows it in `#[test]` functions; this
// also covers the helpers beside them.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use serde_json::Value;
use xinfang_e2e::{petition_received_on, Platform};
use xinfang_test_support::wait_for;

#[tokio::test]
async fn a_registered_petition_gets_its_deadline_and_its_receipt() {
    let p = Platform::start().await;
    let registered = p
        .register(&petition_received_on(
            "村集体土地征收补偿款未发放",
            "2025-09-26",
        ))
        .await;
    let case_id = registered["id"].as_str().unwrap().to_string();
    let case_number = registered["case_number"].as_str().unwrap().to_string();

    // Supervision: acceptance deadline, 15 日 from 2025-09-26 = 2025-10-11, a make-up working day.
    let deadlines: Value = wait_for("acceptance deadline", Duration::from_secs(20), || {
        let url = p
            .supervision
            .url(&format!("/api/v1/cases/{case_id}/deadlines"));
        let p = &p;
        async move {
            let (status, body) = p.get(url).await;
            (status == 200 && body.as_array().is_some_and(|a| !a.is_empty())).then_some(body)
        }
    })
    .await;
    let d = &deadlines[0];
    assert_eq!(d["kind"], "acceptance");
    assert_eq!(d["case_number"], case_number.as_str());
    assert_eq!(d["start_date"], "2025-09-26");
    assert_eq!(d["due_date"], "2025-10-11");
    assert!(d["explanation"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l.as_str().unwrap().contains("2025-10-11")));

    // Notification: the petitioner's registration receipt.
    let notices: Value = wait_for("registration receipt", Duration::from_secs(20), || {
        let url = p
            .notification
            .url(&format!("/api/v1/cases/{case_id}/notices"));
        let p = &p;
        async move {
            let (status, body) = p.get(url).await;
            (status == 200).then_some(body)
        }
    })
    .await;
    assert_eq!(notices[0]["kind"], "registration_receipt");
    assert!(notices[0]["body"].as_str().unwrap().contains(&case_number));

    // Mediation and administrative review know the case; supervision's timeline has the event.
    for svc in [&p.mediation, &p.review] {
        let url = svc.url(&format!("/api/v1/cases/{case_id}"));
        let body: Value = wait_for("case known downstream", Duration::from_secs(20), || {
            let url = url.clone();
            let p = &p;
            async move {
                let (status, body) = p.get(url).await;
                (status == 200).then_some(body)
            }
        })
        .await;
        assert_eq!(body["case_number"], case_number.as_str());
    }
    let (status, timeline) = p
        .get(
            p.supervision
                .url(&format!("/api/v1/cases/{case_id}/timeline")),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(timeline[0]["event_type"], "intake.petition.registered.v1");

    // Every service logged the same correlation id: it is in the envelope supervision stored.
    let correlation: uuid::Uuid =
        sqlx::query_scalar("SELECT correlation_id FROM case_events LIMIT 1")
            .fetch_one(&p.supervision.app.pool)
            .await
            .unwrap();
    assert_eq!(
        correlation.to_string(),
        registered["correlation_id"].as_str().unwrap()
    );

    // Another unit's clerk cannot see the case anywhere.
    let outsider = xinfang_test_support::token("x", "140423-ZJJ", &[xinfang_platform::Role::Clerk]);
    for url in [
        p.intake.url(&format!("/api/v1/petitions/{case_id}")),
        p.supervision
            .url(&format!("/api/v1/cases/{case_id}/deadlines")),
        p.notification
            .url(&format!("/api/v1/cases/{case_id}/notices")),
        p.mediation.url(&format!("/api/v1/cases/{case_id}")),
    ] {
        let r = p
            .client
            .get(&url)
            .bearer_auth(&outsider)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404, "{url}");
    }
    p.stop().await;
}

#[tokio::test]
async fn the_public_calculator_answers_without_a_token() {
    let p = Platform::start().await;
    let url = p
        .supervision
        .url("/api/v1/calendar/due?start=2025-09-08&days=30&unit=calendar");
    let body: Value = p
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["due"], "2025-10-09");
    let url = p
        .supervision
        .url("/api/v1/calendar/due?start=2025-09-26&days=5&unit=working");
    let body: Value = p
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["due"], "2025-10-10");
    let outside = p
        .client
        .get(
            p.supervision
                .url("/api/v1/calendar/due?start=2027-06-01&days=30"),
        )
        .send()
        .await
        .unwrap();
    // 2027's arrangement is not published: a provisional (暂定) answer from the statutory holidays.
    assert_eq!(outside.status().as_u16(), 200);
    let body: Value = outside.json().await.unwrap();
    assert_eq!(body["provisional"], true, "{body}");
    let bad = p
        .client
        .get(
            p.supervision
                .url("/api/v1/calendar/due?start=2025-13-01&days=30"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    // Every service serves its OpenAPI document.
    for s in p.services() {
        let doc: Value = p
            .client
            .get(s.url("/api-docs/openapi.json"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(doc["paths"]["/health/ready"].is_object(), "{}", s.name);
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3."),
            "{}",
            s.name
        );
    }
    p.stop().await;
}
