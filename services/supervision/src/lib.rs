//! Supervision (督查督办): the statutory deadlines of every case and their timers, assessment
//! findings, the case timeline, oversight (orders, leaders, campaigns, recommendations,
//! accountability, order maintenance) and statistics.

pub mod api;
pub mod configuration;
pub mod deadlines;
pub mod domain;
pub mod events;
pub mod findings;
pub mod mediation;
pub mod oversight;
pub mod startup;
pub mod statistics;
pub mod store;
pub mod timeline;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
