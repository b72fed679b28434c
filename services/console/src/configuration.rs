//! Console settings (控制台配置): the platform's settings plus tokens, sessions, login throttling,
//! password hashing and TOTP. Layered like every service's: `configuration/base.yaml`, then
//! `<environment>.yaml`, then `XINFANG_`-prefixed environment variables
//! (`XINFANG_CONSOLE__TOKENS__ACCESS_TTL_SECS=120`).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Deserialize;
use xinfang_platform::{settings, PlatformSettings};

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(flatten)]
    pub platform: PlatformSettings,
    pub console: ConsoleSettings,
    /// `XINFANG_ENVIRONMENT` (`local`, `production`, ...), read by [`Settings::load`].
    #[serde(skip, default = "default_environment")]
    pub environment: String,
}

fn default_environment() -> String {
    "local".into()
}

impl Settings {
    pub fn load() -> anyhow::Result<Settings> {
        let dir = settings::config_dir(Path::new(env!("CARGO_MANIFEST_DIR")));
        let mut s: Settings = settings::load(&dir)?;
        s.environment = std::env::var("XINFANG_ENVIRONMENT").unwrap_or_else(|_| "local".into());
        s.console.tokens.resolve_paths(&dir);
        Ok(s)
    }

    pub fn is_production(&self) -> bool {
        self.environment == "production"
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConsoleSettings {
    pub tokens: TokenSettings,
    #[serde(default)]
    pub sessions: SessionSettings,
    #[serde(default)]
    pub login: LoginSettings,
    #[serde(default)]
    pub password: PasswordSettings,
    pub totp: TotpSettings,
    #[serde(default)]
    pub workers: WorkerSettings,
    /// The first administrator, created when there is no account at all.
    #[serde(default)]
    pub bootstrap_admin: Option<BootstrapAdmin>,
    /// The staff console's and the petitioner portal's pages (控制台与信访人门户页面).
    #[serde(default)]
    pub pages: PagesSettings,
}

/// Pages (页面): where the services the pages call live, and the cookies' `Secure` flag.
#[derive(Debug, Clone, Deserialize)]
pub struct PagesSettings {
    /// Base URL of the intake service (信访登记服务), e.g. `http://127.0.0.1:8081`.
    #[serde(default = "default_intake_url")]
    pub intake_url: String,
    /// Base URL of the mediation service (多元解纷服务), e.g. `http://127.0.0.1:8082`.
    #[serde(default = "default_mediation_url")]
    pub mediation_url: String,
    /// Base URL of the administrative-review service (行政三级办理服务), e.g. `http://127.0.0.1:8083`.
    #[serde(default = "default_administrative_review_url")]
    pub administrative_review_url: String,
    /// Base URL of the supervision service (督查督办服务), e.g. `http://127.0.0.1:8084`.
    #[serde(default = "default_supervision_url")]
    pub supervision_url: String,
    /// Base URL of the notification service (通知送达服务), e.g. `http://127.0.0.1:8085`.
    #[serde(default = "default_notification_url")]
    pub notification_url: String,
    /// Mark the session cookies `Secure` (set when the console is served over TLS).
    #[serde(default)]
    pub secure_cookies: bool,
    /// The petitioner portal's limits (信访人门户限制).
    #[serde(default)]
    pub portal: PortalSettings,
}

/// The petitioner portal's limits (信访人门户): lookups and SMS codes per client and per phone,
/// how long a code and a verification hold (decision 0015).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PortalSettings {
    /// Lookups, downloads and ratings per client address and minute.
    pub lookups_per_minute: i32,
    /// Codes sent to one phone per hour.
    pub codes_per_phone_per_hour: i32,
    /// The least time between two codes to one phone.
    pub code_interval_secs: i64,
    /// Codes asked for by one client address per hour.
    pub codes_per_client_per_hour: i32,
    /// How long a code may be entered.
    pub code_valid_minutes: u32,
    /// Wrong entries before a code is spent.
    pub code_attempts: i32,
    /// How long a verified phone may submit its petition.
    pub verified_for_minutes: i64,
}

impl Default for PortalSettings {
    fn default() -> Self {
        PortalSettings {
            lookups_per_minute: 20,
            codes_per_phone_per_hour: 5,
            code_interval_secs: 60,
            codes_per_client_per_hour: 20,
            code_valid_minutes: 10,
            code_attempts: 5,
            verified_for_minutes: 30,
        }
    }
}

fn default_intake_url() -> String {
    "http://127.0.0.1:8081".into()
}

fn default_mediation_url() -> String {
    "http://127.0.0.1:8082".into()
}

fn default_administrative_review_url() -> String {
    "http://127.0.0.1:8083".into()
}

fn default_supervision_url() -> String {
    "http://127.0.0.1:8084".into()
}

fn default_notification_url() -> String {
    "http://127.0.0.1:8085".into()
}

impl Default for PagesSettings {
    fn default() -> Self {
        PagesSettings {
            intake_url: default_intake_url(),
            mediation_url: default_mediation_url(),
            administrative_review_url: default_administrative_review_url(),
            supervision_url: default_supervision_url(),
            notification_url: default_notification_url(),
            secure_cookies: false,
            portal: PortalSettings::default(),
        }
    }
}

/// 初始管理员
#[derive(Debug, Clone, Deserialize)]
pub struct BootstrapAdmin {
    pub login_name: String,
    pub display_name: String,
    pub unit: String,
    pub password: SecretString,
}

/// Token issuing (令牌签发).
#[derive(Debug, Clone, Deserialize)]
pub struct TokenSettings {
    /// Lifetime of access tokens, at most 300 s.
    #[serde(default = "default_access_ttl")]
    pub access_ttl_secs: i64,
    /// Lifetime of service identity tokens, at most 300 s.
    #[serde(default = "default_access_ttl")]
    pub service_ttl_secs: i64,
    /// Clock skew tolerated on `exp`/`nbf` when verifying.
    #[serde(default = "default_leeway")]
    pub leeway_secs: u64,
    /// The signing keys, see [`KeySettings`]. Empty in `local` only: an in-memory key is generated
    /// at start (tokens then end with the process; sessions survive and refresh).
    #[serde(default)]
    pub signing_keys: Vec<KeySettings>,
    /// PKCS#8 PEM file of the development key (开发密钥), whose private half is checked into the
    /// repository for tests and `xinfangctl token`. Published in the JWKS beside the real keys;
    /// refused at start with `XINFANG_ENVIRONMENT=production`.
    #[serde(default)]
    pub dev_key_file: Option<PathBuf>,
    /// Clients that may obtain service identity tokens (服务身份令牌).
    #[serde(default)]
    pub service_clients: Vec<ServiceClient>,
}

impl TokenSettings {
    /// Relative key paths are relative to the configuration directory.
    pub fn resolve_paths(&mut self, config_dir: &Path) {
        let fix = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = config_dir.join(&*p);
            }
        };
        if let Some(p) = self.dev_key_file.as_mut() {
            fix(p)
        }
        for k in &mut self.signing_keys {
            if let Some(p) = k.private_key_file.as_mut() {
                fix(p)
            }
        }
    }
}

fn default_access_ttl() -> i64 {
    300
}
fn default_leeway() -> u64 {
    30
}

/// State of a signing key in a rotation (密钥轮换).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Published, not yet signing: lets every verifier's JWKS cache learn it before it signs.
    Next,
    /// Signs new tokens (exactly one key is active) and is published.
    Active,
    /// No longer signs; published until `retired_at` + token lifetime + leeway, then dropped.
    Retired,
}

/// One Ed25519 key: `kid`, its private half (PKCS#8 PEM as `openssl genpkey -algorithm ed25519`
/// writes it) inline or in a file, and its rotation state.
#[derive(Debug, Clone, Deserialize)]
pub struct KeySettings {
    pub kid: String,
    #[serde(default)]
    pub private_key_pem: Option<SecretString>,
    #[serde(default)]
    pub private_key_file: Option<PathBuf>,
    pub state: KeyState,
    /// When a retired key stopped signing.
    #[serde(default)]
    pub retired_at: Option<DateTime<Utc>>,
}

/// A client of the service-token endpoint: id, secret and the scopes it is granted.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceClient {
    pub client_id: String,
    pub client_secret: SecretString,
    pub scopes: Vec<String>,
}

/// Server-side sessions (会话).
#[derive(Debug, Clone, Deserialize)]
pub struct SessionSettings {
    /// A session unused for this long ends (空闲超时).
    pub idle_timeout_secs: i64,
    /// A session ends this long after login whatever its use (绝对超时).
    pub absolute_timeout_secs: i64,
}

impl Default for SessionSettings {
    fn default() -> Self {
        SessionSettings {
            idle_timeout_secs: 30 * 60,
            absolute_timeout_secs: 12 * 3600,
        }
    }
}

/// Login throttling and temporary lockout (登录限制与临时锁定).
#[derive(Debug, Clone, Deserialize)]
pub struct LoginSettings {
    /// Failures of one login name within the window that lock it.
    pub max_failures_per_account: i64,
    /// Failures from one client address within the window that lock the address.
    pub max_failures_per_address: i64,
    pub window_secs: i64,
    pub lockout_secs: i64,
    /// Reverse proxies (反向代理) whose `X-Forwarded-For` is believed, by IP address. Empty (the
    /// default): the TCP peer is the client. With a proxy in front and this empty, every client
    /// would share the proxy's address and one attacker could lock the address out for all.
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for LoginSettings {
    fn default() -> Self {
        LoginSettings {
            max_failures_per_account: 5,
            max_failures_per_address: 20,
            window_secs: 15 * 60,
            lockout_secs: 15 * 60,
            trusted_proxies: Vec::new(),
        }
    }
}

/// argon2id cost (密码哈希参数). Defaults measured on the 2-vCPU development machine: see
/// `examples/bench_auth.rs` and the README of the crate.
#[derive(Debug, Clone, Deserialize)]
pub struct PasswordSettings {
    /// Memory in KiB (at least 19456 = 19 MiB).
    pub memory_kib: u32,
    /// Passes (at least 2).
    pub iterations: u32,
    /// Lanes (1).
    pub parallelism: u32,
}

impl Default for PasswordSettings {
    fn default() -> Self {
        PasswordSettings {
            memory_kib: 64 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// TOTP (动态验证码, RFC 6238).
#[derive(Debug, Clone, Deserialize)]
pub struct TotpSettings {
    /// Issuer shown in authenticator apps.
    #[serde(default = "default_totp_issuer")]
    pub issuer: String,
    /// AES-256-GCM key (base64, 32 bytes) sealing TOTP secrets at rest.
    pub encryption_key: SecretString,
}

fn default_totp_issuer() -> String {
    "xinfang".into()
}

/// Background tasks (后台任务).
#[derive(Debug, Clone, Deserialize)]
pub struct WorkerSettings {
    /// How often ended sessions and old login failures are removed.
    pub cleanup_interval_secs: u64,
    /// Ended sessions are kept this long for review before removal.
    pub keep_ended_sessions_secs: i64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            cleanup_interval_secs: 300,
            keep_ended_sessions_secs: 30 * 24 * 3600,
        }
    }
}
