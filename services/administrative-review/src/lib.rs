//! Administrative review (行政三级办理, 《信访工作条例》第三十一条第六项至第三十七条): handling (办理)
//! with its entries and extension (延期), opinions (意见书) drafted, approved and issued, delivery
//! (送达) that anchors the petitioner's windows, review (复查) and re-review (复核) by the organ above
//! with hearings (听证), closure (实体性 / 程序性办结), finality (终结), implementation (落实),
//! follow-up (后续工作) and referrals. Supervision keeps every clock; this service never computes a
//! due date, it reads the ones supervision projects (`supervision.deadline.projected.v1`).

pub mod api;
pub mod configuration;
pub mod domain;
pub mod events;
pub mod startup;
pub mod store;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
