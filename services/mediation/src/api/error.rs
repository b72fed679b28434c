//! Mediation's errors in the platform's HTTP shape (`{code, message, details}`).

use actix_web::http::StatusCode;
use xinfang_platform::ApiError;

use crate::domain::MediationError;

impl From<MediationError> for ApiError {
    fn from(e: MediationError) -> ApiError {
        match e {
            MediationError::Invalid { field, message } => ApiError::validation(&field, message),
            MediationError::NotFound(message) => ApiError::not_found(message),
            MediationError::OutOfScope(message) => ApiError::forbidden(message),
            MediationError::Conflict {
                code,
                message,
                details,
            } => {
                let e = ApiError::conflict(code, message);
                match details {
                    Some(d) => e.with_details(d),
                    None => e,
                }
            }
            MediationError::Database(cause) => match cause.downcast::<sqlx::Error>() {
                Ok(database) => from_database(*database),
                Err(other) => ApiError::internal(format!("database: {other}")),
            },
        }
    }
}

/// A booking that slipped past the check under concurrency meets the exclusion constraint
/// (23P01): it is the same refusal, double booking.
fn from_database(e: sqlx::Error) -> ApiError {
    if let sqlx::Error::Database(db) = &e {
        if db.code().as_deref() == Some("23P01") {
            return ApiError::new(
                StatusCode::CONFLICT,
                "double_booking",
                "该时段调解员或调解室已有安排（并发预约），请另选时间",
            );
        }
    }
    ApiError::from(e)
}
