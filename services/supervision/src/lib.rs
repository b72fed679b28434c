//! Supervision (督查督办): the statutory deadlines of every case, the case timeline, and (in later
//! issues) supervision orders, accountability, assessment and statistics.

pub mod clocks;
pub mod configuration;
pub mod deadlines;
pub mod events;
pub mod findings;
pub mod reload;
pub mod routes;
pub mod startup;
pub mod timers;
// Oversight: orders, leaders, campaigns, recommendations, accountability, order maintenance,
// statistics and reports.
pub mod accountability;
pub mod campaigns;
pub mod leaders;
pub mod order_maintenance;
pub mod orders;
pub mod oversight;
pub mod read_models;
pub mod recommendations;
pub mod reports;
pub mod statistics;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
