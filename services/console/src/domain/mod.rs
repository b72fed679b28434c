//! Domain (领域): types, rules and state machines of the console. No SQL, no HTTP: newtypes
//! validate on construction, so a value of one of these types is valid wherever it is seen.

pub mod account;
pub mod error;
pub mod keys;
pub mod password;
pub mod portal;
pub mod session;
pub mod throttle;
pub mod totp;
pub mod unit;

pub use error::DomainError;
