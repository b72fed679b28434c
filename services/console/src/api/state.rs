//! What the handlers share (应用状态): settings, keys, the password hasher, the TOTP sealing box.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::{
    configuration::{ConsoleSettings, Settings},
    domain::{
        keys::KeySet,
        password::{HashCost, PasswordHasher},
        session::SessionPolicy,
        throttle::ThrottlePolicy,
        totp::SecretBox,
        DomainError,
    },
};
use std::sync::Arc;
use xinfang_platform::auth::{Claims, Jwks, TokenType, Verifier, VerifyOptions};

pub struct AppState {
    pub settings: ConsoleSettings,
    pub keys: Arc<KeySet>,
    pub verify: VerifyOptions,
    pub hasher: PasswordHasher,
    pub secrets: SecretBox,
    pub throttle: ThrottlePolicy,
    pub sessions: SessionPolicy,
    pub bureau_unit: String,
}

impl AppState {
    pub fn new(settings: &Settings) -> anyhow::Result<AppState> {
        let c = &settings.console;
        let keys = Arc::new(KeySet::from_settings(&c.tokens, settings.is_production())?);
        let hasher = PasswordHasher::new(HashCost {
            memory_kib: c.password.memory_kib,
            iterations: c.password.iterations,
            parallelism: c.password.parallelism,
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let secrets = SecretBox::new(&c.totp.encryption_key).map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(AppState {
            verify: VerifyOptions::new(
                &settings.platform.auth.issuer,
                &settings.platform.auth.audience,
                c.tokens.leeway_secs,
            ),
            throttle: ThrottlePolicy {
                max_per_account: c.login.max_failures_per_account,
                max_per_address: c.login.max_failures_per_address,
                window: Duration::seconds(c.login.window_secs),
                lockout: Duration::seconds(c.login.lockout_secs),
            },
            sessions: SessionPolicy {
                idle: Duration::seconds(c.sessions.idle_timeout_secs),
                absolute: Duration::seconds(c.sessions.absolute_timeout_secs),
            },
            bureau_unit: settings.platform.auth.bureau_unit.clone(),
            settings: c.clone(),
            keys,
            hasher,
            secrets,
        })
    }

    pub fn jwks(&self, now: DateTime<Utc>) -> Jwks {
        self.keys.jwks(now)
    }

    /// The console's verifier: the platform's, over the keys the console publishes now (nothing
    /// fetched), with the console's leeway.
    pub fn verifier(&self, settings: &Settings) -> anyhow::Result<Verifier> {
        let mut auth = settings.platform.auth.clone();
        auth.leeway_secs = self.settings.tokens.leeway_secs;
        let keys = self.keys.clone();
        Verifier::local(&auth, settings.is_production(), move || {
            keys.jwks(Utc::now())
        })
    }

    /// A person's access token for a session.
    pub fn user_token(
        &self,
        account_id: Uuid,
        unit: &str,
        roles: Vec<String>,
        session_id: Uuid,
    ) -> Result<String, DomainError> {
        let now = Utc::now().timestamp();
        self.sign(&Claims {
            sub: account_id.to_string(),
            typ: TokenType::User,
            unit: Some(unit.to_string()),
            roles,
            scopes: Vec::new(),
            sid: Some(session_id.to_string()),
            iss: self.verify.issuer.clone(),
            aud: self.verify.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + self.settings.tokens.access_ttl_secs,
            jti: Uuid::new_v4().to_string(),
        })
    }

    /// A service identity token.
    pub fn service_token(
        &self,
        client_id: &str,
        scopes: Vec<String>,
    ) -> Result<String, DomainError> {
        let now = Utc::now().timestamp();
        self.sign(&Claims {
            sub: format!("service:{client_id}"),
            typ: TokenType::Service,
            unit: None,
            roles: Vec::new(),
            scopes,
            sid: None,
            iss: self.verify.issuer.clone(),
            aud: self.verify.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + self.settings.tokens.service_ttl_secs,
            jti: Uuid::new_v4().to_string(),
        })
    }

    fn sign(&self, claims: &Claims) -> Result<String, DomainError> {
        self.keys
            .sign(claims)
            .map_err(|e| DomainError::Internal(e.to_string()))
    }
}
