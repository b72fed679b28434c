//! Administrative review (行政三级办理): handling, review (复查) and re-review (复核). This build
//! records the cases registered for handling; handling, opinions (处理意见书), delivery and the
//! review ladder come with their own issues, and with them `domain/`, `store/` and `workers/`.

pub mod api;
pub mod configuration;
pub mod events;
pub mod startup;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
