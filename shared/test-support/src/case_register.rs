//! The check every service that keeps the shared case register (案件登记副本) runs: a registered
//! petition, delivered twice, becomes one case that its unit reads and no other unit can see.

use std::time::Duration;

use chrono::{NaiveDate, Utc};
use serde_json::Value;
use uuid::Uuid;
use xinfang_contracts::{
    events::{Channel, PetitionRegisteredV1},
    Envelope, Producer,
};
use xinfang_platform::Role;

use crate::{publish, publisher, wait_for, TestApp, TestEnv, BUREAU};

/// A letter registered at the bureau on 2025-09-26.
pub fn registered_letter(case_number: &str) -> PetitionRegisteredV1 {
    PetitionRegisteredV1 {
        petition_id: Uuid::now_v7(),
        case_number: case_number.into(),
        channel: Channel::Letter,
        received_on: NaiveDate::from_ymd_opt(2025, 9, 26).unwrap_or_default(),
        registered_at: Utc::now(),
        registering_unit: BUREAU.into(),
        division_code: "140423".into(),
        ..PetitionRegisteredV1::minimal_defaults()
    }
}

/// Publish one registration twice to the service `app` runs on `env`, and check that the bureau
/// reads the case at `GET /api/v1/cases/{id}`, that it is stored once, and that another unit's
/// staff get 404.
pub async fn check_case_register(env: &TestEnv, app: &TestApp) {
    app.wait_connected().await;
    let (broker, stop) = publisher(env, Producer::Intake).await;

    let registration = registered_letter("140423-2025-000051");
    let case_id = registration.petition_id;
    let envelope = Envelope::new(&registration, Some(case_id), None, None);
    // Delivered twice (a republished event): still one case.
    publish(&broker, &[envelope.clone(), envelope]).await;

    let url = app.url(&format!("/api/v1/cases/{case_id}"));
    let clerk = app.clerk_token();
    let case: Value = wait_for("the case in the register", Duration::from_secs(20), || {
        let (client, url, clerk) = (app.client.clone(), url.clone(), clerk.clone());
        async move {
            let response = client.get(url).bearer_auth(clerk).send().await.ok()?;
            if response.status() != 200 {
                return None;
            }
            response.json().await.ok()
        }
    })
    .await;
    assert_eq!(case["case_id"], case_id.to_string());
    assert_eq!(case["case_number"], registration.case_number.as_str());
    assert_eq!(case["registering_unit"], BUREAU);
    assert_eq!(case["received_on"], "2025-09-26");
    assert_eq!(case["status"], "registered");
    let cases: i64 = sqlx::query_scalar("SELECT count(*) FROM cases")
        .fetch_one(&app.pool)
        .await
        .expect("count the register's cases");
    assert_eq!(cases, 1);

    // Another unit's staff cannot learn that the case exists.
    let outsider = app.token("h2", "140423-ZJJ", &[Role::Handler]);
    let response = app
        .client
        .get(&url)
        .bearer_auth(outsider)
        .send()
        .await
        .expect("GET the case as another unit");
    assert_eq!(response.status().as_u16(), 404);

    stop.cancel();
}
