//! Supervision (督查督办): the statutory deadlines of every case, the case timeline, and (in later
//! issues) supervision orders, accountability, assessment and statistics.

pub mod configuration;
pub mod deadlines;
pub mod events;
pub mod findings;
pub mod routes;
pub mod startup;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
