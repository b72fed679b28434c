//! Administrative review (行政三级办理): handling, review and re-review. This build records the cases registered for handling; the handling ladder comes with its own issue.

pub mod configuration;
pub mod events;
pub mod routes;
pub mod startup;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
