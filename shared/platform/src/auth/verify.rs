//! Verification of an access token against a JWKS (令牌校验): the one function every service uses.
//!
//! Accepted: `alg` exactly `EdDSA` (an allow-list of one: `none`, `HS256` and everything else are
//! refused before any key is looked at, so an HMAC "signed" with the public key bytes never
//! verifies), a `kid` present in the JWKS naming a well-formed Ed25519 key, a valid signature,
//! `iss` and `aud` as expected, `exp` (required) and `nbf` within a small leeway, and `sub`.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use jsonwebtoken::{errors::ErrorKind, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::{
    claims::{Claims, TokenType},
    jwks::Jwks,
};

/// What a verifier expects.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    pub issuer: String,
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, seconds (keep it small: 30 s or less).
    pub leeway_secs: u64,
    /// Claim that carries a person's unit code (`unit` for the console; an external OpenID Connect
    /// issuer names its own).
    pub unit_claim: String,
    /// Claim that carries a person's roles (an array of names, or one space-separated string).
    pub roles_claim: String,
}

impl VerifyOptions {
    /// The console's claim names.
    pub fn new(issuer: &str, audience: &str, leeway_secs: u64) -> VerifyOptions {
        VerifyOptions {
            issuer: issuer.into(),
            audience: audience.into(),
            leeway_secs,
            unit_claim: "unit".into(),
            roles_claim: "roles".into(),
        }
    }
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

/// The `kid` of a token whose header asks for EdDSA (the only algorithm accepted).
pub fn key_id(token: &str) -> Result<String, VerifyError> {
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
    header.kid.ok_or(VerifyError::UnknownKey)
}

/// Verify `token` against `jwks`; the claims when it is valid.
pub fn verify(token: &str, jwks: &Jwks, options: &VerifyOptions) -> Result<Claims, VerifyError> {
    let kid = key_id(token)?;
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
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);

    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).map_err(
        |e| match e.kind() {
            ErrorKind::ExpiredSignature => VerifyError::Expired,
            ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
            ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => {
                VerifyError::WrongIssuerOrAudience
            }
            ErrorKind::InvalidSignature => VerifyError::Signature,
            ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => VerifyError::Algorithm,
            _ => VerifyError::Malformed,
        },
    )?;
    read_claims(data.claims, options)
}

/// The claims in the console's shape, read with the configured claim names.
fn read_claims(mut c: Map<String, Value>, options: &VerifyOptions) -> Result<Claims, VerifyError> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let list = |v: Option<&Value>| -> Result<Vec<String>, VerifyError> {
        match v {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(s.split_whitespace().map(str::to_string).collect()),
            Some(Value::Array(a)) => a
                .iter()
                .map(|x| x.as_str().map(str::to_string).ok_or(VerifyError::Malformed))
                .collect(),
            Some(_) => Err(VerifyError::Malformed),
        }
    };
    let int = |v: Option<&Value>| v.and_then(Value::as_i64);
    let typ = match c.get("typ").and_then(Value::as_str) {
        None | Some("user") => TokenType::User,
        Some("service") => TokenType::Service,
        Some(_) => return Err(VerifyError::Malformed),
    };
    let sub = text(c.get("sub")).ok_or(VerifyError::Malformed)?;
    if sub.is_empty() {
        return Err(VerifyError::Malformed);
    }
    let scopes = match c.get("scopes") {
        Some(v) => list(Some(v))?,
        None => list(c.get("scope"))?,
    };
    let claims = Claims {
        typ,
        unit: text(c.get(&options.unit_claim)).filter(|u| !u.is_empty()),
        roles: list(c.get(&options.roles_claim))?,
        scopes,
        sid: text(c.get("sid")),
        iss: text(c.get("iss")).ok_or(VerifyError::Malformed)?,
        // Validated above to contain the expected audience (a string or an array).
        aud: options.audience.clone(),
        iat: int(c.get("iat")).unwrap_or(0),
        nbf: int(c.get("nbf")).unwrap_or(0),
        exp: int(c.get("exp")).ok_or(VerifyError::Malformed)?,
        jti: text(c.remove("jti").as_ref()).unwrap_or_default(),
        sub,
    };
    Ok(claims)
}
