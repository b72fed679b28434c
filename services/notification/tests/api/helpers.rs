use chrono::{NaiveDate, Utc};
use notification::{configuration::Settings, startup};
use uuid::Uuid;
use xinfang_contracts::events::{Channel, PetitionRegisteredV1};
use xinfang_test_support::{TestEnv, BUREAU};

/// A visit registered at the bureau on 2025-09-26.
pub fn registered(anonymous: bool) -> PetitionRegisteredV1 {
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
pub async fn build(env: &TestEnv) -> anyhow::Result<xinfang_platform::Service> {
    startup::build(Settings {
        platform: env.settings("notification"),
    })
    .await
}
