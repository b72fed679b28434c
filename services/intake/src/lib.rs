//! Intake (一口受理): every petition from every channel is registered at one window.

pub mod access;
pub mod configuration;
pub mod domain;
pub mod events;
pub mod registrar;
pub mod repeat;
pub mod routes;
pub mod routing;
pub mod startup;
pub mod state;
pub mod text;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
