use actix_web::http::StatusCode;
use xinfang_platform::ApiError;

use crate::domain::NotificationError;

impl From<NotificationError> for ApiError {
    fn from(e: NotificationError) -> Self {
        let message = e.to_string();
        match e {
            NotificationError::InvalidLimit { .. } => {
                ApiError::bad_request("invalid_limit", message)
            }
            NotificationError::PartialCursor => ApiError::bad_request("invalid_cursor", message),
            NotificationError::CaseNotFound | NotificationError::NotFound => {
                ApiError::not_found(message)
            }
            // One answer for a wrong code and a missing case: same status, same body.
            NotificationError::NoSuchCase => ApiError::not_found(message),
            NotificationError::InvalidTransition { channel, status } => {
                ApiError::conflict("invalid_transition", message)
                    .with_details(serde_json::json!({ "channel": channel, "status": status }))
            }
            NotificationError::Template(_) => ApiError::validation("body", message),
            NotificationError::Invalid { field, .. } => ApiError::validation(field, message),
            NotificationError::TooManyAttempts => {
                ApiError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
            }
            NotificationError::NotYetClosed => ApiError::conflict("not_yet_closed", message),
            NotificationError::AlreadyRated => ApiError::conflict("already_rated", message),
            NotificationError::Unavailable => ApiError::unavailable(message),
        }
    }
}
