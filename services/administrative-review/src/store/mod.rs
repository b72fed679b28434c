//! Administrative review's SQL: typed rows (`sqlx::FromRow`, runtime `query_as`). Writes that audit
//! or publish take the caller's unit of work's connection.

pub mod cases;
pub mod clocks;
pub mod notices;
pub mod records;
pub mod registrations;

use crate::domain::ReviewError;

impl From<sqlx::Error> for ReviewError {
    fn from(e: sqlx::Error) -> ReviewError {
        ReviewError::Database(Box::new(e))
    }
}
