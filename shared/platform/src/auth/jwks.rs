//! The JSON Web Key Set (公钥集合, RFC 7517) of Ed25519 public keys (RFC 8037).

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};

/// `GET /.well-known/jwks.json`
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

/// One public key: `{"kty":"OKP","crv":"Ed25519","x":…,"kid":…,"alg":"EdDSA","use":"sig"}`.
/// Other kinds of key (an external issuer's RSA keys) parse too and are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwk {
    pub kty: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// The 32-byte public key, base64url without padding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    #[serde(default)]
    pub kid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
}

impl Jwk {
    pub fn ed25519(kid: &str, public_key: &[u8; 32]) -> Jwk {
        Jwk {
            kty: "OKP".into(),
            crv: Some("Ed25519".into()),
            x: Some(URL_SAFE_NO_PAD.encode(public_key)),
            kid: kid.into(),
            alg: Some("EdDSA".into()),
            use_: Some("sig".into()),
        }
    }

    /// The raw public key when this is a well-formed Ed25519 signing key (`alg` and `use`, when
    /// given, must be `EdDSA` and `sig`), else `None`.
    pub fn ed25519_public_key(&self) -> Option<[u8; 32]> {
        if self.kty != "OKP"
            || self.crv.as_deref() != Some("Ed25519")
            || self.kid.is_empty()
            || self.alg.as_deref().is_some_and(|a| a != "EdDSA")
            || self.use_.as_deref().is_some_and(|u| u != "sig")
        {
            return None;
        }
        let bytes = URL_SAFE_NO_PAD.decode(self.x.as_deref()?).ok()?;
        <[u8; 32]>::try_from(bytes.as_slice()).ok()
    }
}

impl Jwks {
    pub fn find(&self, kid: &str) -> Option<&Jwk> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// Only the well-formed Ed25519 signing keys.
    pub fn ed25519_only(self) -> Jwks {
        Jwks {
            keys: self
                .keys
                .into_iter()
                .filter(|k| k.ed25519_public_key().is_some())
                .collect(),
        }
    }

    /// Keys of `self`, then those of `other` whose kid is not taken yet.
    pub fn merged(mut self, other: &Jwks) -> Jwks {
        for k in &other.keys {
            if self.find(&k.kid).is_none() {
                self.keys.push(k.clone());
            }
        }
        self
    }
}
