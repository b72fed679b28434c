//! Working-day arithmetic (工作日计算): add / subtract / between / next.

use crate::common::{cal, d, days};
use chrono::NaiveDate;
use xinfang_calendar::{
    add_working_days, next_working_day_on_or_after, subtract_working_days, working_days_between,
    CalendarError, HolidayCalendar,
};

/// Naive forward count, one day at a time.
fn naive_add(cal: &HolidayCalendar, from: NaiveDate, n: u32) -> NaiveDate {
    let mut cur = from;
    let mut k = 0;
    while k < n {
        cur = cur.succ_opt().unwrap();
        if cal.is_working_day(cur).unwrap() {
            k += 1;
        }
    }
    cur
}

/// Naive backward count, one day at a time.
fn naive_subtract(cal: &HolidayCalendar, from: NaiveDate, n: u32) -> NaiveDate {
    let mut cur = from;
    let mut k = 0;
    while k < n {
        cur = cur.pred_opt().unwrap();
        if cal.is_working_day(cur).unwrap() {
            k += 1;
        }
    }
    cur
}

const NS: [u32; 10] = [0, 1, 2, 3, 5, 10, 15, 30, 60, 90];

#[test]
fn add_subtract_between_are_consistent_over_every_day_of_2025() {
    let cal = cal();
    for day in days(d(2025, 1, 1), d(2025, 12, 31)) {
        let working = cal.is_working_day(day).unwrap();
        for n in NS {
            let added = add_working_days(&cal, day, n).unwrap();
            assert_eq!(added, naive_add(&cal, day, n), "add {day} {n}");
            assert_eq!(
                working_days_between(&cal, day, added).unwrap(),
                n,
                "{day} {n}"
            );

            let back = subtract_working_days(&cal, day, n).unwrap();
            assert_eq!(back, naive_subtract(&cal, day, n), "subtract {day} {n}");

            if n == 0 {
                assert_eq!(added, day);
                assert_eq!(back, day);
                continue;
            }
            assert!(added > day && back < day);
            assert!(cal.is_working_day(added).unwrap());
            assert!(cal.is_working_day(back).unwrap());
            // Going back from the result of going forward.
            let round = subtract_working_days(&cal, added, n).unwrap();
            assert!(round <= day, "{day} {n}");
            assert_eq!(working_days_between(&cal, round, added).unwrap(), n);
            if working {
                assert_eq!(round, day, "{day} {n}");
                assert_eq!(add_working_days(&cal, back, n).unwrap(), day, "{day} {n}");
                assert_eq!(
                    working_days_between(&cal, back, day).unwrap(),
                    n,
                    "{day} {n}"
                );
            } else {
                // From a rest day, n back then n forward lands on the first
                // working day after it.
                assert_eq!(
                    add_working_days(&cal, back, n).unwrap(),
                    next_working_day_on_or_after(&cal, day).unwrap()
                );
                assert_eq!(working_days_between(&cal, back, day).unwrap(), n - 1);
            }
        }
    }
}

#[test]
fn between_matches_a_naive_count() {
    let cal = cal();
    let anchors = [
        d(2024, 1, 1),
        d(2024, 12, 31),
        d(2025, 2, 3),
        d(2025, 9, 30),
    ];
    for from in anchors {
        for to in days(d(2024, 1, 1), d(2026, 12, 31)).step_by(7) {
            let naive = if to <= from {
                0
            } else {
                days(from.succ_opt().unwrap(), to)
                    .filter(|x| cal.is_working_day(*x).unwrap())
                    .count() as u32
            };
            assert_eq!(
                working_days_between(&cal, from, to).unwrap(),
                naive,
                "{from} {to}"
            );
        }
    }
    // (from, to]: `from` itself is not counted, `to` is.
    assert_eq!(
        working_days_between(&cal, d(2025, 3, 3), d(2025, 3, 3)).unwrap(),
        0
    );
    assert_eq!(
        working_days_between(&cal, d(2025, 3, 3), d(2025, 3, 4)).unwrap(),
        1
    );
    assert_eq!(
        working_days_between(&cal, d(2025, 3, 4), d(2025, 3, 3)).unwrap(),
        0
    );
}

#[test]
fn warning_three_working_days_before_due() {
    let cal = cal();
    // Due 2025-10-10 (example 3): 3 working days before is 9-29
    // (10-9 = 1, 9-30 = 2, 9-29 = 3).
    let due = d(2025, 10, 10);
    let warn = subtract_working_days(&cal, due, 3).unwrap();
    assert_eq!(warn, d(2025, 9, 29));
    assert_eq!(working_days_between(&cal, warn, due).unwrap(), 3);
    // Over 春节 2025, before 2025-02-06: 2-05 = 1, 1-27 = 2, 1-26 (Sunday
    // make-up day) = 3, 1-24 (Fri) = 4.
    assert_eq!(
        subtract_working_days(&cal, d(2025, 2, 6), 2).unwrap(),
        d(2025, 1, 27)
    );
    assert_eq!(
        subtract_working_days(&cal, d(2025, 2, 6), 3).unwrap(),
        d(2025, 1, 26)
    );
    assert_eq!(
        subtract_working_days(&cal, d(2025, 2, 6), 4).unwrap(),
        d(2025, 1, 24)
    );
}

#[test]
fn next_working_day() {
    let cal = cal();
    assert_eq!(
        next_working_day_on_or_after(&cal, d(2025, 3, 3)).unwrap(),
        d(2025, 3, 3)
    );
    assert_eq!(
        next_working_day_on_or_after(&cal, d(2025, 3, 1)).unwrap(),
        d(2025, 3, 3)
    );
    assert_eq!(
        next_working_day_on_or_after(&cal, d(2025, 10, 1)).unwrap(),
        d(2025, 10, 9)
    );
    assert_eq!(
        next_working_day_on_or_after(&cal, d(2025, 1, 25)).unwrap(),
        d(2025, 1, 26)
    );
    assert_eq!(
        next_working_day_on_or_after(&cal, d(2026, 2, 15)).unwrap(),
        d(2026, 2, 24)
    );
    assert_eq!(
        next_working_day_on_or_after(&cal, d(2024, 12, 31)).unwrap(),
        d(2024, 12, 31)
    );
    assert_eq!(
        next_working_day_on_or_after(&cal, d(2025, 12, 31)).unwrap(),
        d(2025, 12, 31)
    );
    // Every day of 2024..2026 except the last rest days of 2026.
    for day in days(d(2024, 1, 1), d(2026, 12, 31)) {
        let next = next_working_day_on_or_after(&cal, day).unwrap();
        assert!(next >= day && cal.is_working_day(next).unwrap());
        assert!(days(day, next.pred_opt().unwrap()).all(|x| !cal.is_working_day(x).unwrap()));
    }
}

#[test]
fn year_boundaries_in_both_directions() {
    let cal = cal();
    // Forward across 2024→2025 and 2025→2026.
    assert_eq!(
        add_working_days(&cal, d(2024, 12, 31), 1).unwrap(),
        d(2025, 1, 2)
    );
    assert_eq!(
        add_working_days(&cal, d(2025, 12, 31), 1).unwrap(),
        d(2026, 1, 4)
    );
    // Backward across them.
    assert_eq!(
        subtract_working_days(&cal, d(2025, 1, 2), 1).unwrap(),
        d(2024, 12, 31)
    );
    assert_eq!(
        subtract_working_days(&cal, d(2026, 1, 4), 1).unwrap(),
        d(2025, 12, 31)
    );
    // A long count spanning all three years.
    let far = add_working_days(&cal, d(2024, 1, 1), 251 + 248 + 100).unwrap();
    assert_eq!(working_days_between(&cal, d(2024, 1, 1), far).unwrap(), 599);
    // `far` itself is the 599th; the 598th before it is the first working day
    // of 2024 (1-1 is 元旦), and one more needs 2023.
    assert_eq!(
        subtract_working_days(&cal, far, 598).unwrap(),
        d(2024, 1, 2)
    );
    assert!(matches!(
        subtract_working_days(&cal, far, 599),
        Err(CalendarError::OutsideCalendar { date, .. }) if date == d(2023, 12, 31)
    ));
    // Past the loaded years.
    let outside_date = |r: Result<NaiveDate, CalendarError>| match r {
        Err(CalendarError::OutsideCalendar { date, .. }) => date,
        other => panic!("expected OutsideCalendar, got {other:?}"),
    };
    assert_eq!(
        outside_date(add_working_days(&cal, d(2026, 12, 30), 2)),
        d(2027, 1, 1)
    );
    assert_eq!(
        outside_date(add_working_days(&cal, d(2027, 5, 1), 1)),
        d(2027, 5, 2)
    );
    assert_eq!(
        outside_date(subtract_working_days(&cal, d(2024, 1, 2), 1)),
        d(2023, 12, 31)
    );
    assert_eq!(
        outside_date(next_working_day_on_or_after(&cal, d(2027, 1, 1))),
        d(2027, 1, 1)
    );
    assert!(matches!(
        working_days_between(&cal, d(2026, 12, 30), d(2027, 1, 5)),
        Err(CalendarError::OutsideCalendar { date, .. }) if date == d(2027, 1, 1)
    ));
    assert!(matches!(
        working_days_between(&cal, d(2023, 12, 1), d(2024, 1, 5)),
        Err(CalendarError::OutsideCalendar { date, .. }) if date == d(2023, 12, 2)
    ));
    // n = 0 never needs a classification.
    assert_eq!(
        add_working_days(&cal, d(2030, 1, 1), 0).unwrap(),
        d(2030, 1, 1)
    );
    assert_eq!(
        subtract_working_days(&cal, d(2030, 1, 1), 0).unwrap(),
        d(2030, 1, 1)
    );
    assert_eq!(
        working_days_between(&cal, d(2030, 1, 1), d(2029, 1, 1)).unwrap(),
        0
    );
}

#[test]
fn methods_and_free_functions_agree() {
    let cal = cal();
    let day = d(2025, 9, 26);
    assert_eq!(
        cal.add_working_days(day, 5).unwrap(),
        add_working_days(&cal, day, 5).unwrap()
    );
    assert_eq!(
        cal.subtract_working_days(day, 5).unwrap(),
        subtract_working_days(&cal, day, 5).unwrap()
    );
    assert_eq!(
        cal.working_days_between(day, d(2025, 10, 10)).unwrap(),
        working_days_between(&cal, day, d(2025, 10, 10)).unwrap()
    );
    assert_eq!(
        cal.next_working_day_on_or_after(day).unwrap(),
        next_working_day_on_or_after(&cal, day).unwrap()
    );
}
