//! The development key (开发密钥): an Ed25519 key pair whose private half is checked into the
//! repository (`deploy/dev-keys/dev-ed25519.pem`) so that tests and `xinfangctl token` can mint
//! tokens. Only its public half is here. Services trust it in the `local` environment only (their
//! `local.yaml` lists it under `auth.public_keys`); with `XINFANG_ENVIRONMENT=production` a service
//! refuses to start when it is among the trusted keys, and drops it from a fetched JWKS.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use super::jwks::Jwk;

/// The kid of the development key.
pub const DEV_KID: &str = "xinfang-dev-1";

/// Its public key, base64url (the `x` of its JWK).
pub const DEV_PUBLIC_KEY_X: &str = "wLIML5ABquvVyZV6QZ35VeZx1nb9IaG8AY4mwuTUsnQ";

/// The development key's JWK.
pub fn dev_jwk() -> Jwk {
    Jwk {
        kty: "OKP".into(),
        crv: Some("Ed25519".into()),
        x: Some(DEV_PUBLIC_KEY_X.into()),
        kid: DEV_KID.into(),
        alg: Some("EdDSA".into()),
        use_: Some("sig".into()),
    }
}

/// Is `public_key` the development key (whatever kid it is published under)?
pub fn is_dev_public_key(public_key: &[u8; 32]) -> bool {
    URL_SAFE_NO_PAD.encode(public_key) == DEV_PUBLIC_KEY_X
}

/// Is `jwk` the development key?
pub fn is_dev_key(jwk: &Jwk) -> bool {
    jwk.ed25519_public_key()
        .is_some_and(|k| is_dev_public_key(&k))
}

/// The DER bytes of a one-block PEM document (`-----BEGIN PRIVATE KEY-----` …), for the signers
/// of tests and `xinfangctl token` (`jsonwebtoken::EncodingKey::from_ed_der`).
pub fn pem_der(pem: &str) -> Option<Vec<u8>> {
    let body: String = pem
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("-----"))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok()
}

/// Sign `claims` with the Ed25519 private key in `pem` under the development key id: the one signer
/// of `xinfangctl token` and the test harness, which hold the development key's private half. No
/// service holds a private key, so no service can call this usefully.
pub fn sign_with_dev_key<C: serde::Serialize>(pem: &str, claims: &C) -> Result<String, String> {
    let der = pem_der(pem).ok_or_else(|| "the development key is not PEM".to_string())?;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
    header.kid = Some(DEV_KID.into());
    jsonwebtoken::encode(
        &header,
        claims,
        &jsonwebtoken::EncodingKey::from_ed_der(&der),
    )
    .map_err(|e| e.to_string())
}
