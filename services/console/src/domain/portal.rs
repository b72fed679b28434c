//! The petitioner portal's rules (信访人门户): the mobile number a code is sent to, the one-time
//! code (短信验证码) and the keyed hashes under which the console keeps both (decision 0015).

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::DomainError;

/// A mainland mobile number (手机号码), 11 digits `1[3-9]…`, `+86`/spaces allowed on input.
/// `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct MobilePhone(String);

impl std::fmt::Debug for MobilePhone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MobilePhone(***)")
    }
}

impl MobilePhone {
    pub fn parse(s: &str) -> Result<MobilePhone, DomainError> {
        let t: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        let t = t
            .strip_prefix("+86")
            .or_else(|| t.strip_prefix("0086"))
            .unwrap_or(&t)
            .to_string();
        let ok = t.len() == 11
            && t.bytes().all(|b| b.is_ascii_digit())
            && t.starts_with('1')
            && (b'3'..=b'9').contains(&t.as_bytes()[1]);
        if ok {
            Ok(MobilePhone(t))
        } else {
            Err(DomainError::Invalid {
                field: "phone".into(),
                message: "请填写 11 位手机号码（如 13812345678）".into(),
            })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`, for the page that asks for the code.
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

/// A one-time code (验证码): six random digits.
pub fn new_code() -> String {
    let n: u32 = rand::rngs::OsRng.gen_range(0..1_000_000);
    format!("{n:06}")
}

/// The key of the portal's hashes, derived from the console's configured sealing key (the TOTP
/// key, required in production) with its own label, so that the two uses never share a key.
#[derive(Clone)]
pub struct PortalKey([u8; 32]);

impl PortalKey {
    pub fn derive(secret: &[u8]) -> PortalKey {
        let mut h = Sha256::new();
        h.update(b"xinfang-portal-hmac-v1:");
        h.update(secret);
        PortalKey(h.finalize().into())
    }

    fn mac(&self, parts: &[&[u8]]) -> Vec<u8> {
        // A 32-byte key always fits HMAC-SHA256.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return Vec::new();
        };
        for p in parts {
            mac.update(&(p.len() as u32).to_be_bytes());
            mac.update(p);
        }
        mac.finalize().into_bytes().to_vec()
    }

    /// What is kept of a phone number: its HMAC (no table of all numbers can reverse it).
    pub fn phone_hash(&self, phone: &MobilePhone) -> Vec<u8> {
        self.mac(&[b"phone", phone.as_str().as_bytes()])
    }

    /// What is kept of a code: the HMAC of its row and the code.
    pub fn code_hash(&self, id: Uuid, code: &str) -> Vec<u8> {
        self.mac(&[b"code", id.as_bytes(), code.trim().as_bytes()])
    }
}

/// Equal byte strings, compared in constant time for equal lengths.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session key of a portal cookie value: its SHA-256.
pub fn session_hash(cookie_value: &str) -> Vec<u8> {
    Sha256::digest(cookie_value.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_codes_and_hashes() {
        let p = MobilePhone::parse("+86 138 1234 5678").unwrap();
        assert_eq!(p.as_str(), "13812345678");
        assert_eq!(p.masked(), "138****5678");
        assert_eq!(format!("{p:?}"), "MobilePhone(***)");
        assert!(MobilePhone::parse("0355-5551234").is_err());
        assert!(MobilePhone::parse("12812345678").is_err());
        let code = new_code();
        assert_eq!(code.len(), 6);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        let k = PortalKey::derive(b"secret");
        let id = Uuid::now_v7();
        assert!(same_bytes(&k.code_hash(id, &code), &k.code_hash(id, &code)));
        assert!(!same_bytes(
            &k.code_hash(id, &code),
            &k.code_hash(Uuid::now_v7(), &code)
        ));
        assert!(!same_bytes(
            &k.phone_hash(&p),
            &PortalKey::derive(b"other").phone_hash(&p)
        ));
    }
}
