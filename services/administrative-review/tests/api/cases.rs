use std::time::Duration;

use serde_json::Value;
use xinfang_contracts::{Envelope, Producer};
use xinfang_platform::Role;
use xinfang_test_support::{publish, publisher, wait_for, TestEnv, BUREAU};

use crate::helpers::{registered, spawn};

#[tokio::test]
async fn a_registered_petition_becomes_a_case_its_unit_can_read_and_no_other() {
    let env = TestEnv::new();
    let app = spawn(&env).await;
    app.wait_connected().await;
    let (broker, stop) = publisher(&env, Producer::Intake).await;

    let registration = registered();
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
        .unwrap();
    assert_eq!(cases, 1);

    // Another unit's staff cannot learn that the case exists.
    let outsider = app.token("h2", "140423-ZJJ", &[Role::Handler]);
    let response = app
        .client
        .get(&url)
        .bearer_auth(outsider)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);

    stop.cancel();
    app.stop().await;
}
