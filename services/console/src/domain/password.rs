//! Passwords (密码): the rules a new password must meet and argon2id hashing.
//!
//! Rules (OWASP ASVS 6.2): 8 to 128 characters, not the login name; no composition rules.
//! Hashing: argon2id with configurable cost, at least m = 19 MiB, t = 2, p = 1; the PHC string
//! carries its own parameters, so raising the cost later leaves old hashes verifiable.

use argon2::{
    password_hash::{phc::PasswordHash, PasswordHasher as _, PasswordVerifier as _},
    Algorithm, Argon2, Params, Version,
};
use secrecy::{ExposeSecret, SecretString};

use super::{account::LoginName, DomainError};

/// A new password that meets the rules. Never printed.
pub struct NewPassword(SecretString);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    pub fn parse(field: &str, s: &str, login: &LoginName) -> Result<NewPassword, DomainError> {
        let n = s.chars().count();
        if n < 8 {
            return Err(DomainError::invalid(field, "密码至少 8 个字符"));
        }
        if n > 128 {
            return Err(DomainError::invalid(field, "密码不超过 128 个字符"));
        }
        if s.trim().to_lowercase() == login.as_str() {
            return Err(DomainError::invalid(field, "密码不能与登录名相同"));
        }
        Ok(NewPassword(SecretString::from(s.to_string())))
    }

    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// The cost of argon2id (哈希参数).
#[derive(Debug, Clone, Copy)]
pub struct HashCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

/// Hashes and verifies passwords with argon2id.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    /// A hash of a random password under the same cost, verified against when the account does
    /// not exist so that the answer takes as long (防止枚举账号).
    dummy: String,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish()
    }
}

impl PasswordHasher {
    pub fn new(cost: HashCost) -> Result<PasswordHasher, DomainError> {
        if cost.memory_kib < 19 * 1024 || cost.iterations < 2 || cost.parallelism < 1 {
            return Err(DomainError::Internal(
                "argon2id cost below the minimum m=19 MiB, t=2, p=1".into(),
            ));
        }
        let params = Params::new(cost.memory_kib, cost.iterations, cost.parallelism, None)
            .map_err(|e| DomainError::Internal(format!("argon2 params: {e}")))?;
        let mut h = PasswordHasher {
            params,
            dummy: String::new(),
        };
        let random = uuid::Uuid::new_v4().to_string();
        h.dummy = h.hash_str(&random)?;
        Ok(h)
    }

    fn argon(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    fn hash_str(&self, password: &str) -> Result<String, DomainError> {
        self.argon()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| DomainError::Internal(format!("argon2 hash: {e}")))
    }

    /// The PHC string (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) of a new password.
    pub fn hash(&self, password: &NewPassword) -> Result<String, DomainError> {
        self.hash_str(password.expose())
    }

    /// Does `password` match `phc`? A malformed stored hash never matches.
    pub fn verify(&self, password: &str, phc: &str) -> bool {
        match PasswordHash::new(phc) {
            Ok(parsed) => self
                .argon()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
            Err(_) => false,
        }
    }

    /// Spend the time of one verification without an account (always false).
    pub fn verify_dummy(&self, password: &str) -> bool {
        let _ = self.verify(password, &self.dummy);
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(HashCost {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        })
        .unwrap()
    }

    #[test]
    fn password_rules() {
        let login = LoginName::parse("zhangsan").unwrap();
        assert!(NewPassword::parse("password", "short", &login).is_err());
        assert!(NewPassword::parse("password", &"x".repeat(129), &login).is_err());
        assert!(NewPassword::parse("password", "ZhangSan", &login).is_err());
        // no composition rules: eight lower-case letters are fine, and so is Chinese text
        assert!(NewPassword::parse("password", "abcdefgh", &login).is_ok());
        assert!(NewPassword::parse("password", "襄垣县信访局密码", &login).is_ok());
        let p = NewPassword::parse("password", "correct horse", &login).unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn hashes_verify_and_carry_argon2id() {
        let h = hasher();
        let login = LoginName::parse("zhangsan").unwrap();
        let p = NewPassword::parse("password", "correct horse", &login).unwrap();
        let phc = h.hash(&p).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(h.verify("correct horse", &phc));
        assert!(!h.verify("wrong horse", &phc));
        assert!(!h.verify("correct horse", "not a hash"));
        assert!(!h.verify_dummy("correct horse"));
    }

    #[test]
    fn costs_below_the_floor_are_refused() {
        assert!(PasswordHasher::new(HashCost {
            memory_kib: 8 * 1024,
            iterations: 2,
            parallelism: 1
        })
        .is_err());
        assert!(PasswordHasher::new(HashCost {
            memory_kib: 19 * 1024,
            iterations: 1,
            parallelism: 1
        })
        .is_err());
    }
}
