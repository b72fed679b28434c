//! Administrative review's errors in the platform's HTTP shape (`{code, message, details}`).

use actix_web::http::StatusCode;
use xinfang_platform::ApiError;

use crate::domain::ReviewError;

impl From<ReviewError> for ApiError {
    fn from(e: ReviewError) -> ApiError {
        use ReviewError::*;
        let message = e.to_string();
        match e {
            Invalid { field, .. } => ApiError::validation(field, message),
            CaseHidden | OpinionHidden | RecordHidden => ApiError::not_found(message),
            VersionConflict { current } => ApiError::conflict("version_conflict", message)
                .with_details(
                    serde_json::json!({ "field": "version", "current_version": current }),
                ),
            NotAllowed(_) => ApiError::conflict("invalid_state", message),
            NotResponsibleUnit | Forbidden(_) | NotUnitHead | SelfApproval => {
                let code = if matches!(e, SelfApproval) {
                    "self_approval"
                } else {
                    "forbidden"
                };
                ApiError::new(StatusCode::FORBIDDEN, code, message)
            }
            SecondExtension => rule("second_extension", "days", message),
            ExtensionTooLong { .. } => rule("extension_too_long", "days", message),
            ExtensionAfterDue { due } => rule("extension_after_due", "requested_on", message)
                .with_details(serde_json::json!({ "field": "requested_on", "due_on": due })),
            ClockPending { .. } => ApiError::conflict("clock_pending", message),
            LateRequest {
                window_closed_on,
                requested_on,
                ..
            } => rule("late_request", "requested_on", message).with_details(serde_json::json!({
                "field": "requested_on",
                "window_closed_on": window_closed_on,
                "requested_on": requested_on,
            })),
            NoOrganAbove { .. } => ApiError::conflict("no_organ_above", message),
            Database(cause) => match cause.downcast::<sqlx::Error>() {
                Ok(database) => ApiError::from(*database),
                Err(other) => ApiError::internal(format!("database: {other}")),
            },
        }
    }
}

/// A rule of the regulation refused the request: 422 with its own code and the field.
fn rule(code: &str, field: &str, message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message.clone())
        .with_details(serde_json::json!({ "field": field, "message": message }))
}
