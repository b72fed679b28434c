//! Intake (一口受理): every petition from every channel is registered at one window.

pub mod api;
pub mod configuration;
pub mod domain;
pub mod events;
pub mod startup;
pub mod store;
pub mod workers;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
