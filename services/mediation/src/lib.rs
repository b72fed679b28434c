//! Mediation (多元解纷): mediation with the parties' consent before handling. This build records the
//! cases it may be asked to mediate; mediation bodies, mediators, referrals, sessions and agreements
//! come with the mediation issue, and with them `domain/`, `store/` and `workers/`.

pub mod api;
pub mod configuration;
pub mod events;
pub mod startup;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
