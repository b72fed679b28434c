//! Notification (通知送达): every notice the law requires, to petitioners and to units. This build
//! records the registration receipt (登记回执) for each named petitioner; channels, delivery and
//! proof of delivery come with the notification issue.

pub mod configuration;
pub mod events;
pub mod notices;
pub mod routes;
pub mod startup;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
