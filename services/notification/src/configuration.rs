//! Typed settings (配置): the platform's, and notification's own under `notification`: the
//! documents' font, the delivery worker, the channels (SMS gateway, SMTP), how contact details
//! are obtained from intake, and the self-service's limits. Secrets are `SecretString`s, never
//! printed.

use std::path::Path;

use secrecy::SecretString;
use serde::Deserialize;
use xinfang_platform::{settings, PlatformSettings};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub platform: PlatformSettings,
    #[serde(default)]
    pub notification: NotificationSettings,
}

impl Settings {
    pub fn load(manifest_dir: &str) -> Result<Settings, settings::SettingsError> {
        settings::load(&settings::config_dir(Path::new(manifest_dir)))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NotificationSettings {
    pub documents: DocumentSettings,
    pub delivery: DeliverySettings,
    /// The SMS gateway (短信网关); without it SMS deliveries wait (and are retried) until configured.
    pub sms: Option<SmsSettings>,
    /// The mail server (邮件服务器); without it e-mail deliveries wait likewise.
    pub smtp: Option<SmtpSettings>,
    pub contacts: ContactSettings,
    pub self_service: SelfServiceSettings,
    /// Directory of the holiday calendars (节假日安排) for the dates the self-service shows; empty
    /// for the shipped ones.
    pub calendar_dir: String,
    /// The archive (信访档案, decision 0017).
    pub archive: ArchiveSettings,
}

/// The documents' typeface (文书字体): a file the project installs (Debian `fonts-noto-cjk`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DocumentSettings {
    pub font_path: String,
    /// Face of a font collection (2 = Simplified Chinese in Noto Serif CJK).
    pub font_index: u32,
}

impl Default for DocumentSettings {
    fn default() -> Self {
        DocumentSettings {
            font_path: "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc".into(),
            font_index: 2,
        }
    }
}

/// The dispatcher (送达任务): batches, concurrency, attempts and backoff.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DeliverySettings {
    /// Deliveries claimed per round.
    pub batch_size: i64,
    /// Sends in flight at once.
    pub concurrency: usize,
    /// Attempts before a delivery is marked failed (送达失败).
    pub max_attempts: i32,
    /// Backoff after the n-th failure: base × 2^(n-1), at most `backoff_max_ms`.
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    /// Idle wait between rounds when nothing is due.
    pub poll_interval_ms: u64,
    /// A delivery left `sending` this long (a crash mid-send) is marked failed for a person to
    /// check and retry by hand, never resent on its own: at most once.
    pub sending_lease_secs: i64,
}

impl Default for DeliverySettings {
    fn default() -> Self {
        DeliverySettings {
            batch_size: 200,
            concurrency: 32,
            max_attempts: 5,
            backoff_base_ms: 30_000,
            backoff_max_ms: 3_600_000,
            poll_interval_ms: 500,
            sending_lease_secs: 300,
        }
    }
}

/// One generic JSON SMS gateway (短信网关): `POST url` with
/// `{"message_id","to","text","sender"}`, `Authorization: Bearer <api_key>`, and
/// `X-Signature: hex(HMAC-SHA256(signing_secret, timestamp + "." + body))` with `X-Timestamp`.
/// Any 2xx is accepted; a JSON answer's `id` is kept as the receipt.
#[derive(Debug, Clone, Deserialize)]
pub struct SmsSettings {
    pub url: String,
    pub api_key: SecretString,
    pub signing_secret: SecretString,
    /// 短信签名, e.g. 襄垣县信访局.
    pub sender: String,
    #[serde(default = "default_timeout_ms")]
    pub timeout_ms: u64,
}

fn default_timeout_ms() -> u64 {
    5_000
}

/// SMTP (lettre): `tls` is `none` (local relay only), `starttls` or `tls`.
#[derive(Debug, Clone, Deserialize)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    #[serde(default = "default_tls")]
    pub tls: String,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<SecretString>,
    /// `From:`, e.g. `襄垣县信访局 <xfj@example.gov.cn>`.
    pub from: String,
    #[serde(default = "default_smtp_timeout")]
    pub timeout_secs: u64,
}

fn default_tls() -> String {
    "starttls".into()
}

fn default_smtp_timeout() -> u64 {
    10
}

/// How contact details (联系方式) are obtained: intake's internal endpoint, called at send time with
/// a service identity token (scope `intake.contact.read`), either configured (`token`) or obtained
/// from the console with the client's credentials.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ContactSettings {
    pub intake_url: String,
    pub console_url: String,
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    /// A fixed service token (tests, or a deployment that injects one).
    pub token: Option<SecretString>,
    pub timeout_ms: u64,
}

impl Default for ContactSettings {
    fn default() -> Self {
        ContactSettings {
            intake_url: "http://127.0.0.1:8081".into(),
            console_url: "http://127.0.0.1:8086".into(),
            client_id: "notification".into(),
            client_secret: None,
            token: None,
            timeout_ms: 5_000,
        }
    }
}

/// The petitioner's self-service (自助查询).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SelfServiceSettings {
    /// Attempts per client and minute (lookups, downloads and ratings together).
    pub attempts_per_minute: i32,
    /// Trust `X-Forwarded-For` from the reverse proxy for the client's address.
    pub trust_forwarded_for: bool,
}

impl Default for SelfServiceSettings {
    fn default() -> Self {
        SelfServiceSettings {
            attempts_per_minute: 20,
            trust_forwarded_for: false,
        }
    }
}

/// The archive (信访档案): how long after finality a case is packaged, and the retention classes
/// (保管期限) with their periods.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ArchiveSettings {
    /// Seconds between a case becoming final and its packaging (default 30 days).
    pub delay_secs: u64,
    /// How often the archiver looks for due cases.
    pub poll_interval_ms: u64,
    /// Cases packaged per round.
    pub batch_size: i64,
    /// Seconds before a failed packaging (e.g. intake unreachable) is tried again.
    pub retry_secs: u64,
    /// The class a new package gets.
    pub default_class: String,
    pub classes: Vec<RetentionClassSettings>,
}

/// One retention class (保管期限类别): a code, its Chinese name, and its period in years (none:
/// kept permanently, never destroyed).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionClassSettings {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub years: Option<u32>,
}

impl Default for ArchiveSettings {
    fn default() -> Self {
        let class = |code: &str, name: &str, years: Option<u32>| RetentionClassSettings {
            code: code.into(),
            name: name.into(),
            years,
        };
        ArchiveSettings {
            delay_secs: 30 * 24 * 3600,
            poll_interval_ms: 60_000,
            batch_size: 20,
            retry_secs: 300,
            default_class: "long".into(),
            classes: vec![
                class("permanent", "永久", None),
                class("long", "长期", Some(30)),
                class("short", "短期", Some(10)),
            ],
        }
    }
}
