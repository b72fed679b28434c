//! What the oversight features share in their rules: the case a record concerns, and due dates in
//! working days (工作日) by the shared calendar.

use chrono::NaiveDate;
use uuid::Uuid;
use xinfang_calendar::{compute_due, CalendarError, DeadlineSpec, HolidayCalendar, PeriodUnit};

/// A case (信访件) as the read model knows it.
#[derive(Debug, Clone)]
pub struct CaseRef {
    pub case_id: Uuid,
    pub case_number: String,
    pub unit_code: String,
}

/// `start` + `days` working days by the shared calendar, with its explanation. A date outside the
/// loaded calendars is an error, never a guess.
pub fn working_due(
    calendar: &HolidayCalendar,
    start: NaiveDate,
    days: u32,
) -> Result<(NaiveDate, Vec<String>), CalendarError> {
    let d = compute_due(
        calendar,
        &DeadlineSpec::new(start, days, PeriodUnit::WorkingDays),
    )?;
    Ok((d.due, d.explanation))
}
