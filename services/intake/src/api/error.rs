//! Intake's errors in the platform's HTTP shape (`{code, message, details}`).

use actix_web::http::StatusCode;
use xinfang_platform::ApiError;

use crate::domain::IntakeError;

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> ApiError {
        use IntakeError::*;
        match e {
            Invalid(errors) => ApiError::validation_many(
                errors.into_iter().map(|e| (e.field, e.message)).collect(),
            ),
            CaseHidden => ApiError::not_found(e.to_string()),
            RuleVersionNotFound => ApiError::not_found(e.to_string()),
            VisitAlreadyRegistered => ApiError::conflict("visit_already_registered", e.to_string()),
            DecisionNotAllowed { .. } => ApiError::conflict("invalid_state", e.to_string()),
            RepeatAlreadyDecided => ApiError::conflict("already_decided", e.to_string()),
            NoPendingHandOff | NoObjectionRoute => {
                ApiError::conflict("no_pending_hand_off", e.to_string())
            }
            NoObjectionPending => ApiError::conflict("no_objection_pending", e.to_string()),
            NotDecidingUnit | NotReceivingUnit | NotTransferringOrgan => {
                ApiError::forbidden(e.to_string())
            }
            Calendar(message) => ApiError::internal(message),
            PersonalData(_) | StoredData(_) | NumberingIncomplete { .. } => ApiError::internal(e),
            Database(cause) => match cause.downcast::<sqlx::Error>() {
                Ok(database) => ApiError::from(*database),
                Err(other) => ApiError::internal(format!("database: {other}")),
            },
            other => match other.field() {
                Some(field) => ApiError::validation(field, other.to_string()),
                None => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "validation_failed",
                    other.to_string(),
                ),
            },
        }
    }
}
