//! The keys a service trusts (信任的公钥) and the verifier that uses them.
//!
//! A service holds public keys only, from any of: the issuer's JWKS URL (`auth.jwks_url`, the
//! console's `/.well-known/jwks.json` or an external OpenID Connect issuer's), fetched in the
//! background from start-up on (the service starts even when the issuer is not up yet, and retries)
//! and refreshed every `refresh_interval_secs`; a JWKS file (`auth.jwks_file`, re-read at each
//! refresh); public keys written in the configuration (`auth.public_keys`, tests and `local`).
//! A token with an unknown `kid` makes the verifier fetch at once, at most once per
//! `min_refresh_interval_secs`, so that a key the issuer has just started to use is learnt
//! without waiting for the next round.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{Arc, Mutex, RwLock},
    time::{Duration, Instant},
};

use tokio_util::sync::CancellationToken;

use super::{
    claims::Claims,
    dev,
    jwks::Jwks,
    verify::{verify, VerifyError, VerifyOptions},
};
use crate::settings::AuthSettings;

type LocalKeys = Arc<dyn Fn() -> Jwks + Send + Sync>;

/// Verifies tokens against the trusted keys: see the [module documentation](self).
#[derive(Clone)]
pub struct Verifier {
    inner: Arc<Inner>,
}

struct Inner {
    options: VerifyOptions,
    bureau_unit: String,
    production: bool,
    /// `auth.public_keys`.
    configured: Jwks,
    jwks_url: Option<String>,
    jwks_file: Option<PathBuf>,
    /// The issuer's own keys, read in process (the console).
    local: Option<LocalKeys>,
    /// What the last fetch of the URL and read of the file gave.
    fetched: RwLock<Jwks>,
    /// When an unknown kid last made us fetch.
    last_on_demand: tokio::sync::Mutex<Option<Instant>>,
    refresh_every: Duration,
    min_refresh: Duration,
    http: reqwest::Client,
    /// Tokens verified before (已验证令牌): a clerk sends the same token with every request, and
    /// its signature check is the largest part of authenticating one. See [`Verifier::verify`].
    verified: Mutex<HashMap<String, Verified>>,
}

/// A token that passed verification: its claims, and the key (kid and public key) that verified it.
struct Verified {
    claims: Claims,
    kid: String,
    key_x: Option<String>,
}

/// Most tokens remembered; when full, the memory is emptied and refills with the tokens in use.
const VERIFIED_CAPACITY: usize = 4096;

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.inner.options.issuer)
            .field("jwks_url", &self.inner.jwks_url)
            .finish()
    }
}

impl Verifier {
    /// From `auth.*`. Refuses a configuration with no key source, a malformed configured key, an
    /// unreadable JWKS file, and, when `production`, the development key among the trusted keys.
    pub fn from_settings(settings: &AuthSettings, production: bool) -> anyhow::Result<Verifier> {
        let jwks_url = settings.jwks_url.clone().filter(|u| !u.trim().is_empty());
        let jwks_file = settings
            .jwks_file
            .clone()
            .filter(|p| !p.as_os_str().is_empty());
        if jwks_url.is_none() && jwks_file.is_none() && settings.public_keys.is_empty() {
            anyhow::bail!(
                "auth: no trusted keys (未配置令牌公钥): set auth.jwks_url (the console's /.well-known/jwks.json or an OpenID Connect issuer's JWKS), auth.jwks_file or auth.public_keys"
            );
        }
        for k in &settings.public_keys {
            if k.ed25519_public_key().is_none() {
                anyhow::bail!("auth.public_keys: key {:?} is not an Ed25519 signing key (kty OKP, crv Ed25519, x, kid)", k.kid);
            }
        }
        let configured = Jwks {
            keys: settings.public_keys.clone(),
        };
        let from_file = match &jwks_file {
            Some(path) => read_file(path)?,
            None => Jwks::default(),
        };
        if production
            && (configured.keys.iter().any(dev::is_dev_key)
                || from_file.keys.iter().any(dev::is_dev_key))
        {
            anyhow::bail!(
                "auth: the development key is among the trusted keys and XINFANG_ENVIRONMENT=production: refusing to start (生产环境不得信任开发密钥)"
            );
        }
        let mut v = Verifier::new(settings, production, configured, None)?;
        v.set_sources(jwks_url, jwks_file, from_file);
        Ok(v)
    }

    /// The issuer's own verifier: the keys `local` returns now (the console's published keys), and
    /// nothing fetched.
    pub fn local(
        settings: &AuthSettings,
        production: bool,
        local: impl Fn() -> Jwks + Send + Sync + 'static,
    ) -> anyhow::Result<Verifier> {
        Verifier::new(settings, production, Jwks::default(), Some(Arc::new(local)))
    }

    fn new(
        settings: &AuthSettings,
        production: bool,
        configured: Jwks,
        local: Option<LocalKeys>,
    ) -> anyhow::Result<Verifier> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()?;
        Ok(Verifier {
            inner: Arc::new(Inner {
                options: VerifyOptions {
                    issuer: settings.issuer.clone(),
                    audience: settings.audience.clone(),
                    leeway_secs: settings.leeway_secs,
                    unit_claim: settings.claims.unit.clone(),
                    roles_claim: settings.claims.roles.clone(),
                },
                bureau_unit: settings.bureau_unit.clone(),
                production,
                configured,
                jwks_url: None,
                jwks_file: None,
                local,
                fetched: RwLock::new(Jwks::default()),
                last_on_demand: tokio::sync::Mutex::new(None),
                refresh_every: Duration::from_secs(settings.refresh_interval_secs.max(1)),
                min_refresh: Duration::from_secs(settings.min_refresh_interval_secs),
                http,
                verified: Mutex::new(HashMap::new()),
            }),
        })
    }

    fn set_sources(&mut self, url: Option<String>, file: Option<PathBuf>, from_file: Jwks) {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.jwks_url = url;
            inner.jwks_file = file;
            inner.fetched = RwLock::new(from_file);
        }
    }

    pub fn options(&self) -> &VerifyOptions {
        &self.inner.options
    }

    /// Unit code of the county petition bureau (信访局), whose staff see the whole county.
    pub fn bureau_unit(&self) -> &str {
        &self.inner.bureau_unit
    }

    /// Whether keys are fetched or re-read (a URL or a file is configured).
    pub fn refreshes(&self) -> bool {
        self.inner.jwks_url.is_some() || self.inner.jwks_file.is_some()
    }

    /// Every key trusted now.
    pub fn keys(&self) -> Jwks {
        let mut keys = self.inner.configured.clone();
        if let Some(local) = &self.inner.local {
            keys = keys.merged(&local());
        }
        let fetched = match self.inner.fetched.read() {
            Ok(f) => f.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        keys.merged(&fetched)
    }

    /// Verify a token; on an unknown `kid`, fetch the keys again (rate-limited) and retry once.
    ///
    /// A token verified before is not checked again as long as it is within its validity (`exp`
    /// and `nbf`, with the leeway, checked at every use) and the key that verified it is still
    /// trusted with the same public key: its signature and claims cannot have changed, since the
    /// remembered token is the same text. A refused token is never remembered.
    pub async fn verify(&self, token: &str) -> Result<Claims, VerifyError> {
        let keys = self.keys();
        if let Some(claims) = self.remembered(token, &keys) {
            return Ok(claims);
        }
        let result = match verify(token, &keys, &self.inner.options) {
            Err(VerifyError::UnknownKey) if self.refreshes() => {
                {
                    let mut last = self.inner.last_on_demand.lock().await;
                    let due = last.is_none_or(|t| t.elapsed() >= self.inner.min_refresh);
                    // The kid may have been learnt while this request waited for the lock.
                    let known = key_known(token, &self.keys());
                    if due && !known {
                        *last = Some(Instant::now());
                        if let Err(e) = self.refresh().await {
                            tracing::warn!(error = %e, "token keys: fetch on unknown kid failed");
                        }
                    }
                }
                verify(token, &self.keys(), &self.inner.options)
            }
            other => other,
        };
        if let Ok(claims) = &result {
            self.remember(token, claims);
        }
        result
    }

    /// The claims of a token verified before, if it is still within its validity and its key is
    /// still trusted as it was.
    fn remembered(&self, token: &str, keys: &Jwks) -> Option<Claims> {
        let mut verified = self.inner.verified.lock().ok()?;
        let v = verified.get(token)?;
        let now = chrono::Utc::now().timestamp();
        let leeway = self.inner.options.leeway_secs as i64;
        let same_key = keys.find(&v.kid).map(|k| &k.x) == Some(&v.key_x);
        if same_key && now <= v.claims.exp + leeway && v.claims.nbf <= now + leeway {
            return Some(v.claims.clone());
        }
        // Expired, not yet valid or its key withdrawn: verified again, and refused with the reason.
        verified.remove(token);
        None
    }

    fn remember(&self, token: &str, claims: &Claims) {
        let Ok(kid) = super::verify::key_id(token) else {
            return;
        };
        let Some(key_x) = self.keys().find(&kid).map(|k| k.x.clone()) else {
            return;
        };
        if let Ok(mut verified) = self.inner.verified.lock() {
            if verified.len() >= VERIFIED_CAPACITY {
                verified.clear();
            }
            verified.insert(
                token.to_string(),
                Verified {
                    claims: claims.clone(),
                    kid,
                    key_x,
                },
            );
        }
    }

    /// Fetch the JWKS URL and re-read the JWKS file now.
    pub async fn refresh(&self) -> anyhow::Result<()> {
        let mut keys = Jwks::default();
        if let Some(url) = &self.inner.jwks_url {
            let fetched: Jwks = self
                .inner
                .http
                .get(url)
                .send()
                .await?
                .error_for_status()?
                .json()
                .await?;
            keys = keys.merged(&fetched.ed25519_only());
        }
        if let Some(path) = &self.inner.jwks_file {
            keys = keys.merged(&read_file(path)?);
        }
        if self.inner.production && keys.keys.iter().any(dev::is_dev_key) {
            tracing::error!(
                "token keys: the issuer publishes the development key; not trusted in production"
            );
            keys.keys.retain(|k| !dev::is_dev_key(k));
        }
        tracing::debug!(keys = keys.keys.len(), "token keys refreshed");
        match self.inner.fetched.write() {
            Ok(mut f) => *f = keys,
            Err(poisoned) => *poisoned.into_inner() = keys,
        }
        Ok(())
    }

    /// The background refresh (a runner worker): fetch at once, retrying with back-off until the
    /// issuer answers, then every `refresh_interval_secs`, until `stop`.
    pub async fn run_refresh(self, stop: CancellationToken) {
        if !self.refreshes() {
            return;
        }
        let mut backoff = Duration::from_millis(250);
        loop {
            let pause = match self.refresh().await {
                Ok(()) => {
                    backoff = Duration::from_millis(250);
                    self.inner.refresh_every
                }
                Err(e) => {
                    tracing::warn!(error = %e, url = ?self.inner.jwks_url, retry_in = ?backoff, "token keys: fetch failed (the issuer may not be up yet)");
                    let pause = backoff;
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    pause
                }
            };
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(pause) => {}
            }
        }
    }
}

fn key_known(token: &str, keys: &Jwks) -> bool {
    super::verify::key_id(token).is_ok_and(|kid| keys.find(&kid).is_some())
}

fn read_file(path: &Path) -> anyhow::Result<Jwks> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("auth.jwks_file {}: {e}", path.display()))?;
    let jwks: Jwks = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("auth.jwks_file {}: {e}", path.display()))?;
    Ok(jwks.ed25519_only())
}
