use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use notification::configuration::{NotificationSettings, Settings};
use notification::domain::names::NameTable;
use notification::startup::{self, Options};
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

/// The organs of the tests, by name.
pub fn names() -> NameTable {
    NameTable::of(&[
        (BUREAU, "襄垣县信访局"),
        ("140423-RSJ", "襄垣县人力资源和社会保障局"),
        ("140423-ZJJ", "襄垣县住房和城乡建设管理局"),
        ("140400-XFJ", "长治市信访局"),
    ])
}

/// Settings of the service on `env`'s fresh database, with the dispatcher polling quickly.
pub fn settings(env: &TestEnv) -> Settings {
    let mut notification = NotificationSettings::default();
    notification.delivery.poll_interval_ms = 50;
    Settings {
        platform: env.settings("notification"),
        notification,
    }
}

/// The notification service on `env`'s fresh database, not yet running.
pub async fn build(env: &TestEnv) -> anyhow::Result<xinfang_platform::Service> {
    startup::build_with(
        settings(env),
        Options {
            names: Some(Arc::new(names())),
            ..Options::default()
        },
    )
    .await
}

/// Settings with a local SMS gateway (and SMTP server, if given), quick backoff and `attempts`.
pub fn channel_settings(
    env: &TestEnv,
    gateway_url: Option<&str>,
    smtp_port: Option<u16>,
    attempts: i32,
) -> Settings {
    let mut s = settings(env);
    s.notification.delivery.max_attempts = attempts;
    s.notification.delivery.backoff_base_ms = 100;
    s.notification.delivery.backoff_max_ms = 400;
    s.notification.sms = gateway_url.map(|url| notification::configuration::SmsSettings {
        url: url.to_string(),
        api_key: "gw-key".to_string().into(),
        signing_secret: "gw-secret".to_string().into(),
        sender: "襄垣县信访局".into(),
        timeout_ms: 2_000,
    });
    s.notification.smtp = smtp_port.map(|port| notification::configuration::SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        tls: "none".into(),
        username: None,
        password: None,
        from: "襄垣县信访局 <xfj@example.gov.cn>".into(),
        timeout_secs: 5,
    });
    s
}

/// The service with `settings` and the test's contact details.
pub async fn build_with(
    settings: Settings,
    contacts: Arc<dyn notification::channels::contacts::ContactSource>,
) -> anyhow::Result<xinfang_platform::Service> {
    startup::build_with(
        settings,
        Options {
            names: Some(Arc::new(names())),
            contacts: Some(contacts),
            ..Options::default()
        },
    )
    .await
}

/// The routing keys and payloads the service put in its outbox, oldest first.
pub async fn outbox(pool: &sqlx::PgPool) -> Vec<(String, serde_json::Value)> {
    sqlx::query_as::<_, (String, serde_json::Value)>(
        "SELECT routing_key, envelope -> 'payload' FROM outbox ORDER BY id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}
