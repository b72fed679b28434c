//! Storage (存储): SQL with typed rows. Every function takes the caller's connection or
//! transaction, so a state change, its history, its audit record and its outbox event commit
//! together.

pub mod accounts;
pub mod portal;
pub mod report_jobs;
pub mod sessions;
pub mod throttle;
pub mod units;

use crate::domain::DomainError;

impl From<sqlx::Error> for DomainError {
    fn from(e: sqlx::Error) -> Self {
        DomainError::Storage(Box::new(e))
    }
}

/// Whether `e` is a unique-constraint violation (a concurrent insert of the same key).
pub fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("23505"))
}
