use std::time::Duration;

use chrono::NaiveDate;
use serde_json::Value;
use xinfang_contracts::{
    events::PetitionAssignedV1, events::PetitionTransferredV1, Envelope, Producer,
};
use xinfang_platform::Role;
use xinfang_test_support::{
    clerk_token, publish, publisher, spawn_app, token, wait_for, TestEnv, BUREAU,
};

use crate::helpers::{build, registered};

#[tokio::test]
async fn decisions_become_notices_for_the_petitioner_and_the_receiving_unit() {
    let env = TestEnv::new();
    let app = spawn_app(build(&env)).await;
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
