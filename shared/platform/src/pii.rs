//! Personal data protection (个人信息保护): identity numbers, phone numbers and addresses are
//! encrypted at rest with AES-256-GCM, found through a keyed blind index (HMAC-SHA256), and shown
//! masked (`140423********1234`, `138****5678`) to everyone without the right to see them in full.
//!
//! - Ciphertext layout: `nonce (12 bytes) ‖ ciphertext ‖ tag (16 bytes)`, stored beside the key
//!   version that sealed it, so keys can rotate: the current key seals, older keys still open.
//! - The additional authenticated data binds a ciphertext to its table, column and row id
//!   ([`Aad`]): a value copied to another row or column no longer opens.
//! - The blind index is `HMAC-SHA256(blind_index_key, kind ‖ 0x00 ‖ normalized value)`; the kind
//!   (`id_number`, `phone`) separates domains, so equal digits in different kinds do not match.
//! - No type here derives `Debug` over a plaintext or a key: [`PlainPii`] prints `***`.

use std::collections::HashMap;

use aes_gcm::{
    aead::{Aead, KeyInit, Payload},
    Aes256Gcm, Nonce,
};
use base64::{engine::general_purpose::STANDARD, Engine};
use hmac::{Hmac, Mac};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

const NONCE_LEN: usize = 12;

/// Configuration (`<service>.pii`): keys are base64 of 32 random bytes.
#[derive(Clone, Deserialize)]
pub struct PiiSettings {
    /// AES-256-GCM key (base64, 32 bytes) that seals new values.
    pub encryption_key: SecretString,
    /// Version of `encryption_key`, stored with every ciphertext.
    pub key_version: i16,
    /// HMAC key of the blind index (base64, at least 32 bytes). Changing it requires re-indexing.
    pub blind_index_key: SecretString,
    /// Retired keys that still open older ciphertexts. A list in YAML; from the environment, where
    /// lists cannot be written, `XINFANG_<SERVICE>__PII__PREVIOUS_KEYS__0__VERSION` / `__0__KEY`
    /// (a map keyed by position, read as a list).
    #[serde(default, deserialize_with = "list_or_indexed_map")]
    pub previous_keys: Vec<PreviousKey>,
}

impl std::fmt::Debug for PiiSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PiiSettings")
            .field("key_version", &self.key_version)
            .field("previous_keys", &self.previous_keys.len())
            .finish_non_exhaustive()
    }
}

/// A list, or a map whose keys are positions (`0`, `1`, ...) as environment variables give it.
fn list_or_indexed_map<'de, D>(deserializer: D) -> Result<Vec<PreviousKey>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    struct ListOrMap;
    impl<'de> serde::de::Visitor<'de> for ListOrMap {
        type Value = Vec<PreviousKey>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a list of {version, key}, or a map keyed 0, 1, ...")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some(k) = seq.next_element::<PreviousKey>()? {
                out.push(k);
            }
            Ok(out)
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(
            self,
            mut map: A,
        ) -> Result<Self::Value, A::Error> {
            let mut out = std::collections::BTreeMap::new();
            while let Some((position, k)) = map.next_entry::<String, PreviousKey>()? {
                let position: usize = position.parse().map_err(|_| {
                    serde::de::Error::custom(format!(
                        "previous_keys: '{position}' is not a position (0, 1, ...)"
                    ))
                })?;
                out.insert(position, k);
            }
            Ok(out.into_values().collect())
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(Vec::new())
        }
    }
    deserializer.deserialize_any(ListOrMap)
}

#[derive(Clone, Deserialize)]
pub struct PreviousKey {
    pub version: i16,
    pub key: SecretString,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PiiError {
    #[error("个人信息密钥配置错误：{0}")]
    Config(String),
    #[error("个人信息加密失败")]
    Seal,
    #[error("个人信息解密失败（密钥版本 {0}）")]
    Open(i16),
    #[error("未知的个人信息密钥版本 {0}")]
    UnknownKeyVersion(i16),
}

/// A plaintext personal value. Its `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct PlainPii(String);

impl PlainPii {
    pub fn new(value: impl Into<String>) -> PlainPii {
        PlainPii(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PlainPii {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainPii(***)")
    }
}

/// What a ciphertext is bound to: table, column and row id.
#[derive(Debug, Clone, Copy)]
pub struct Aad<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row_id: Uuid,
}

impl Aad<'_> {
    fn bytes(&self) -> Vec<u8> {
        format!("xinfang:{}:{}:{}", self.table, self.column, self.row_id).into_bytes()
    }
}

/// A sealed value and the key version that sealed it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sealed {
    pub key_version: i16,
    pub bytes: Vec<u8>,
}

/// The keys, ready to use. Cheap to clone behind an `Arc`.
pub struct PiiVault {
    key_version: i16,
    ciphers: HashMap<i16, Aes256Gcm>,
    blind_key: Vec<u8>,
}

impl std::fmt::Debug for PiiVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PiiVault")
            .field("key_version", &self.key_version)
            .finish_non_exhaustive()
    }
}

fn decode_key(name: &str, s: &SecretString, min: usize) -> Result<Vec<u8>, PiiError> {
    let raw = STANDARD
        .decode(s.expose_secret().trim())
        .map_err(|_| PiiError::Config(format!("{name} 不是有效的 base64")))?;
    if raw.len() < min {
        return Err(PiiError::Config(format!("{name} 至少需要 {min} 字节")));
    }
    Ok(raw)
}

fn cipher(name: &str, s: &SecretString) -> Result<Aes256Gcm, PiiError> {
    let raw = decode_key(name, s, 32)?;
    if raw.len() != 32 {
        return Err(PiiError::Config(format!("{name} 必须恰为 32 字节")));
    }
    <Aes256Gcm as KeyInit>::new_from_slice(&raw).map_err(|_| PiiError::Config(name.into()))
}

impl PiiVault {
    pub fn new(settings: &PiiSettings) -> Result<PiiVault, PiiError> {
        let mut ciphers = HashMap::new();
        for k in &settings.previous_keys {
            ciphers.insert(k.version, cipher("pii.previous_keys", &k.key)?);
        }
        ciphers.insert(
            settings.key_version,
            cipher("pii.encryption_key", &settings.encryption_key)?,
        );
        let blind_key = decode_key("pii.blind_index_key", &settings.blind_index_key, 32)?;
        Ok(PiiVault {
            key_version: settings.key_version,
            ciphers,
            blind_key,
        })
    }

    pub fn key_version(&self) -> i16 {
        self.key_version
    }

    /// Encrypt with the current key.
    pub fn seal(&self, value: &PlainPii, aad: Aad<'_>) -> Result<Sealed, PiiError> {
        let cipher = &self.ciphers[&self.key_version];
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let ct = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: value.0.as_bytes(),
                    aad: &aad.bytes(),
                },
            )
            .map_err(|_| PiiError::Seal)?;
        let mut bytes = Vec::with_capacity(NONCE_LEN + ct.len());
        bytes.extend_from_slice(&nonce);
        bytes.extend_from_slice(&ct);
        Ok(Sealed {
            key_version: self.key_version,
            bytes,
        })
    }

    /// Decrypt with the key version that sealed it; fails if the value was moved or altered.
    pub fn open(&self, key_version: i16, bytes: &[u8], aad: Aad<'_>) -> Result<PlainPii, PiiError> {
        let cipher = self
            .ciphers
            .get(&key_version)
            .ok_or(PiiError::UnknownKeyVersion(key_version))?;
        if bytes.len() < NONCE_LEN + 16 {
            return Err(PiiError::Open(key_version));
        }
        let (nonce, ct) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| PiiError::Open(key_version))?;
        let plain = cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ct,
                    aad: &aad.bytes(),
                },
            )
            .map_err(|_| PiiError::Open(key_version))?;
        String::from_utf8(plain)
            .map(PlainPii)
            .map_err(|_| PiiError::Open(key_version))
    }

    /// Keyed blind index of a normalized value of one kind (`id_number`, `phone`).
    // Cannot fail: HMAC takes a key of any length.
    #[allow(clippy::expect_used)]
    pub fn blind_index(&self, kind: &str, normalized: &str) -> Vec<u8> {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.blind_key).expect("any key length");
        mac.update(kind.as_bytes());
        mac.update(&[0]);
        mac.update(normalized.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }
}

/// `140423199001011234` → `140423********1234`: the division code and the last four stay.
pub fn mask_id_number(value: &str) -> String {
    mask_keep(value, 6, 4)
}

/// `13812345678` → `138****5678`; a landline keeps its area code and last four digits.
pub fn mask_phone(value: &str) -> String {
    if let Some((area, number)) = value.split_once('-') {
        let rest = mask_keep(number, 0, 4);
        return format!("{area}-{rest}");
    }
    mask_keep(value, 3, 4)
}

fn mask_keep(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    chars
        .iter()
        .enumerate()
        .map(|(i, c)| {
            if i < head || i >= chars.len() - tail {
                *c
            } else {
                '*'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> SecretString {
        SecretString::from(STANDARD.encode([b; 32]))
    }

    fn settings() -> PiiSettings {
        PiiSettings {
            encryption_key: key(1),
            key_version: 2,
            blind_index_key: key(9),
            previous_keys: vec![PreviousKey {
                version: 1,
                key: key(3),
            }],
        }
    }

    fn aad(id: Uuid) -> Aad<'static> {
        Aad {
            table: "petitioners",
            column: "id_number",
            row_id: id,
        }
    }

    #[test]
    fn sealed_values_open_only_in_their_place() {
        let v = PiiVault::new(&settings()).unwrap();
        let id = Uuid::now_v7();
        let plain = PlainPii::new("140423199001011234");
        let s = v.seal(&plain, aad(id)).unwrap();
        assert_eq!(s.key_version, 2);
        assert!(!s.bytes.windows(6).any(|w| w == b"140423"));
        assert_eq!(v.open(2, &s.bytes, aad(id)).unwrap(), plain);
        // Another row, another column, a flipped bit: refused.
        assert!(v.open(2, &s.bytes, aad(Uuid::now_v7())).is_err());
        let other_col = Aad {
            column: "phone",
            ..aad(id)
        };
        assert!(v.open(2, &s.bytes, other_col).is_err());
        let mut tampered = s.bytes.clone();
        tampered[20] ^= 1;
        assert!(v.open(2, &tampered, aad(id)).is_err());
        assert_eq!(
            v.open(7, &s.bytes, aad(id)),
            Err(PiiError::UnknownKeyVersion(7))
        );
        // Two seals of the same value differ (random nonce).
        assert_ne!(v.seal(&plain, aad(id)).unwrap().bytes, s.bytes);
    }

    #[test]
    fn previous_keys_still_open() {
        let old = PiiVault::new(&PiiSettings {
            encryption_key: key(3),
            key_version: 1,
            previous_keys: vec![],
            ..settings()
        })
        .unwrap();
        let id = Uuid::now_v7();
        let s = old.seal(&PlainPii::new("13812345678"), aad(id)).unwrap();
        let current = PiiVault::new(&settings()).unwrap();
        assert_eq!(
            current.open(1, &s.bytes, aad(id)).unwrap().expose(),
            "13812345678"
        );
    }

    #[test]
    fn blind_index_is_keyed_and_separates_kinds() {
        let v = PiiVault::new(&settings()).unwrap();
        let a = v.blind_index("phone", "13812345678");
        assert_eq!(a, v.blind_index("phone", "13812345678"));
        assert_ne!(a, v.blind_index("id_number", "13812345678"));
        let other = PiiVault::new(&PiiSettings {
            blind_index_key: key(8),
            ..settings()
        })
        .unwrap();
        assert_ne!(a, other.blind_index("phone", "13812345678"));
    }

    #[test]
    fn bad_keys_are_refused_and_nothing_prints() {
        let bad = PiiSettings {
            encryption_key: SecretString::from("c2hvcnQ="),
            ..settings()
        };
        assert!(matches!(PiiVault::new(&bad), Err(PiiError::Config(_))));
        let dbg = format!("{:?} {:?}", settings(), PlainPii::new("13812345678"));
        assert!(!dbg.contains("1381234"), "{dbg}");
        assert!(!dbg.contains(&STANDARD.encode([1u8; 32])), "{dbg}");
    }

    #[test]
    fn masks() {
        assert_eq!(mask_id_number("140423199001011234"), "140423********1234");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("0355-5551234"), "0355-***1234");
        assert_eq!(mask_phone("123"), "***");
    }
}
