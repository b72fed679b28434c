//! Intake (一口受理): every petition from every channel is registered at one window.

pub mod configuration;
pub mod domain;
pub mod events;
pub mod routes;
pub mod startup;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
