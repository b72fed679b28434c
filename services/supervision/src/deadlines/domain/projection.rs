//! The due date of one of administrative review's clocks as supervision tells it back
//! (`supervision.deadline.projected.v1`): whenever such a clock opens or moves (extension, hearing,
//! a newly published calendar year), administrative review learns its due date and how it was
//! computed, and never computes one itself.

use chrono::NaiveDate;
use xinfang_contracts::review::DeadlineProjectedV1;

use crate::deadlines::domain::{deadline::StoredDeadline, kind::DeadlineKind};

/// The clocks administrative review shows and compares against.
pub const REVIEW_KINDS: [DeadlineKind; 8] = [
    DeadlineKind::Handling,
    DeadlineKind::SimpleOpinion,
    DeadlineKind::OpinionDelivery,
    DeadlineKind::ReviewWindow,
    DeadlineKind::Review,
    DeadlineKind::ReReviewWindow,
    DeadlineKind::ReReview,
    DeadlineKind::Implementation,
];

/// The projection of `d` with its (new) due date and explanation, if it is one of those clocks.
pub fn projected(
    d: &StoredDeadline,
    due: Option<NaiveDate>,
    explanation: &[String],
) -> Option<DeadlineProjectedV1> {
    REVIEW_KINDS.contains(&d.kind).then(|| DeadlineProjectedV1 {
        deadline_id: d.id,
        petition_id: d.case_id,
        case_number: d.case_number.clone(),
        kind: d.kind.as_str().to_string(),
        unit: d.unit_code.clone(),
        start_on: d.start_date,
        due_on: due,
        explanation: explanation.to_vec(),
        extensions: d.extensions.len() as u32,
    })
}
