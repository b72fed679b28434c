//! Mediation (多元解纷): the directory of mediation bodies and mediators; referral of a petition (at
//! acceptance or during handling) or of a dispute before it becomes a petition (源头预防), only with
//! each party's recorded consent; the mediator suggestion and recusal (回避); sessions without
//! double booking; agreements (调解协议书, oral agreements), judicial confirmation (司法确认) and
//! performance; the outcome back to handling through `mediation.mediation.concluded.v1`.

pub mod api;
pub mod configuration;
pub mod domain;
pub mod events;
pub mod startup;
pub mod store;
pub mod workers;

pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");
