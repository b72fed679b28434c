use administrative_review::{configuration::Settings, startup};
use chrono::{NaiveDate, Utc};
use uuid::Uuid;
use xinfang_contracts::events::{Channel, PetitionRegisteredV1};
use xinfang_test_support::{spawn_app, TestApp, TestEnv, BUREAU};

/// Administrative review on `env`'s fresh database, running on a free port.
pub async fn spawn(env: &TestEnv) -> TestApp {
    spawn_app(startup::build(Settings {
        platform: env.settings("administrative-review"),
    }))
    .await
}

/// A letter registered at the bureau on 2025-09-26.
pub fn registered() -> PetitionRegisteredV1 {
    PetitionRegisteredV1 {
        petition_id: Uuid::now_v7(),
        case_number: "140423-2025-000052".into(),
        channel: Channel::Letter,
        received_on: NaiveDate::from_ymd_opt(2025, 9, 26).unwrap(),
        registered_at: Utc::now(),
        registering_unit: BUREAU.into(),
        division_code: "140423".into(),
        ..PetitionRegisteredV1::minimal_defaults()
    }
}
