//! Notification (通知送达): every notice the law requires, to petitioners and to units: the
//! registration receipt (登记回执), the acceptance, decline and bar notices (受理/不予受理/不再受理告知书),
//! transfer and assignment notices to the petitioner and to the receiving unit, objections back to the
//! bureau, supervision orders and deadline reminders to units. Delivery channels and proof of delivery
//! (送达回证) come with the notification issue, and with them the delivery workers: there is no
//! `workers/` module until then.

pub mod api;
pub mod configuration;
pub mod domain;
pub mod events;
pub mod startup;
pub mod store;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
