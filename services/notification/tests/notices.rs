//! Notification service tests: events in, notices out, scoped by unit.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use notification::{configuration::Settings, startup};
use serde_json::Value;
use uuid::Uuid;
use xinfang_contracts::{events::*, Envelope, Producer};
use xinfang_platform::Role;
use xinfang_test_support::{clerk_token, publish, publisher, token, wait_for, TestEnv, BUREAU};

fn registered(anonymous: bool) -> PetitionRegisteredV1 {
    PetitionRegisteredV1 {
        petition_id: Uuid::now_v7(),
        case_number: "140423-2025-000042".into(),
        channel: Channel::Visit,
        received_on: NaiveDate::from_ymd_opt(2025, 9, 26).unwrap(),
        registered_at: Utc::now(),
        registering_unit: BUREAU.into(),
        division_code: "140423".into(),
        anonymous,
        ..PetitionRegisteredV1::minimal_defaults()
    }
}

/// The notification service on `env`'s fresh database, not yet running.
async fn build(env: &TestEnv) -> xinfang_platform::Service {
    startup::build(Settings {
        platform: env.settings("notification"),
    })
    .await
    .unwrap()
    .without_signal_handling()
}

#[tokio::test]
async fn decisions_become_notices_for_the_petitioner_and_the_receiving_unit() {
    let env = TestEnv::new();
    let app = xinfang_test_support::TestApp::run(build(&env).await);
    let base = app.address.clone();
    let (broker, stop) = publisher(&env, Producer::Intake).await;

    let reg = registered(false);
    let case_id = reg.petition_id;
    let first = Envelope::new(&reg, Some(case_id), None, None);
    let transferred = PetitionTransferredV1 {
        petition_id: case_id,
        case_number: reg.case_number.clone(),
        decided_on: NaiveDate::from_ymd_opt(2025, 9, 29).unwrap(),
        decided_by_unit: BUREAU.into(),
        to_unit: "140423-RSJ".into(),
        reason: "属于人社部门职责".into(),
    };
    let second = Envelope::caused_by(&transferred, &first);
    // The transfer is delivered twice (a republished event): still one notice per recipient.
    publish(&broker, &[first, second.clone(), second]).await;

    let client = reqwest::Client::new();
    let url = format!("{base}/api/v1/cases/{case_id}/notices");
    let notices: Value = wait_for("three notices", Duration::from_secs(20), || {
        let (client, url) = (client.clone(), url.clone());
        async move {
            let body: Value = client
                .get(url)
                .bearer_auth(clerk_token())
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            (body.as_array().map(|a| a.len()) == Some(3)).then_some(body)
        }
    })
    .await;
    let kinds: Vec<&str> = notices
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "registration_receipt",
            "transfer_notice",
            "transfer_to_unit"
        ]
    );
    assert!(notices[2]["body"].as_str().unwrap().contains("5个工作日"));

    // The receiving unit sees the notice addressed to it, in its inbox and on the case; nothing else.
    let rsj = token("h1", "140423-RSJ", &[Role::Handler]);
    let inbox: Value = client
        .get(format!("{base}/api/v1/notices/inbox"))
        .bearer_auth(&rsj)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inbox.as_array().unwrap().len(), 1);
    assert_eq!(inbox[0]["kind"], "transfer_to_unit");
    let on_case: Value = client
        .get(&url)
        .bearer_auth(&rsj)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(on_case.as_array().unwrap().len(), 1);
    let other = token("h2", "140423-ZJJ", &[Role::Handler]);
    assert_eq!(
        client
            .get(&url)
            .bearer_auth(&other)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        404
    );
    let bad = client
        .get(format!("{base}/api/v1/notices/inbox?limit=0"))
        .bearer_auth(&rsj)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);

    // An anonymous petition: no petitioner notices, units still told.
    let anon = registered(true);
    let a1 = Envelope::new(&anon, Some(anon.petition_id), None, None);
    let assigned = PetitionAssignedV1 {
        petition_id: anon.petition_id,
        case_number: anon.case_number.clone(),
        decided_on: NaiveDate::from_ymd_opt(2025, 9, 29).unwrap(),
        decided_by_unit: BUREAU.into(),
        to_unit: "140423-ZJJ".into(),
        due_on: NaiveDate::from_ymd_opt(2025, 10, 31).unwrap(),
        instructions: String::new(),
    };
    publish(&broker, &[a1.clone(), Envelope::caused_by(&assigned, &a1)]).await;
    let pool = app.pool.clone();
    let anon_id = anon.petition_id;
    wait_for(
        "unit notice of the anonymous case",
        Duration::from_secs(20),
        || {
            let pool = pool.clone();
            async move {
                let rows: Vec<String> =
                    sqlx::query_scalar("SELECT recipient_kind FROM notices WHERE case_id = $1")
                        .bind(anon_id)
                        .fetch_all(&pool)
                        .await
                        .ok()?;
                (rows == ["unit"]).then_some(())
            }
        },
    )
    .await;

    stop.cancel();
    app.stop().await;
}

/// kind, recipient kind, recipient unit, channel, title, body, status
type NoticeRow = (
    String,
    String,
    Option<String>,
    String,
    String,
    String,
    String,
);

#[tokio::test]
async fn registrations_applied_as_one_batch_leave_the_notices_one_by_one_leaves() {
    use std::sync::Arc;
    use xinfang_messaging::{InboxProcessor, Outcome};
    let env = TestEnv::new();
    let app = build(&env).await;
    let pool = app.pool().clone();
    let inbox = InboxProcessor::new(
        pool.clone(),
        Arc::new(notification::events::NotificationEvents),
        None,
    )
    .with_writer(Arc::new(xinfang_platform::audit::AuditBatchWriter));
    // The same six registrations (anonymous or not, reachable by phone or not), twice.
    let kinds = [
        (false, true),
        (true, false),
        (false, false),
        (true, true),
        (false, true),
        (false, false),
    ];
    let make = || -> Vec<(PetitionRegisteredV1, Envelope)> {
        kinds
            .iter()
            .map(|&(anonymous, contactable)| {
                let e = PetitionRegisteredV1 {
                    contactable,
                    ..registered(anonymous)
                };
                let envelope = Envelope::new(&e, Some(e.petition_id), None, None);
                (e, envelope)
            })
            .collect()
    };
    let one_by_one = make();
    for (_, envelope) in &one_by_one {
        assert_eq!(inbox.apply(envelope).await, Outcome::Applied);
    }
    let together = make();
    let transferred = PetitionTransferredV1 {
        petition_id: together[0].0.petition_id,
        case_number: together[0].0.case_number.clone(),
        decided_on: NaiveDate::from_ymd_opt(2025, 9, 29).unwrap(),
        decided_by_unit: BUREAU.into(),
        to_unit: "140423-RSJ".into(),
        reason: "属于人社部门职责".into(),
    };
    let mut envelopes: Vec<Envelope> = together.iter().map(|(_, e)| e.clone()).collect();
    // A transfer of the first case amid the registrations (it must find the case registered just
    // before it in the batch), and a second copy of a registration.
    envelopes.insert(3, Envelope::caused_by(&transferred, &together[0].1));
    envelopes.push(together[4].1.clone());
    let outcomes = inbox.apply_together(&envelopes).await.unwrap();
    let mut expected = vec![Outcome::Applied; 7];
    expected.push(Outcome::Duplicate);
    assert_eq!(outcomes, expected);

    // Each case's notices (and its audit record) as one by one, case for case.
    let notices = |case_id: Uuid| {
        let pool = pool.clone();
        async move {
            let rows: Vec<NoticeRow> =
                sqlx::query_as(
                    "SELECT kind, recipient_kind, recipient_unit, channel, title, body, status FROM notices
                     WHERE case_id = $1 AND kind = 'registration_receipt' ORDER BY recipient_kind, kind",
                )
                .bind(case_id)
                .fetch_all(&pool)
                .await
                .unwrap();
            let audited: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM audit_log WHERE case_id = $1 AND action = 'notice.create'
                 AND details->>'event' LIKE 'intake.petition.registered%'",
            )
            .bind(case_id)
            .fetch_one(&pool)
            .await
            .unwrap();
            (rows, audited)
        }
    };
    let mut with_receipt = 0;
    for ((a, _), (b, _)) in one_by_one.iter().zip(&together) {
        let expected = notices(a.petition_id).await;
        // An anonymous petitioner gets no receipt, and no notice means no audit record.
        assert_eq!(expected.0.is_empty(), a.anonymous);
        assert_eq!(expected.1, i64::from(!a.anonymous));
        with_receipt += usize::from(!a.anonymous);
        assert_eq!(notices(b.petition_id).await, expected);
    }
    assert_eq!(with_receipt, 4);
    // The transfer told the petitioner and the receiving unit, with the case's number.
    let transfer: Vec<(String, Option<String>, String)> = sqlx::query_as(
        "SELECT recipient_kind, recipient_unit, case_number FROM notices
         WHERE case_id = $1 AND kind <> 'registration_receipt' ORDER BY recipient_kind",
    )
    .bind(together[0].0.petition_id)
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        transfer,
        vec![
            (
                "petitioner".to_string(),
                None,
                together[0].0.case_number.clone()
            ),
            (
                "unit".to_string(),
                Some("140423-RSJ".to_string()),
                together[0].0.case_number.clone()
            ),
        ]
    );
    let verified = xinfang_platform::audit::verify(&pool).await.unwrap();
    assert_eq!(verified.first_break, None);
    pool.close().await;
}
