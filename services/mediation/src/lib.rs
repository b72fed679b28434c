//! Mediation (多元解纷): mediation with the parties' consent before handling. This build records the cases it may be asked to mediate; sessions and agreements come with the mediation issue.

pub mod configuration;
pub mod events;
pub mod routes;
pub mod startup;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
