//! What every group's store shares: a failed query becomes the domain error's opaque
//! [`SupervisionError::Database`] here, so that `domain/` knows no database. The groups' own SQL
//! lives in `<group>/store` (see `deadlines`, `findings`, `oversight`, `statistics`, `timeline`).

use crate::domain::error::SupervisionError;

impl From<sqlx::Error> for SupervisionError {
    fn from(e: sqlx::Error) -> Self {
        SupervisionError::Database(Box::new(e))
    }
}
