//! The timer plan (期限提醒) of a deadline: warning (临期预警), due (到期), overdue (超期) and long
//! overdue (严重超期), each on its day.

use chrono::{Duration as Days, NaiveDate};
use xinfang_calendar::HolidayCalendar;
use xinfang_contracts::events::DeadlineStep;

use crate::{
    configuration::EngineLimits,
    deadlines::domain::kind::{steps_of, DeadlineKind},
    findings::domain::{deadline_ref, NewFinding},
};

pub fn step_str(step: DeadlineStep) -> &'static str {
    match step {
        DeadlineStep::Warning => "warning",
        DeadlineStep::Due => "due",
        DeadlineStep::Overdue => "overdue",
        DeadlineStep::LongOverdue => "long_overdue",
    }
}

pub fn parse_step(s: &str) -> Option<DeadlineStep> {
    match s {
        "warning" => Some(DeadlineStep::Warning),
        "due" => Some(DeadlineStep::Due),
        "overdue" => Some(DeadlineStep::Overdue),
        "long_overdue" => Some(DeadlineStep::LongOverdue),
        _ => None,
    }
}

/// The order of the steps of one deadline.
fn seq(step: DeadlineStep) -> i16 {
    match step {
        DeadlineStep::Warning => 1,
        DeadlineStep::Due => 2,
        DeadlineStep::Overdue => 3,
        DeadlineStep::LongOverdue => 4,
    }
}

/// One step of a deadline's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedStep {
    pub step: DeadlineStep,
    /// None while the calendar does not cover the date.
    pub fire_on: Option<NaiveDate>,
}

/// When each step of a deadline fires: warning N working days before the due date (dropped when
/// that is not after the start), due on the due date, overdue the day after, long overdue N days
/// after.
pub fn plan(
    calendar: &HolidayCalendar,
    engine: &EngineLimits,
    kind: DeadlineKind,
    start: NaiveDate,
    due: Option<NaiveDate>,
) -> Vec<PlannedStep> {
    steps_of(kind)
        .iter()
        .filter_map(|&step| {
            let fire_on = match (step, due) {
                (_, None) => None,
                (DeadlineStep::Warning, Some(due)) => {
                    match calendar.subtract_working_days(due, engine.warning_working_days) {
                        Ok(w) if w <= start => return None,
                        Ok(w) => Some(w),
                        Err(_) => None,
                    }
                }
                (DeadlineStep::Due, Some(due)) => Some(due),
                (DeadlineStep::Overdue, Some(due)) => Some(due + Days::days(1)),
                (DeadlineStep::LongOverdue, Some(due)) => {
                    Some(due + Days::days(i64::from(engine.long_overdue_days.max(2))))
                }
            };
            Some(PlannedStep { step, fire_on })
        })
        .collect()
}

/// A plan as the columns of `deadline_steps` (step, seq, fire_on), for one multi-row insert.
pub fn step_columns(plan: &[PlannedStep]) -> (Vec<&'static str>, Vec<i16>, Vec<Option<NaiveDate>>) {
    (
        plan.iter().map(|p| step_str(p.step)).collect(),
        plan.iter().map(|p| seq(p.step)).collect(),
        plan.iter().map(|p| p.fire_on).collect(),
    )
}

/// The finding an overdue step (超期) of a deadline means, if its kind has one.
pub fn overdue_finding(
    kind: &str,
    deadline_id: uuid::Uuid,
    case_id: uuid::Uuid,
    case_number: &str,
    unit: &str,
    due_on: NaiveDate,
    today: NaiveDate,
) -> Option<NewFinding> {
    let kind = DeadlineKind::parse(kind)?;
    let question = kind.overdue_finding()?;
    Some(NewFinding {
        question,
        case_id: Some(case_id),
        unit: unit.to_string(),
        subject_ref: deadline_ref(deadline_id),
        detail: format!(
            "{case_number} {}已于 {due_on} 届满，至 {today} 仍未办结",
            kind.label_zh()
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn calendar() -> HolidayCalendar {
        HolidayCalendar::load_dir(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/calendars"),
        )
        .unwrap()
    }

    #[test]
    fn steps_are_warning_due_overdue_and_long_overdue() {
        let cal = calendar();
        let e = EngineLimits::default();
        // Handling accepted 2025-09-26, due 2025-11-25 (Tue).
        let p = plan(
            &cal,
            &e,
            DeadlineKind::Handling,
            d("2025-09-26"),
            Some(d("2025-11-25")),
        );
        let dates: Vec<_> = p.iter().map(|s| (s.step, s.fire_on.unwrap())).collect();
        assert_eq!(
            dates,
            vec![
                (DeadlineStep::Warning, d("2025-11-20")),
                (DeadlineStep::Due, d("2025-11-25")),
                (DeadlineStep::Overdue, d("2025-11-26")),
                (DeadlineStep::LongOverdue, d("2025-12-25")),
            ]
        );
    }

    #[test]
    fn the_warning_counts_working_days_back_over_a_holiday() {
        let cal = calendar();
        let e = EngineLimits::default();
        // Due 2025-10-10 (Fri): 10-9 = 1, then 10-1..10-8 holiday, 9-30 = 2, 9-29 = 3.
        let p = plan(
            &cal,
            &e,
            DeadlineKind::ObjectionWindow,
            d("2025-09-26"),
            Some(d("2025-10-10")),
        );
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].fire_on, Some(d("2025-09-29")));
        assert_eq!(p[1].fire_on, Some(d("2025-10-10")));
    }

    #[test]
    fn an_unknown_due_date_leaves_the_steps_unscheduled() {
        let cal = calendar();
        let p = plan(
            &cal,
            &EngineLimits::default(),
            DeadlineKind::Acceptance,
            d("2026-12-20"),
            None,
        );
        assert_eq!(p.len(), 4);
        assert!(p.iter().all(|s| s.fire_on.is_none()));
    }

    #[test]
    fn a_warning_not_after_the_start_is_dropped() {
        let cal = calendar();
        let e = EngineLimits {
            warning_working_days: 10,
            ..EngineLimits::default()
        };
        let p = plan(
            &cal,
            &e,
            DeadlineKind::ObjectionWindow,
            d("2025-09-26"),
            Some(d("2025-10-10")),
        );
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].step, DeadlineStep::Due);
    }
}
