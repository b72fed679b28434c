//! The console's signing keys (签名密钥) and their rotation.
//!
//! Keys come from configuration (`console.tokens.signing_keys`: PKCS#8 PEM inline or in a file).
//! Exactly one key is `active` and signs; `next` keys are published before they sign, `retired`
//! keys stay published until every token they signed has expired (`retired_at` + token lifetime +
//! leeway), then drop out of the JWKS by themselves. In `local` only, with no key configured, an
//! in-memory key is generated at start, and the development key (`dev_key_file`) is published too.

use base64::{engine::general_purpose::STANDARD, Engine};
use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::SigningKey;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use secrecy::ExposeSecret;

use xinfang_platform::auth::{dev, Claims, Jwk, Jwks};

use crate::configuration::{KeySettings, KeyState, TokenSettings};

/// The DER prefix of an Ed25519 private key in PKCS#8 v1 (RFC 8410): the 32-byte seed follows.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The kid of the development key (开发密钥).
pub const DEV_KID: &str = dev::DEV_KID;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("signing key {0}: {1}")]
    Key(String, String),
    #[error("token keys: {0}")]
    Config(String),
    #[error("signing failed: {0}")]
    Sign(String),
}

/// One Ed25519 key pair.
#[derive(Clone)]
pub struct KeyPair {
    pub kid: String,
    encoding: EncodingKey,
    pub public_key: [u8; 32],
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair").field("kid", &self.kid).finish()
    }
}

impl KeyPair {
    pub fn from_seed(kid: &str, seed: [u8; 32]) -> KeyPair {
        let signing = SigningKey::from_bytes(&seed);
        let public_key = signing.verifying_key().to_bytes();
        let mut der = PKCS8_ED25519_PREFIX.to_vec();
        der.extend_from_slice(&seed);
        KeyPair {
            kid: kid.to_string(),
            encoding: EncodingKey::from_ed_der(&der),
            public_key,
        }
    }

    pub fn generate(kid: &str) -> KeyPair {
        let mut seed = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut seed);
        KeyPair::from_seed(kid, seed)
    }

    /// Parse a PKCS#8 PEM Ed25519 private key (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pem(kid: &str, pem: &str) -> Result<KeyPair, KeyError> {
        let bad = |m: &str| KeyError::Key(kid.to_string(), m.to_string());
        let body: String = pem
            .lines()
            .map(str::trim)
            .skip_while(|l| *l != "-----BEGIN PRIVATE KEY-----")
            .skip(1)
            .take_while(|l| *l != "-----END PRIVATE KEY-----")
            .collect();
        if body.is_empty() {
            return Err(bad("not a PKCS#8 PEM private key"));
        }
        let der = STANDARD
            .decode(body)
            .map_err(|_| bad("PEM body is not base64"))?;
        let seed = der
            .strip_prefix(&PKCS8_ED25519_PREFIX[..])
            .and_then(|s| <[u8; 32]>::try_from(s).ok())
            .ok_or_else(|| bad("not an Ed25519 PKCS#8 key"))?;
        Ok(KeyPair::from_seed(kid, seed))
    }

    /// The PKCS#8 PEM of a seed (tests and key generation).
    pub fn pem_of_seed(seed: &[u8; 32]) -> String {
        let mut der = PKCS8_ED25519_PREFIX.to_vec();
        der.extend_from_slice(seed);
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            STANDARD.encode(der)
        )
    }

    pub fn jwk(&self) -> Jwk {
        Jwk::ed25519(&self.kid, &self.public_key)
    }

    /// Sign `claims` with this key (header `{"alg":"EdDSA","typ":"JWT","kid":…}`).
    pub fn sign(&self, claims: &Claims) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding)
            .map_err(|e| KeyError::Sign(e.to_string()))
    }
}

#[derive(Debug, Clone)]
struct Published {
    pair: KeyPair,
    /// None: published for as long as it is configured.
    until: Option<DateTime<Utc>>,
}

/// The signing key and every key to publish.
#[derive(Debug, Clone)]
pub struct KeySet {
    active: KeyPair,
    published: Vec<Published>,
    pub dev_key: Option<KeyPair>,
}

impl KeySet {
    /// Build from settings. `production` refuses the development key and generated keys.
    pub fn from_settings(settings: &TokenSettings, production: bool) -> Result<KeySet, KeyError> {
        if settings.access_ttl_secs <= 0 || settings.access_ttl_secs > 300 {
            return Err(KeyError::Config(
                "access_ttl_secs must be within 1..=300 (访问令牌有效期不得超过 5 分钟)".into(),
            ));
        }
        if settings.service_ttl_secs <= 0 || settings.service_ttl_secs > 300 {
            return Err(KeyError::Config(
                "service_ttl_secs must be within 1..=300".into(),
            ));
        }
        let dev_key = match &settings.dev_key_file {
            Some(_) if production => {
                return Err(KeyError::Config(
                    "the development key is configured (console.tokens.dev_key_file) and XINFANG_ENVIRONMENT=production: refusing to start (生产环境不得配置开发密钥)".into(),
                ))
            }
            Some(path) => {
                let pem = std::fs::read_to_string(path).map_err(|e| {
                    KeyError::Config(format!("dev key {}: {e}", path.display()))
                })?;
                Some(KeyPair::from_pem(DEV_KID, &pem)?)
            }
            None => None,
        };
        let lifetime = Duration::seconds(
            settings.access_ttl_secs.max(settings.service_ttl_secs) + settings.leeway_secs as i64,
        );
        let mut active = None;
        let mut published = Vec::new();
        for k in &settings.signing_keys {
            let pair = load_pair(k)?;
            if dev_key
                .as_ref()
                .is_some_and(|d| d.public_key == pair.public_key)
                || (production && dev::is_dev_public_key(&pair.public_key))
            {
                return Err(KeyError::Config(format!(
                    "signing key {} is the development key (签名密钥不得使用开发密钥)",
                    k.kid
                )));
            }
            if published.iter().any(|p: &Published| p.pair.kid == k.kid) {
                return Err(KeyError::Config(format!("duplicate kid {}", k.kid)));
            }
            let until = match k.state {
                KeyState::Active => {
                    if active.is_some() {
                        return Err(KeyError::Config("more than one active signing key".into()));
                    }
                    active = Some(pair.clone());
                    None
                }
                KeyState::Next => None,
                KeyState::Retired => Some(
                    k.retired_at.ok_or_else(|| {
                        KeyError::Config(format!("retired key {} needs retired_at", k.kid))
                    })? + lifetime,
                ),
            };
            published.push(Published { pair, until });
        }
        let active = match active {
            Some(a) => a,
            None if settings.signing_keys.is_empty() && !production => {
                let pair = KeyPair::generate(&format!("local-{}", uuid::Uuid::new_v4().simple()));
                tracing::warn!(kid = %pair.kid, "no signing key configured: generated an in-memory key (local only)");
                published.push(Published { pair: pair.clone(), until: None });
                pair
            }
            None => {
                return Err(KeyError::Config(
                    "no active signing key (console.tokens.signing_keys needs one key with state: active)".into(),
                ))
            }
        };
        if let Some(dev) = &dev_key {
            published.push(Published {
                pair: dev.clone(),
                until: None,
            });
        }
        Ok(KeySet {
            active,
            published,
            dev_key,
        })
    }

    /// The key that signs now.
    pub fn active(&self) -> &KeyPair {
        &self.active
    }

    /// The JWKS as of `now`: every configured key except retired ones past their time.
    pub fn jwks(&self, now: DateTime<Utc>) -> Jwks {
        Jwks {
            keys: self
                .published
                .iter()
                .filter(|p| p.until.is_none_or(|u| now < u))
                .map(|p| p.pair.jwk())
                .collect(),
        }
    }

    pub fn sign(&self, claims: &Claims) -> Result<String, KeyError> {
        self.active.sign(claims)
    }
}

fn load_pair(k: &KeySettings) -> Result<KeyPair, KeyError> {
    let pem = match (&k.private_key_pem, &k.private_key_file) {
        (Some(pem), None) => pem.expose_secret().to_string(),
        (None, Some(path)) => std::fs::read_to_string(path)
            .map_err(|e| KeyError::Key(k.kid.clone(), format!("{}: {e}", path.display())))?,
        _ => {
            return Err(KeyError::Key(
                k.kid.clone(),
                "give exactly one of private_key_pem and private_key_file".into(),
            ))
        }
    };
    KeyPair::from_pem(&k.kid, &pem)
}

/// The development key checked into the repository (`deploy/dev-keys/dev-ed25519.pem`).
pub const DEV_KEY_PEM: &str = include_str!("../../../../deploy/dev-keys/dev-ed25519.pem");

/// The development key pair, for tests and `xinfangctl token`.
pub fn dev_key() -> Result<KeyPair, KeyError> {
    KeyPair::from_pem(DEV_KID, DEV_KEY_PEM)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_round_trips_and_matches_openssl_layout() {
        let seed = [7u8; 32];
        let pem = KeyPair::pem_of_seed(&seed);
        let pair = KeyPair::from_pem("k", &pem).unwrap();
        assert_eq!(pair.public_key, KeyPair::from_seed("k", seed).public_key);
        assert!(KeyPair::from_pem("k", "garbage").is_err());
        assert!(dev_key().is_ok());
    }
}
