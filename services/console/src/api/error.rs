//! The domain error in the platform's HTTP error shape (`{code, message, details}`).

use actix_web::http::StatusCode;
use serde_json::json;
use xinfang_platform::ApiError;

use crate::domain::DomainError;

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> ApiError {
        let message = e.to_string();
        match e {
            DomainError::Invalid { field, message } => ApiError::validation(&field, message),
            DomainError::UnitNotFound(_)
            | DomainError::AccountNotFound
            | DomainError::SessionNotFound => ApiError::not_found(message),
            DomainError::Conflict { code, .. } => ApiError::conflict(code, message),
            DomainError::Forbidden(_) => ApiError::forbidden(message),
            DomainError::InvalidCredentials => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid_credentials", message)
            }
            DomainError::LockedOut { retry_after_secs } => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "login_locked", message)
                    .with_details(json!({ "retry_after_secs": retry_after_secs }))
            }
            DomainError::TotpRequired => {
                ApiError::new(StatusCode::UNAUTHORIZED, "totp_required", message)
                    .with_details(json!({ "field": "totp_code" }))
            }
            DomainError::TotpInvalid => {
                ApiError::new(StatusCode::UNAUTHORIZED, "totp_invalid", message)
                    .with_details(json!({ "field": "totp_code" }))
            }
            DomainError::TotpEnrolmentRequired => {
                ApiError::new(StatusCode::FORBIDDEN, "totp_enrolment_required", message)
            }
            DomainError::Unauthenticated(_) => {
                ApiError::unauthorized(message).with_details(json!({ "scheme": "Bearer" }))
            }
            DomainError::SessionEnded => {
                ApiError::new(StatusCode::UNAUTHORIZED, "session_ended", message)
            }
            DomainError::InvalidClient => {
                ApiError::new(StatusCode::UNAUTHORIZED, "invalid_client", message)
            }
            DomainError::Storage(inner) => match inner.downcast::<sqlx::Error>() {
                Ok(sqlx) => ApiError::from(*sqlx),
                Err(other) => ApiError::internal(other),
            },
            DomainError::Internal(m) => ApiError::internal(m),
        }
    }
}
