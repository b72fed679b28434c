//! Tokens (令牌): claims, the JWKS document, verification, and the console's signing keys.
//!
//! `claims`, `jwks` and `verify` depend on `jsonwebtoken`, `serde` and `base64` only, so that they
//! can move into `shared/platform` unchanged when every service verifies with the JWKS; `keys` is
//! the issuer's side and stays in the console.

pub mod claims;
pub mod jwks;
pub mod keys;
pub mod verify;

pub use claims::{Claims, TokenType};
pub use jwks::{Jwk, Jwks};
pub use keys::{KeyError, KeySet};
pub use verify::{verify, VerifyError, VerifyOptions};
