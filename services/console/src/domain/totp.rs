//! TOTP (动态验证码, RFC 6238): 6 digits, 30-second steps, SHA-1 (what authenticator apps use),
//! one step of skew either way; a code's step is remembered so that it cannot be used twice.
//! Secrets are sealed at rest with AES-256-GCM, bound to their account by the associated data.

use aes_gcm::{
    aead::{Aead, KeyInit, Payload},
    Aes256Gcm, Nonce,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use totp_rs::{Algorithm, Builder, Secret, Totp};
use uuid::Uuid;

use super::DomainError;

/// A TOTP secret (20 random bytes). Never printed.
pub struct TotpSecret(Vec<u8>);

impl std::fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

impl TotpSecret {
    pub fn generate() -> TotpSecret {
        let mut b = vec![0u8; 20];
        rand::rngs::OsRng.fill_bytes(&mut b);
        TotpSecret(b)
    }

    pub fn from_bytes(b: Vec<u8>) -> TotpSecret {
        TotpSecret(b)
    }

    /// The secret as an authenticator app is given it (Base32, spaces allowed), e.g. typed in by
    /// hand.
    pub fn from_base32(s: &str) -> Result<TotpSecret, DomainError> {
        let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let bytes = Secret::try_from_base32(compact.to_uppercase())
            .map_err(|_| DomainError::invalid("secret", "密钥格式有误（应为 Base32）"))?
            .to_vec();
        if bytes.len() < 16 {
            return Err(DomainError::invalid("secret", "密钥过短"));
        }
        Ok(TotpSecret(bytes))
    }

    pub fn base32(&self) -> String {
        Secret::from(self.0.clone()).to_base32()
    }

    fn totp(&self, issuer: &str, account: &str) -> Result<Totp, DomainError> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_step_duration(30)
            .with_skew(1)
            .with_secret(self.0.clone())
            .with_issuer(Some(issuer.replace(':', " ")))
            .with_account_name(account.replace(':', " "))
            .build()
            .map_err(|e| DomainError::Internal(format!("totp: {e}")))
    }

    /// The `otpauth://` URL an authenticator app reads (usually from a QR code).
    pub fn url(&self, issuer: &str, account: &str) -> Result<String, DomainError> {
        self.totp(issuer, account)?
            .to_url()
            .map_err(|e| DomainError::Internal(format!("totp url: {e}")))
    }

    /// The step (time / 30) of `code` if it is valid at `unix_time` and newer than `last_step`.
    pub fn check(&self, code: &str, unix_time: u64, last_step: Option<i64>) -> Option<i64> {
        let code = code.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let totp = self.totp("x", "x").ok()?;
        let step = i64::try_from(totp.check(code, unix_time)?).ok()?;
        match last_step {
            Some(last) if step <= last => None,
            _ => Some(step),
        }
    }

    /// The code at `unix_time` (tests and the enrolment self-check).
    pub fn code_at(&self, unix_time: u64) -> Result<String, DomainError> {
        Ok(self.totp("x", "x")?.generate(unix_time).to_string())
    }
}

/// Seals TOTP secrets (加密存储) with AES-256-GCM: `nonce ‖ ciphertext`, AAD = `totp:<account id>`.
#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(***)")
    }
}

impl SecretBox {
    pub fn new(key_b64: &SecretString) -> Result<SecretBox, DomainError> {
        let key = STANDARD
            .decode(key_b64.expose_secret().trim())
            .map_err(|_| {
                DomainError::Internal("console.totp.encryption_key is not base64".into())
            })?;
        if key.len() != 32 {
            return Err(DomainError::Internal(
                "console.totp.encryption_key must be 32 bytes (base64)".into(),
            ));
        }
        let cipher = Aes256Gcm::new_from_slice(&key)
            .map_err(|_| DomainError::Internal("bad AES key".into()))?;
        Ok(SecretBox { cipher })
    }

    fn aad(account: Uuid) -> Vec<u8> {
        format!("totp:{account}").into_bytes()
    }

    pub fn seal(&self, account: Uuid, secret: &TotpSecret) -> Result<Vec<u8>, DomainError> {
        let mut nonce = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let aad = SecretBox::aad(account);
        let ct = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: &secret.0,
                    aad: &aad,
                },
            )
            .map_err(|_| DomainError::Internal("totp seal".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(out)
    }

    pub fn open(&self, account: Uuid, sealed: &[u8]) -> Result<TotpSecret, DomainError> {
        if sealed.len() < 12 + 16 {
            return Err(DomainError::Internal("sealed totp secret too short".into()));
        }
        let (nonce, ct) = sealed.split_at(12);
        let nonce: [u8; 12] = nonce
            .try_into()
            .map_err(|_| DomainError::Internal("sealed totp nonce".into()))?;
        let aad = SecretBox::aad(account);
        self.cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: ct, aad: &aad })
            .map(TotpSecret)
            .map_err(|_| DomainError::Internal("totp secret does not open".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_check_once_within_skew() {
        let s = TotpSecret::generate();
        let t = 1_760_000_000u64;
        let code = s.code_at(t).unwrap();
        let step = s.check(&code, t, None).unwrap();
        assert_eq!(step as u64, t / 30);
        assert_eq!(s.check(&code, t + 30, None), Some(step)); // one step of skew
        assert_eq!(s.check(&code, t + 90, None), None);
        assert_eq!(s.check(&code, t, Some(step)), None); // replay
        assert_eq!(s.check("12345", t, None), None);
        assert!(s
            .url("襄垣县信访平台", "zhangsan")
            .unwrap()
            .starts_with("otpauth://totp/"));
    }

    #[test]
    fn a_secret_survives_its_base32_form_as_shown_in_groups() {
        let s = TotpSecret::generate();
        let shown = s
            .base32()
            .as_bytes()
            .chunks(4)
            .map(|c| std::str::from_utf8(c).unwrap().to_lowercase())
            .collect::<Vec<_>>()
            .join(" ");
        let back = TotpSecret::from_base32(&shown).unwrap();
        assert_eq!(
            back.code_at(1_760_000_000).unwrap(),
            s.code_at(1_760_000_000).unwrap()
        );
        assert!(TotpSecret::from_base32("not base32 !").is_err());
        assert!(TotpSecret::from_base32("JBSWY3DP").is_err()); // 5 bytes: too short
    }

    #[test]
    fn rfc6238_sha1_vector() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", T = 59 → 94287082 (8 digits);
        // with 6 digits the code is the last six.
        let s = TotpSecret::from_bytes(b"12345678901234567890".to_vec());
        assert_eq!(s.code_at(59).unwrap(), "287082");
    }

    #[test]
    fn sealed_secrets_open_only_for_their_account() {
        let key = SecretString::from(STANDARD.encode([9u8; 32]));
        let b = SecretBox::new(&key).unwrap();
        let s = TotpSecret::generate();
        let a = Uuid::new_v4();
        let sealed = b.seal(a, &s).unwrap();
        assert_eq!(b.open(a, &sealed).unwrap().0, s.0);
        assert!(b.open(Uuid::new_v4(), &sealed).is_err());
        assert!(SecretBox::new(&SecretString::from("short")).is_err());
    }
}
