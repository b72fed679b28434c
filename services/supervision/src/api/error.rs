//! The domain error as the platform's error shape (`{code, message, details}`); the only place a
//! [`SupervisionError`] becomes an [`ApiError`].

use actix_web::http::StatusCode;
use xinfang_calendar::CalendarError;
use xinfang_platform::ApiError;

use crate::domain::error::SupervisionError;

impl From<SupervisionError> for ApiError {
    fn from(e: SupervisionError) -> ApiError {
        use SupervisionError as E;
        let message = e.to_string();
        match e {
            E::Database(cause) => match cause.downcast::<sqlx::Error>() {
                Ok(database) => ApiError::from(*database),
                Err(other) => ApiError::internal(format!("database: {other}")),
            },
            E::DeadlineNotFound
            | E::CaseNotFound
            | E::CaseUnknown
            | E::OrderNotFound
            | E::LeaderAssignmentNotFound
            | E::CampaignNotFound
            | E::RecommendationNotFound
            | E::AccountabilityNotFound
            | E::MisconductNotFound => ApiError::not_found(message),
            E::ExtensionTooLong { .. } => ApiError::validation("days", message),
            E::NotDeadlineUnitHead => ApiError::forbidden(message),
            E::InvalidStop(_) => ApiError::validation("to", message),
            E::DeadlineNotLive(_)
            | E::NotExtendable(_)
            | E::TooManyExtensions { .. }
            | E::FixedDate
            | E::NotStoppable(_)
            | E::NotPaused
            | E::AlreadyPaused => ApiError::conflict("deadline_state", message),
            E::CalendarConflict { .. } => ApiError::conflict("calendar_year_conflict", message),
            E::OrderAnswered | E::OrderEscalated => ApiError::conflict("order_closed", message),
            E::AlreadyAssigned => ApiError::conflict("already_assigned", message),
            E::FeedbackGiven => ApiError::conflict("feedback_given", message),
            E::AccountabilityConcluded => ApiError::conflict("accountability_concluded", message),
            E::AlreadyInvestigated => ApiError::conflict("already_investigated", message),
        }
    }
}

/// A date the loaded holiday calendars do not cover is a 422 naming `field`, never a guess.
pub fn calendar_error(field: &str, e: CalendarError) -> ApiError {
    match e {
        e @ CalendarError::OutsideCalendar { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "outside_calendar",
            format!("{}；请在 {field} 中直接指定日期", e.message_zh()),
        )
        .with_details(serde_json::json!({ "field": field })),
        e => ApiError::validation(field, e.message_zh()),
    }
}
