//! Verification of an access token against a JWKS (令牌校验): the function every service will use.
//!
//! Accepted: `alg` exactly `EdDSA` (an allow-list of one; `none`, `HS256` and everything else are
//! refused before any key is looked at, so an HMAC "signed" with the public key bytes never
//! verifies), a `kid` present in the JWKS naming a well-formed Ed25519 key, a valid signature,
//! `iss` and `aud` as expected, `exp` and `nbf` within a small leeway, and the required claims.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::{claims::Claims, jwks::Jwks};

/// What a verifier expects.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub issuer: String,
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, seconds (keep it small: 30 s or less).
    pub leeway_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("令牌格式不正确")]
    Malformed,
    #[error("令牌算法不被接受")]
    Algorithm,
    #[error("令牌签名密钥未知")]
    UnknownKey,
    #[error("令牌签名无效")]
    Signature,
    #[error("令牌已过期")]
    Expired,
    #[error("令牌尚未生效")]
    NotYetValid,
    #[error("令牌签发方或受众不符")]
    WrongIssuerOrAudience,
}

#[derive(Deserialize)]
struct RawHeader {
    alg: Option<String>,
    kid: Option<String>,
}

/// Verify `token` against `jwks`; the claims when it is valid.
pub fn verify(token: &str, jwks: &Jwks, options: &VerifyOptions) -> Result<Claims, VerifyError> {
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::Malformed);
    };
    // Read the header ourselves first: the allow-list is applied to the text of `alg`, whatever
    // the library would make of it.
    let raw = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|_| VerifyError::Malformed)?;
    let header: RawHeader = serde_json::from_slice(&raw).map_err(|_| VerifyError::Malformed)?;
    if header.alg.as_deref() != Some("EdDSA") {
        return Err(VerifyError::Algorithm);
    }
    let kid = header.kid.ok_or(VerifyError::UnknownKey)?;
    let public_key = jwks
        .find(&kid)
        .and_then(|k| k.ed25519_public_key())
        .ok_or(VerifyError::UnknownKey)?;
    let key = DecodingKey::from_ed_der(&public_key);

    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.algorithms = vec![Algorithm::EdDSA];
    validation.leeway = options.leeway_secs;
    validation.validate_exp = true;
    validation.validate_nbf = true;
    validation.set_issuer(&[options.issuer.as_str()]);
    validation.set_audience(&[options.audience.as_str()]);
    validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);

    let data =
        jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => VerifyError::Expired,
            ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
            ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => {
                VerifyError::WrongIssuerOrAudience
            }
            ErrorKind::InvalidSignature => VerifyError::Signature,
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => VerifyError::Algorithm,
            _ => VerifyError::Malformed,
        })?;
    let claims = data.claims;
    if claims.sub.is_empty() || claims.jti.is_empty() {
        return Err(VerifyError::Malformed);
    }
    Ok(claims)
}
