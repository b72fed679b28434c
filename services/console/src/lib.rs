//! Console (管理控制台): the units directory (单位目录), staff accounts (账号), login with argon2id
//! passwords and TOTP, server-side sessions, and the platform's one token issuer: short-lived
//! EdDSA (Ed25519) access tokens whose public keys are published as a JWKS.

pub mod api;
pub mod configuration;
pub mod domain;
pub mod events;
pub mod pages;
pub mod startup;
pub mod store;
pub mod workers;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
