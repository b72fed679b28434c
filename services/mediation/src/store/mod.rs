//! Mediation's SQL: typed rows (`sqlx::FromRow`, runtime `query_as`) and the writes of each step.
//! Writes that audit or publish take the handler's unit of work (its connection).

pub mod agreements;
pub mod cases;
pub mod directory;
pub mod disputes;
pub mod mediations;
pub mod sessions;
pub mod suggest;

use crate::domain::MediationError;

impl From<sqlx::Error> for MediationError {
    fn from(e: sqlx::Error) -> MediationError {
        MediationError::Database(Box::new(e))
    }
}
