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
            NotificationError::CaseNotFound => ApiError::not_found(message),
        }
    }
}
