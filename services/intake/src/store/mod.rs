//! Intake's SQL: typed rows read with `query_as`, set-wise writes for registrations written
//! together. Functions that must fail for a domain reason return [`IntakeError`]; the others
//! return `sqlx::Error`.

use crate::domain::IntakeError;

pub mod access;
pub mod archive;
pub mod contact_details;
pub mod contacts;
pub mod decisions;
pub mod lookup;
pub mod numbering;
pub mod petitions;
pub mod repeat;
pub mod rules;
pub mod visits;

impl From<sqlx::Error> for IntakeError {
    fn from(e: sqlx::Error) -> Self {
        IntakeError::Database(Box::new(e))
    }
}
