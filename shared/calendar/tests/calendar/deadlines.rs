//! Deadline computation (期限计算) against the real calendars.

use crate::common::{self, cal, d};
use chrono::NaiveDate;
use xinfang_calendar::{
    compute_due, compute_due_date_only, CalendarError, DeadlineSpec, HolidayCalendar, PeriodUnit,
};

/// Compute with and without explanation, check they agree, return the due date.
fn due(cal: &HolidayCalendar, spec: &DeadlineSpec) -> NaiveDate {
    let full = compute_due(cal, spec).unwrap_or_else(|e| panic!("{spec:?}: {e}"));
    let fast = compute_due_date_only(cal, spec).unwrap();
    assert_eq!(full.due, fast, "{spec:?}\n{}", full.explanation.join("\n"));
    full.due
}

fn explanation(cal: &HolidayCalendar, spec: &DeadlineSpec) -> String {
    compute_due(cal, spec).unwrap().explanation.join("\n")
}

fn outside(cal: &HolidayCalendar, spec: &DeadlineSpec) -> NaiveDate {
    let full = compute_due(cal, spec);
    let fast = compute_due_date_only(cal, spec);
    match (full, fast) {
        (
            Err(CalendarError::OutsideCalendar { date: a, .. }),
            Err(CalendarError::OutsideCalendar { date: b, .. }),
        ) => {
            assert_eq!(a, b);
            a
        }
        other => panic!("expected OutsideCalendar from both, got {other:?}"),
    }
}

fn cal_days(start: NaiveDate, n: u32) -> DeadlineSpec {
    DeadlineSpec::calendar_days(start, n)
}

fn work_days(start: NaiveDate, n: u32) -> DeadlineSpec {
    DeadlineSpec::working_days(start, n)
}

// --- The three worked examples of calendar-cn.md -------------------------

#[test]
fn worked_example_1_accepted_plus_60_days() {
    let cal = cal();
    let spec = cal_days(d(2025, 9, 26), 60);
    assert_eq!(due(&cal, &spec), d(2025, 11, 25));
    let text = explanation(&cal, &spec);
    assert!(text.contains("2025-09-26（星期五）"), "{text}");
    assert!(text.contains("第二百零一条"), "{text}");
    assert!(text.contains("届满日为 2025-11-25（星期二）"), "{text}");
    assert!(!text.contains("第二百零三条"), "no roll expected: {text}");
    assert!(text.ends_with("期满日：2025-11-25（星期二）。"), "{text}");
}

#[test]
fn worked_example_2_review_request_window_over_national_day() {
    let cal = cal();
    let spec = cal_days(d(2025, 9, 8), 30);
    assert_eq!(due(&cal, &spec), d(2025, 10, 9));
    let deadline = compute_due(&cal, &spec).unwrap();
    let text = deadline.explanation.join("\n");
    assert!(text.contains("起算日为 2025-09-08（星期一）"), "{text}");
    assert!(text.contains("开始的当日不计入"), "{text}");
    assert!(text.contains("届满日为 2025-10-08（星期三）"), "{text}");
    assert!(
        text.contains("2025-10-08（星期三）为国庆、中秋节假日"),
        "{text}"
    );
    assert!(text.contains("第二百零三条"), "{text}");
    assert!(
        text.contains("顺延至下一个工作日 2025-10-09（星期四）"),
        "{text}"
    );
    assert_eq!(
        deadline.explanation.last().unwrap(),
        "期满日：2025-10-09（星期四）。"
    );
}

#[test]
fn worked_example_3_objection_in_5_working_days() {
    let cal = cal();
    let spec = work_days(d(2025, 9, 26), 5);
    assert_eq!(due(&cal, &spec), d(2025, 10, 10));
    let text = explanation(&cal, &spec);
    assert!(
        text.contains("2025-09-28（星期日，国庆、中秋调休上班）计为第 1 个工作日"),
        "{text}"
    );
    assert!(
        text.contains("2025-09-27（周末）；2025-10-01 至 2025-10-08（国庆、中秋节假日）"),
        "{text}"
    );
    assert!(text.contains("跳过休息日共 9 日"), "{text}");
    assert!(
        text.contains("第 5 个工作日为 2025-10-10（星期五）"),
        "{text}"
    );
}

// --- Year ends -------------------------------------------------------------

#[test]
fn calendar_period_crossing_2024_to_2025() {
    let cal = cal();
    // 2025-01-19 is a Sunday.
    assert_eq!(due(&cal, &cal_days(d(2024, 12, 20), 30)), d(2025, 1, 20));
    // Ends on 元旦 2025.
    assert_eq!(due(&cal, &cal_days(d(2024, 12, 2), 30)), d(2025, 1, 2));
}

#[test]
fn calendar_period_crossing_2025_to_2026() {
    let cal = cal();
    assert_eq!(due(&cal, &cal_days(d(2025, 12, 15), 30)), d(2026, 1, 14));
    // Ends on 元旦 2026 (1-3 off); 1-4 is a Sunday make-up working day.
    let spec = cal_days(d(2025, 12, 2), 30);
    assert_eq!(due(&cal, &spec), d(2026, 1, 4));
    let text = explanation(&cal, &spec);
    assert!(text.contains("2026-01-01（星期四）为元旦节假日"), "{text}");
    assert!(text.contains("其后至 2026-01-03 仍为休息日"), "{text}");
}

#[test]
fn working_period_crossing_year_ends() {
    let cal = cal();
    // 12-30 (1), 12-31 (2), 1-1 元旦, 1-2 (3), 1-3 (4), weekend, 1-6 (5).
    assert_eq!(due(&cal, &work_days(d(2024, 12, 27), 5)), d(2025, 1, 6));
    // 12-29 (1), 12-30 (2), 12-31 (3), 1-1..1-3 off, 1-4 Sun make-up (4), 1-5 (5).
    assert_eq!(due(&cal, &work_days(d(2025, 12, 26), 5)), d(2026, 1, 5));
}

#[test]
fn end_on_last_loaded_day_and_beyond() {
    let cal = cal();
    // 2026-12-31 is a Thursday: fine.
    assert_eq!(due(&cal, &cal_days(d(2026, 12, 1), 30)), d(2026, 12, 31));
    // 2026-12-26 is a Saturday: rolls to Monday 12-28, still inside 2026.
    assert_eq!(due(&cal, &cal_days(d(2026, 12, 11), 15)), d(2026, 12, 28));
    // Ends in 2027: never a guess.
    assert_eq!(outside(&cal, &cal_days(d(2026, 12, 20), 15)), d(2027, 1, 4));
    // Working days running out of 2026.
    assert_eq!(outside(&cal, &work_days(d(2026, 12, 28), 5)), d(2027, 1, 1));
    // Exactly the last loaded working day is fine.
    assert_eq!(due(&cal, &work_days(d(2026, 12, 28), 3)), d(2026, 12, 31));
    let err = compute_due(&cal, &cal_days(d(2026, 12, 20), 15)).unwrap_err();
    assert!(err.message_zh().contains("2027-01-04"));
    assert!(err.message_zh().contains("2024、2025、2026"));
}

#[test]
fn start_in_an_unloaded_year_is_fine_when_only_loaded_days_are_needed() {
    let cal = cal();
    // 2024-01-19 is a Friday; 2023 is never examined.
    assert_eq!(due(&cal, &cal_days(d(2023, 12, 20), 30)), d(2024, 1, 19));
    // 2023-12-31 + 1 working day: 2024-01-01 is 元旦, 01-02 is the first.
    assert_eq!(due(&cal, &work_days(d(2023, 12, 31), 1)), d(2024, 1, 2));
    // But a count that needs 2023 days fails.
    assert_eq!(
        outside(&cal, &work_days(d(2023, 12, 28), 1)),
        d(2023, 12, 29)
    );
}

// --- Make-up working days ------------------------------------------------------

#[test]
fn calendar_period_ending_on_a_sunday_make_up_day_does_not_roll() {
    let cal = cal();
    let spec = cal_days(d(2025, 1, 16), 10);
    assert_eq!(due(&cal, &spec), d(2025, 1, 26));
    assert!(!explanation(&cal, &spec).contains("第二百零三条"));
}

#[test]
fn calendar_period_ending_on_a_saturday_make_up_day_does_not_roll() {
    let cal = cal();
    assert_eq!(due(&cal, &cal_days(d(2026, 1, 31), 14)), d(2026, 2, 14));
}

#[test]
fn fifteen_day_acceptance_from_2025_09_26_ends_on_a_make_up_saturday() {
    let cal = cal();
    // 2025-10-11 is the Saturday make-up working day after 国庆.
    assert_eq!(due(&cal, &cal_days(d(2025, 9, 26), 15)), d(2025, 10, 11));
}

// --- Long holidays ---------------------------------------------------------------

#[test]
fn spring_festival_2026_rolls_to_2026_02_24() {
    let cal = cal();
    let spec = cal_days(d(2026, 1, 16), 30);
    assert_eq!(due(&cal, &spec), d(2026, 2, 24));
    let text = explanation(&cal, &spec);
    assert!(text.contains("2026-02-15（星期日）为春节假日"), "{text}");
    assert!(text.contains("其后至 2026-02-23 仍为休息日"), "{text}");
    assert!(
        text.contains("顺延至下一个工作日 2026-02-24（星期二）"),
        "{text}"
    );
}

#[test]
fn national_day_2024_end_on_10_01_rolls_to_10_08() {
    let cal = cal();
    assert_eq!(due(&cal, &cal_days(d(2024, 9, 16), 15)), d(2024, 10, 8));
}

#[test]
fn weekend_end_rolls_to_monday() {
    let cal = cal();
    // 2025-11-29 is a Saturday.
    let spec = cal_days(d(2025, 10, 30), 30);
    assert_eq!(due(&cal, &spec), d(2025, 12, 1));
    assert!(explanation(&cal, &spec).contains("2025-11-29（星期六）为周末休息日"));
}

// --- 60 日 + 30 日 extension (Reg art 34) ------------------------------------------

#[test]
fn sixty_days_plus_thirty_day_extension() {
    let cal = cal();
    let spec = cal_days(d(2025, 9, 26), 60).with_extension(
        30,
        PeriodUnit::CalendarDays,
        "案情复杂，经本单位负责人批准",
    );
    assert_eq!(due(&cal, &spec), d(2025, 12, 25));
    let text = explanation(&cal, &spec);
    assert!(
        text.contains("经批准延期 30 日（案情复杂，经本单位负责人批准）"),
        "{text}"
    );
    assert!(
        text.contains("届满日由 2025-11-25 延至 2025-12-25（星期四）"),
        "{text}"
    );
}

#[test]
fn calendar_extension_is_added_before_rolling() {
    let cal = cal();
    // 2025-08-05 + 60 = 2025-10-04 (国庆 holiday); + 30 = 2025-11-03 (Mon).
    // Rolling first would have given 10-09 + 30 = 11-08 (Sat) → 11-10.
    let spec = cal_days(d(2025, 8, 5), 60).with_extension(30, PeriodUnit::CalendarDays, "延期");
    assert_eq!(due(&cal, &spec), d(2025, 11, 3));
    // Extended end on 春节 2026 rolls.
    let spec = cal_days(d(2025, 11, 17), 60).with_extension(30, PeriodUnit::CalendarDays, "延期");
    assert_eq!(due(&cal, &spec), d(2026, 2, 24));
}

#[test]
fn working_day_extension_counts_from_the_rolled_end() {
    let cal = cal();
    let spec = cal_days(d(2025, 9, 26), 60).with_extension(5, PeriodUnit::WorkingDays, "补正");
    assert_eq!(due(&cal, &spec), d(2025, 12, 2));
    // Raw end 10-04 rolls to 10-09; then 10-10, 10-11 (make-up Sat), 10-13.
    let spec = cal_days(d(2025, 8, 5), 60).with_extension(3, PeriodUnit::WorkingDays, "补正");
    assert_eq!(due(&cal, &spec), d(2025, 10, 13));
    let text = explanation(&cal, &spec);
    assert!(
        text.contains("经批准延期 3 个工作日（补正），自 2025-10-09 的次日起继续计算"),
        "{text}"
    );
    assert!(
        text.contains("2025-10-11（星期六，国庆、中秋调休上班）计为第 2 个工作日"),
        "{text}"
    );
    assert!(
        text.contains("延期的第 3 个工作日为 2025-10-13（星期一）"),
        "{text}"
    );
}

#[test]
fn several_extensions_of_both_units() {
    let cal = cal();
    let spec = cal_days(d(2025, 8, 5), 50)
        .with_extension(2, PeriodUnit::WorkingDays, "a")
        .with_extension(10, PeriodUnit::CalendarDays, "b")
        .with_extension(1, PeriodUnit::WorkingDays, "c");
    // 8-05 + 60 = 10-04 → 10-09, + 3 working = 10-13.
    assert_eq!(due(&cal, &spec), d(2025, 10, 13));
}

#[test]
fn working_period_with_calendar_extension() {
    let cal = cal();
    // 5 working days from 2025-09-26 = 10-10, + 1 calendar day = 10-11 (make-up).
    let spec = work_days(d(2025, 9, 26), 5).with_extension(1, PeriodUnit::CalendarDays, "x");
    assert_eq!(due(&cal, &spec), d(2025, 10, 11));
    // + 2 calendar days = 10-12 (Sun) → 10-13.
    let spec = work_days(d(2025, 9, 26), 5).with_extension(2, PeriodUnit::CalendarDays, "x");
    assert_eq!(due(&cal, &spec), d(2025, 10, 13));
}

// --- Working-day periods -------------------------------------------------------------

#[test]
fn working_days_over_spring_festival_2025() {
    let cal = cal();
    // 1-25 Sat, 1-26 Sun make-up (1), 1-27 (2), 1-28..2-4 off, 2-5 (3), 2-6 (4), 2-7 (5).
    let spec = work_days(d(2025, 1, 24), 5);
    assert_eq!(due(&cal, &spec), d(2025, 2, 7));
    let text = explanation(&cal, &spec);
    assert!(
        text.contains("2025-01-28 至 2025-02-04（春节假日）"),
        "{text}"
    );
    assert!(
        text.contains("2025-01-26（星期日，春节调休上班）计为第 1 个工作日"),
        "{text}"
    );
    // ... 2-8 Sat make-up (6), 2-10 (7), 2-11 (8), 2-12 (9), 2-13 (10).
    assert_eq!(due(&cal, &work_days(d(2025, 1, 24), 10)), d(2025, 2, 13));
}

#[test]
fn working_days_over_national_day_2025() {
    let cal = cal();
    assert_eq!(due(&cal, &work_days(d(2025, 9, 26), 15)), d(2025, 10, 23));
    assert_eq!(due(&cal, &work_days(d(2025, 9, 30), 1)), d(2025, 10, 9));
    assert_eq!(due(&cal, &work_days(d(2025, 10, 1), 1)), d(2025, 10, 9));
}

#[test]
fn simple_matter_track_3_and_10_working_days() {
    let cal = cal();
    // Received 2025-04-30 (Wed) before 劳动节 (5-1..5-5).
    assert_eq!(due(&cal, &work_days(d(2025, 4, 30), 3)), d(2025, 5, 8));
    assert_eq!(due(&cal, &work_days(d(2025, 4, 30), 10)), d(2025, 5, 19));
    // Received Friday 2025-04-25: 4-27 is a Sunday make-up day.
    assert_eq!(due(&cal, &work_days(d(2025, 4, 25), 3)), d(2025, 4, 29));
    // An ordinary week.
    assert_eq!(due(&cal, &work_days(d(2025, 3, 3), 3)), d(2025, 3, 6));
    assert_eq!(due(&cal, &work_days(d(2025, 3, 3), 10)), d(2025, 3, 17));
}

#[test]
fn zero_length_periods() {
    let cal = cal();
    assert_eq!(due(&cal, &cal_days(d(2025, 3, 3), 0)), d(2025, 3, 3));
    assert_eq!(due(&cal, &cal_days(d(2025, 10, 1), 0)), d(2025, 10, 9));
    assert_eq!(due(&cal, &work_days(d(2025, 10, 1), 0)), d(2025, 10, 9));
    assert_eq!(due(&cal, &work_days(d(2025, 3, 3), 0)), d(2025, 3, 3));
}

// --- Clock stops (中止计时) ------------------------------------------------------------

#[test]
fn calendar_stop_pushes_the_end_then_rolls() {
    let cal = cal();
    // Re-review 30 日 from 2025-03-03, hearing 03-10..03-12 not counted:
    // 04-02 + 3 = 04-05 (清明) → 04-07.
    let spec = cal_days(d(2025, 3, 3), 30).with_stop(d(2025, 3, 10), d(2025, 3, 12), "听证");
    assert_eq!(due(&cal, &spec), d(2025, 4, 7));
    let text = explanation(&cal, &spec);
    assert!(text.contains("中止计时 2025-03-10 至 2025-03-12（听证）不计算在期限内：期间内 3 日，届满日相应顺延 3 日"), "{text}");
    assert!(
        text.contains("计入中止计时共 3 日后，届满日为 2025-04-05（星期六）"),
        "{text}"
    );
    assert!(text.contains("为清明节假日"), "{text}");
}

#[test]
fn calendar_stop_in_the_pushed_part_counts_too() {
    let cal = cal();
    // 06-02 + 30 = 07-02; hearing 06-10..06-12 → 07-05; the stop 07-04..07-06
    // lies in the pushed part → 07-08 (Tue).
    let spec = cal_days(d(2025, 6, 2), 30)
        .with_stop(d(2025, 6, 10), d(2025, 6, 12), "听证")
        .with_stop(d(2025, 7, 4), d(2025, 7, 6), "补充调查");
    assert_eq!(due(&cal, &spec), d(2025, 7, 8));
}

#[test]
fn overlapping_calendar_stops_count_each_day_once() {
    let cal = cal();
    // Union 06-10..06-16 = 7 days: 07-02 + 7 = 07-09 (Wed).
    let spec = cal_days(d(2025, 6, 2), 30)
        .with_stop(d(2025, 6, 10), d(2025, 6, 14), "听证")
        .with_stop(d(2025, 6, 12), d(2025, 6, 16), "鉴定");
    assert_eq!(due(&cal, &spec), d(2025, 7, 9));
    let text = explanation(&cal, &spec);
    assert!(
        text.contains("（听证）不计算在期限内：期间内 5 日"),
        "{text}"
    );
    assert!(
        text.contains("（鉴定）不计算在期限内：期间内 2 日"),
        "{text}"
    );
    assert!(
        text.contains("与前述中止计时重叠的日期不重复计算"),
        "{text}"
    );
    assert!(text.contains("计入中止计时共 7 日后"), "{text}");
    // A stop fully inside another adds nothing.
    let spec = cal_days(d(2025, 6, 2), 30)
        .with_stop(d(2025, 6, 10), d(2025, 6, 16), "听证")
        .with_stop(d(2025, 6, 11), d(2025, 6, 12), "鉴定");
    assert_eq!(due(&cal, &spec), d(2025, 7, 9));
    assert!(explanation(&cal, &spec).contains("与前述中止计时期间重叠，不再顺延"));
}

#[test]
fn calendar_stop_beginning_before_the_start() {
    let cal = cal();
    // Only 06-03 and 06-04 are after the start: 07-02 + 2 = 07-04 (Fri).
    let spec = cal_days(d(2025, 6, 2), 30).with_stop(d(2025, 5, 28), d(2025, 6, 4), "听证");
    assert_eq!(due(&cal, &spec), d(2025, 7, 4));
    assert!(explanation(&cal, &spec).contains("2025-06-02 及之前的日期不计"));
    // Wholly before (or on) the start: no effect.
    let spec = cal_days(d(2025, 6, 2), 30).with_stop(d(2025, 5, 28), d(2025, 6, 2), "听证");
    assert_eq!(due(&cal, &spec), d(2025, 7, 2));
    assert!(explanation(&cal, &spec).contains("在起算日 2025-06-02 当日或之前，不影响期限"));
}

#[test]
fn calendar_stop_after_the_end_has_no_effect() {
    let cal = cal();
    let spec = cal_days(d(2025, 6, 2), 30).with_stop(d(2025, 8, 1), d(2025, 8, 5), "听证");
    assert_eq!(due(&cal, &spec), d(2025, 7, 2));
    assert!(explanation(&cal, &spec).contains("在期满日 2025-07-02 之后，不影响期限"));
    // A stop only on the Sunday skipped by the roll after a Saturday end.
    let spec = cal_days(d(2025, 10, 30), 30).with_stop(d(2025, 11, 30), d(2025, 11, 30), "x");
    assert_eq!(due(&cal, &spec), d(2025, 12, 1));
}

#[test]
fn roll_never_lands_on_a_stopped_day() {
    let cal = cal();
    // 08-05 + 60 = 10-04 → next working day 10-09, but 10-09..10-10 is
    // stopped → 10-11 (make-up Saturday).
    let spec = cal_days(d(2025, 8, 5), 60).with_stop(d(2025, 10, 9), d(2025, 10, 10), "听证");
    assert_eq!(due(&cal, &spec), d(2025, 10, 11));
    let text = explanation(&cal, &spec);
    assert!(
        text.contains("2025-10-09 至 2025-10-10 处于中止计时期间（听证），不作为期满日"),
        "{text}"
    );
}

#[test]
fn stop_with_from_after_to_is_invalid() {
    let cal = cal();
    let spec = cal_days(d(2025, 6, 2), 30).with_stop(d(2025, 6, 5), d(2025, 6, 4), "x");
    assert!(matches!(
        compute_due(&cal, &spec),
        Err(CalendarError::Invalid { file: None, .. })
    ));
    assert!(matches!(
        compute_due_date_only(&cal, &spec),
        Err(CalendarError::Invalid { file: None, .. })
    ));
}

#[test]
fn working_stops_are_simply_not_counted() {
    let cal = cal();
    // Example 3 with 9-29..9-30 stopped: 9-28 (1), 10-9 (2), 10-10 (3),
    // 10-11 (4, make-up), 10-13 (5).
    let spec = work_days(d(2025, 9, 26), 5).with_stop(d(2025, 9, 29), d(2025, 9, 30), "听证");
    assert_eq!(due(&cal, &spec), d(2025, 10, 13));
    let text = explanation(&cal, &spec);
    assert!(
        text.contains("中止计时期间不计算在期限内，共 2 日：2025-09-29 至 2025-09-30（听证）"),
        "{text}"
    );
}

#[test]
fn overlapping_working_stops() {
    let cal = cal();
    // 9-28 (1), stopped 9-29..10-09, 10-10 (2), 10-11 (3), 10-13 (4), 10-14 (5).
    let spec = work_days(d(2025, 9, 26), 5)
        .with_stop(d(2025, 9, 29), d(2025, 9, 30), "听证")
        .with_stop(d(2025, 9, 30), d(2025, 10, 9), "鉴定");
    assert_eq!(due(&cal, &spec), d(2025, 10, 14));
    let text = explanation(&cal, &spec);
    assert!(
        text.contains("2025-09-29 至 2025-10-09（听证、鉴定）"),
        "{text}"
    );
}

#[test]
fn working_stop_beginning_before_the_start() {
    let cal = cal();
    // 9-28 is stopped: 9-29 (1), 9-30 (2), 10-9 (3), 10-10 (4), 10-11 (5).
    let spec = work_days(d(2025, 9, 26), 5).with_stop(d(2025, 9, 20), d(2025, 9, 28), "x");
    assert_eq!(due(&cal, &spec), d(2025, 10, 11));
}

#[test]
fn working_stop_reaching_into_unloaded_years() {
    let cal = cal();
    // The count finishes before the stop: the unloaded 2027 is never needed.
    let spec = work_days(d(2026, 12, 20), 3).with_stop(d(2026, 12, 28), d(2027, 12, 31), "x");
    assert_eq!(due(&cal, &spec), d(2026, 12, 23));
    // Stopped days are never classified, but the count resumes in 2028.
    let spec = work_days(d(2026, 12, 20), 15).with_stop(d(2026, 12, 28), d(2027, 12, 31), "x");
    assert_eq!(outside(&cal, &spec), d(2028, 1, 1));
    // A stop that ends inside 2026 and a count needing 2027.
    let spec = work_days(d(2026, 12, 20), 15).with_stop(d(2026, 12, 22), d(2026, 12, 23), "x");
    assert_eq!(outside(&cal, &spec), d(2027, 1, 1));
}

#[test]
fn stops_with_extensions() {
    let cal = cal();
    // 60 + 30 from 2025-09-26 = 12-25; a hearing 12-01..12-03 → 12-28 (Sun) → 12-29.
    let spec = cal_days(d(2025, 9, 26), 60)
        .with_extension(30, PeriodUnit::CalendarDays, "延期")
        .with_stop(d(2025, 12, 1), d(2025, 12, 3), "听证");
    assert_eq!(due(&cal, &spec), d(2025, 12, 29));
    // A working-day extension skips stopped days too.
    let spec = cal_days(d(2025, 9, 26), 60)
        .with_extension(2, PeriodUnit::WorkingDays, "补正")
        .with_stop(d(2025, 11, 26), d(2025, 11, 26), "听证");
    // 11-25 + 2 working days, 11-26 stopped: 11-27, 11-28.
    assert_eq!(due(&cal, &spec), d(2025, 11, 28));
}

// --- Cross-check the fast path against the explained one ---------------------------

#[test]
fn fast_and_explained_paths_agree_everywhere() {
    let cal = cal();
    let stop_sets: Vec<Vec<(NaiveDate, NaiveDate)>> = vec![
        vec![],
        vec![(d(2025, 9, 29), d(2025, 10, 2))],
        vec![
            (d(2025, 1, 20), d(2025, 1, 27)),
            (d(2025, 1, 25), d(2025, 2, 10)),
        ],
        vec![
            (d(2024, 12, 30), d(2025, 1, 3)),
            (d(2025, 5, 6), d(2025, 5, 6)),
        ],
    ];
    let mut checked = 0;
    for start in common::days(d(2024, 11, 1), d(2025, 12, 31)).step_by(3) {
        for (period, unit) in [
            (1, PeriodUnit::CalendarDays),
            (15, PeriodUnit::CalendarDays),
            (30, PeriodUnit::CalendarDays),
            (60, PeriodUnit::CalendarDays),
            (1, PeriodUnit::WorkingDays),
            (3, PeriodUnit::WorkingDays),
            (5, PeriodUnit::WorkingDays),
            (10, PeriodUnit::WorkingDays),
        ] {
            for stops in &stop_sets {
                let mut spec = DeadlineSpec::new(start, period, unit);
                for &(from, to) in stops {
                    spec = spec.with_stop(from, to, "s");
                }
                let full = compute_due(&cal, &spec).unwrap();
                let fast = compute_due_date_only(&cal, &spec).unwrap();
                assert_eq!(full.due, fast, "{spec:?}");
                assert!(cal.is_working_day(fast).unwrap(), "{spec:?}");
                assert!(
                    !stops.iter().any(|&(a, b)| a <= fast && fast <= b),
                    "due on a stopped day: {spec:?}"
                );
                assert!(fast > start);
                checked += 1;
            }
        }
    }
    assert!(checked > 4000);
}

/// Naive reference: the due date by walking one day at a time.
fn reference_due(cal: &HolidayCalendar, spec: &DeadlineSpec) -> NaiveDate {
    let stopped = |x: NaiveDate| spec.stops.iter().any(|s| s.from <= x && x <= s.to);
    let counts = |x: NaiveDate, unit: PeriodUnit| {
        !stopped(x) && (unit == PeriodUnit::CalendarDays || cal.is_working_day(x).unwrap())
    };
    let step = |from: NaiveDate, n: u32, unit: PeriodUnit| {
        let mut cur = from;
        let mut k = 0;
        while k < n {
            cur = cur.succ_opt().unwrap();
            if counts(cur, unit) {
                k += 1;
            }
        }
        cur
    };
    let cal_ext: u32 = spec
        .extensions
        .iter()
        .filter(|e| e.unit == PeriodUnit::CalendarDays)
        .map(|e| e.period)
        .sum();
    let work_ext: u32 = spec
        .extensions
        .iter()
        .filter(|e| e.unit == PeriodUnit::WorkingDays)
        .map(|e| e.period)
        .sum();
    let base = step(spec.start, spec.period, spec.unit);
    let mut end = step(base, cal_ext, PeriodUnit::CalendarDays);
    while !cal.is_working_day(end).unwrap() || stopped(end) {
        end = end.succ_opt().unwrap();
    }
    step(end, work_ext, PeriodUnit::WorkingDays)
}

#[test]
fn matches_a_naive_day_by_day_reference() {
    let cal = cal();
    let mut checked = 0;
    for start in common::days(d(2024, 12, 1), d(2025, 11, 30)).step_by(5) {
        for (i, period) in [7u32, 30, 45].into_iter().enumerate() {
            for unit in [PeriodUnit::CalendarDays, PeriodUnit::WorkingDays] {
                let hearing = start + chrono::Days::new(3 + i as u64 * 5);
                let spec = DeadlineSpec::new(start, period, unit)
                    .with_stop(hearing, hearing + chrono::Days::new(4), "听证")
                    .with_stop(
                        hearing + chrono::Days::new(2),
                        hearing + chrono::Days::new(9),
                        "鉴定",
                    )
                    .with_extension(5, PeriodUnit::CalendarDays, "延期")
                    .with_extension(2, PeriodUnit::WorkingDays, "补正");
                assert_eq!(due(&cal, &spec), reference_due(&cal, &spec), "{spec:?}");
                let plain = DeadlineSpec::new(start, period, unit);
                assert_eq!(due(&cal, &plain), reference_due(&cal, &plain), "{plain:?}");
                checked += 2;
            }
        }
    }
    assert!(checked > 400);
}

// --- Serde -------------------------------------------------------------------------------

#[test]
fn deadline_spec_json_round_trip() {
    let spec = cal_days(d(2025, 9, 26), 60)
        .with_stop(d(2025, 10, 10), d(2025, 10, 15), "听证")
        .with_extension(30, PeriodUnit::CalendarDays, "延期");
    let json = serde_json::to_string(&spec).unwrap();
    assert!(json.contains(r#""unit":"calendar_days""#), "{json}");
    assert!(json.contains(r#""start":"2025-09-26""#), "{json}");
    let back: DeadlineSpec = serde_json::from_str(&json).unwrap();
    assert_eq!(back, spec);

    let minimal: DeadlineSpec =
        serde_json::from_str(r#"{"start": "2025-09-26", "period": 5, "unit": "working_days"}"#)
            .unwrap();
    assert_eq!(minimal, work_days(d(2025, 9, 26), 5));
    assert!(serde_json::from_str::<DeadlineSpec>(
        r#"{"start": "2025-09-26", "period": 5, "unit": "weeks"}"#
    )
    .is_err());

    let deadline = compute_due(&cal(), &minimal).unwrap();
    let json = serde_json::to_string(&deadline).unwrap();
    assert_eq!(
        serde_json::from_str::<xinfang_calendar::Deadline>(&json).unwrap(),
        deadline
    );
}

#[test]
fn period_unit_parsing_and_display() {
    for (text, unit) in [
        ("calendar", PeriodUnit::CalendarDays),
        ("calendar_days", PeriodUnit::CalendarDays),
        (" Calendar-Days ", PeriodUnit::CalendarDays),
        ("日", PeriodUnit::CalendarDays),
        ("working", PeriodUnit::WorkingDays),
        ("working_days", PeriodUnit::WorkingDays),
        ("WORKING", PeriodUnit::WorkingDays),
        ("工作日", PeriodUnit::WorkingDays),
    ] {
        assert_eq!(text.parse::<PeriodUnit>().unwrap(), unit, "{text}");
    }
    assert!(matches!(
        "weeks".parse::<PeriodUnit>(),
        Err(CalendarError::Invalid { file: None, .. })
    ));
    assert_eq!(PeriodUnit::CalendarDays.to_string(), "calendar_days");
    assert_eq!(PeriodUnit::WorkingDays.to_string(), "working_days");
    assert_eq!(PeriodUnit::WorkingDays.label_zh(), "个工作日");
    for unit in [PeriodUnit::CalendarDays, PeriodUnit::WorkingDays] {
        assert_eq!(unit.as_str().parse::<PeriodUnit>().unwrap(), unit);
        assert_eq!(
            serde_json::to_string(&unit).unwrap(),
            format!("\"{}\"", unit.as_str())
        );
    }
}
