//! Notification (通知送达): every notice the law requires, to petitioners and to units, as text and
//! as a printable A4 PDF (`pdf`), from versioned templates (`domain::catalog`, `store::templates`);
//! delivered by SMS, e-mail, printed letter, in person, the petitioner's online self-service and
//! the units' inbox (`channels`, `workers::dispatcher`), each (notice, channel) at most once, with
//! proof of delivery (送达回证) published as `notification.notice.delivered.v1`; and the
//! petitioner's self-service with the query code (查询码) and the satisfaction rating.

pub mod api;
pub mod archive;
pub mod channels;
pub mod configuration;
pub mod domain;
pub mod events;
pub mod pdf;
pub mod startup;
pub mod store;
pub mod workers;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
