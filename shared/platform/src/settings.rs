//! Layered settings (配置): `configuration/base.yaml`, then `configuration/<environment>.yaml`, then
//! `XINFANG_`-prefixed environment variables with `__` for nesting
//! (`XINFANG_DATABASE__HOST=db` sets `database.host`). Secrets are `SecretString` and never print.

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{de::DeserializeOwned, Deserialize};
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use xinfang_messaging::{BrokerSettings, OutboxSettings};

/// Settings every service has.
#[derive(Debug, Clone, Deserialize)]
pub struct PlatformSettings {
    pub application: ApplicationSettings,
    pub database: DatabaseSettings,
    pub broker: BrokerSettings,
    #[serde(default)]
    pub outbox: OutboxSettings,
    pub auth: AuthSettings,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ApplicationSettings {
    pub host: String,
    pub port: u16,
    /// HTTP worker threads; 0 = one per core.
    #[serde(default)]
    pub workers: usize,
    /// Largest accepted JSON body, bytes.
    #[serde(default = "default_json_limit")]
    pub json_limit: usize,
    /// Seconds in-flight requests get to finish on SIGTERM.
    #[serde(default = "default_shutdown_timeout")]
    pub shutdown_timeout_secs: u64,
}

fn default_json_limit() -> usize {
    256 * 1024
}
fn default_shutdown_timeout() -> u64 {
    30
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub host: String,
    pub port: u16,
    pub username: String,
    #[serde(default = "empty_secret")]
    pub password: SecretString,
    pub database_name: String,
    #[serde(default)]
    pub require_ssl: bool,
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
    #[serde(default = "default_acquire_timeout")]
    pub acquire_timeout_secs: u64,
    /// A pooled connection idle at least this long is pinged before it is handed out (连接空闲检测);
    /// one used more recently is not, because the pool already pinged it when it was released.
    /// `0` pings at every acquire (sqlx's default): one more round trip before every statement or
    /// transaction. See `docs/decisions/0022-ping-only-idle-connections.md`.
    #[serde(default = "default_ping_idle_after_ms")]
    pub ping_idle_after_ms: u64,
    /// Create the database at start-up when it does not exist (needs CREATEDB).
    #[serde(default = "default_true")]
    pub create_if_missing: bool,
}

fn empty_secret() -> SecretString {
    SecretString::from("")
}
fn default_max_connections() -> u32 {
    10
}
fn default_acquire_timeout() -> u64 {
    5
}
/// The default of [`DatabaseSettings::ping_idle_after_ms`].
pub const DEFAULT_PING_IDLE_AFTER_MS: u64 = 1000;
fn default_ping_idle_after_ms() -> u64 {
    DEFAULT_PING_IDLE_AFTER_MS
}
fn default_true() -> bool {
    true
}

impl DatabaseSettings {
    pub fn without_db(&self) -> PgConnectOptions {
        let mut o = PgConnectOptions::new()
            .host(&self.host)
            .port(self.port)
            .username(&self.username)
            .ssl_mode(if self.require_ssl {
                PgSslMode::Require
            } else {
                PgSslMode::Prefer
            });
        let pw = self.password.expose_secret();
        if !pw.is_empty() {
            o = o.password(pw);
        }
        o
    }

    pub fn with_db(&self) -> PgConnectOptions {
        self.without_db().database(&self.database_name)
    }
}

/// Bearer-token verification (令牌校验): who issues the tokens, for whom, and where the issuer's
/// public keys come from. A service holds public keys only; see [`crate::auth::trust`].
#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    /// Expected `iss`: the console's `console` issuer name, or an external OpenID Connect
    /// issuer's URL.
    #[serde(default = "default_issuer")]
    pub issuer: String,
    /// Expected `aud`.
    #[serde(default = "default_audience")]
    pub audience: String,
    /// Unit code of the county petition bureau (信访局), whose staff see the whole county.
    #[serde(default = "default_bureau")]
    pub bureau_unit: String,
    /// Clock skew tolerated on `exp`/`nbf`, seconds.
    #[serde(default = "default_leeway")]
    pub leeway_secs: u64,
    /// The issuer's JWKS (`http://console:8086/.well-known/jwks.json`), fetched in the background
    /// from start-up on and refreshed.
    #[serde(default)]
    pub jwks_url: Option<String>,
    /// A JWKS file, re-read at each refresh.
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// Public keys (JWKs) written in the configuration: the development key in `local.yaml`, and
    /// tests'.
    #[serde(default)]
    pub public_keys: Vec<crate::auth::Jwk>,
    /// How often the JWKS is fetched again, seconds.
    #[serde(default = "default_refresh_interval")]
    pub refresh_interval_secs: u64,
    /// Least time between two fetches caused by tokens with an unknown `kid`, seconds.
    #[serde(default = "default_min_refresh_interval")]
    pub min_refresh_interval_secs: u64,
    /// Claim names of an external OpenID Connect issuer (the console's by default).
    #[serde(default)]
    pub claims: ClaimNames,
}

/// Which claims carry a person's unit code and roles (令牌声明名称).
#[derive(Debug, Clone, Deserialize)]
pub struct ClaimNames {
    #[serde(default = "default_unit_claim")]
    pub unit: String,
    #[serde(default = "default_roles_claim")]
    pub roles: String,
}

impl Default for ClaimNames {
    fn default() -> Self {
        ClaimNames {
            unit: default_unit_claim(),
            roles: default_roles_claim(),
        }
    }
}

impl AuthSettings {
    /// Settings that trust `public_keys` only (tests).
    pub fn with_keys(
        issuer: &str,
        audience: &str,
        bureau_unit: &str,
        public_keys: Vec<crate::auth::Jwk>,
    ) -> AuthSettings {
        AuthSettings {
            issuer: issuer.into(),
            audience: audience.into(),
            bureau_unit: bureau_unit.into(),
            leeway_secs: default_leeway(),
            jwks_url: None,
            jwks_file: None,
            public_keys,
            refresh_interval_secs: default_refresh_interval(),
            min_refresh_interval_secs: default_min_refresh_interval(),
            claims: ClaimNames::default(),
        }
    }
}

fn default_issuer() -> String {
    "xinfang".into()
}
fn default_audience() -> String {
    "xinfang".into()
}
fn default_bureau() -> String {
    "140423-XFJ".into()
}
fn default_leeway() -> u64 {
    30
}
fn default_refresh_interval() -> u64 {
    300
}
fn default_min_refresh_interval() -> u64 {
    10
}
fn default_unit_claim() -> String {
    "unit".into()
}
fn default_roles_claim() -> String {
    "roles".into()
}

/// `XINFANG_ENVIRONMENT` (`local` when unset).
pub fn environment() -> String {
    std::env::var("XINFANG_ENVIRONMENT").unwrap_or_else(|_| "local".into())
}

/// Whether this process runs with `XINFANG_ENVIRONMENT=production`.
pub fn is_production() -> bool {
    environment() == "production"
}

#[derive(Debug, thiserror::Error)]
#[error("配置错误 configuration error: {0}")]
pub struct SettingsError(String);

/// The directory that holds `base.yaml`: `XINFANG_CONFIG_DIR`, else `configuration/` under `default`.
pub fn config_dir(default: &Path) -> PathBuf {
    std::env::var_os("XINFANG_CONFIG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| default.join("configuration"))
}

/// The settings of a service that has no options of its own (yet): the platform's.
#[derive(Debug, Clone, Deserialize)]
pub struct ServiceSettings {
    #[serde(flatten)]
    pub platform: PlatformSettings,
}

impl ServiceSettings {
    /// Load from the service's configuration folder (`XINFANG_CONFIG_DIR`, else
    /// `<manifest_dir>/configuration`): call with `env!("CARGO_MANIFEST_DIR")`.
    pub fn load(manifest_dir: &str) -> Result<ServiceSettings, SettingsError> {
        load(&config_dir(Path::new(manifest_dir)))
    }
}

/// Load `T` from the layered sources. The environment name comes from `XINFANG_ENVIRONMENT`
/// (default `local`).
pub fn load<T: DeserializeOwned>(dir: &Path) -> Result<T, SettingsError> {
    let environment = environment();
    let builder = config::Config::builder()
        .add_source(config::File::from(dir.join("base.yaml")).required(true))
        .add_source(config::File::from(dir.join(format!("{environment}.yaml"))).required(false))
        .add_source(
            config::Environment::with_prefix("XINFANG")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true),
        );
    let c = builder.build().map_err(|e| SettingsError(e.to_string()))?;
    c.try_deserialize()
        .map_err(|e| SettingsError(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = DatabaseSettings {
            host: "h".into(),
            port: 5432,
            username: "u".into(),
            password: SecretString::from("super-secret-password"),
            database_name: "d".into(),
            require_ssl: false,
            max_connections: 1,
            acquire_timeout_secs: 1,
            ping_idle_after_ms: DEFAULT_PING_IDLE_AFTER_MS,
            create_if_missing: false,
        };
        assert!(!format!("{s:?}").contains("super-secret"));
    }
}
