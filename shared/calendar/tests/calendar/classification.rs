//! Day classification (日期分类) against every date listed in
//! /work/shared/domain/calendar-cn.md, transcribed here independently of the
//! JSON files.

use crate::common::{cal, d, days};
use chrono::{Datelike, Weekday};
use xinfang_calendar::{CalendarError, DayKind};

type Ymd = (i32, u32, u32);

/// (name, from, to) for every holiday in calendar-cn.md.
fn holidays() -> Vec<(&'static str, Ymd, Ymd)> {
    vec![
        // 2024 (国办发明电〔2023〕7号)
        ("元旦", (2024, 1, 1), (2024, 1, 1)),
        ("春节", (2024, 2, 10), (2024, 2, 17)),
        ("清明", (2024, 4, 4), (2024, 4, 6)),
        ("劳动节", (2024, 5, 1), (2024, 5, 5)),
        ("端午", (2024, 6, 10), (2024, 6, 10)),
        ("中秋", (2024, 9, 15), (2024, 9, 17)),
        ("国庆", (2024, 10, 1), (2024, 10, 7)),
        // 2025 (国办发明电〔2024〕12号)
        ("元旦", (2025, 1, 1), (2025, 1, 1)),
        ("春节", (2025, 1, 28), (2025, 2, 4)),
        ("清明", (2025, 4, 4), (2025, 4, 6)),
        ("劳动节", (2025, 5, 1), (2025, 5, 5)),
        ("端午", (2025, 5, 31), (2025, 6, 2)),
        ("国庆、中秋", (2025, 10, 1), (2025, 10, 8)),
        // 2026 (notice of 2025-11-04)
        ("元旦", (2026, 1, 1), (2026, 1, 3)),
        ("春节", (2026, 2, 15), (2026, 2, 23)),
        ("清明", (2026, 4, 4), (2026, 4, 6)),
        ("劳动节", (2026, 5, 1), (2026, 5, 5)),
        ("端午", (2026, 6, 19), (2026, 6, 21)),
        ("中秋", (2026, 9, 25), (2026, 9, 27)),
        ("国庆", (2026, 10, 1), (2026, 10, 7)),
    ]
}

/// (date, weekday as written in calendar-cn.md, holiday) for every make-up day.
fn make_up_days() -> Vec<(Ymd, Weekday, &'static str)> {
    use Weekday::{Sat, Sun};
    vec![
        ((2024, 2, 4), Sun, "春节"),
        ((2024, 2, 18), Sun, "春节"),
        ((2024, 4, 7), Sun, "清明"),
        ((2024, 4, 28), Sun, "劳动节"),
        ((2024, 5, 11), Sat, "劳动节"),
        ((2024, 9, 14), Sat, "中秋"),
        ((2024, 9, 29), Sun, "国庆"),
        ((2024, 10, 12), Sat, "国庆"),
        ((2025, 1, 26), Sun, "春节"),
        ((2025, 2, 8), Sat, "春节"),
        ((2025, 4, 27), Sun, "劳动节"),
        ((2025, 9, 28), Sun, "国庆、中秋"),
        ((2025, 10, 11), Sat, "国庆、中秋"),
        ((2026, 1, 4), Sun, "元旦"),
        ((2026, 2, 14), Sat, "春节"),
        ((2026, 2, 28), Sat, "春节"),
        ((2026, 5, 9), Sat, "劳动节"),
        ((2026, 9, 20), Sun, "国庆"),
        ((2026, 10, 10), Sat, "国庆"),
    ]
}

#[test]
fn every_official_holiday_date_is_a_holiday() {
    let cal = cal();
    let mut checked = 0;
    for (name, (y1, m1, d1), (y2, m2, d2)) in holidays() {
        for day in days(d(y1, m1, d1), d(y2, m2, d2)) {
            assert_eq!(
                cal.day_kind(day).unwrap(),
                DayKind::Holiday {
                    name: name.to_owned()
                },
                "{day}"
            );
            assert!(!cal.is_working_day(day).unwrap(), "{day}");
            checked += 1;
        }
    }
    // 1+8+3+5+1+3+7 + 1+8+3+5+3+8 + 3+9+3+5+3+3+7
    assert_eq!(checked, 28 + 28 + 33);
}

#[test]
fn every_make_up_day_is_a_working_day() {
    let cal = cal();
    for ((y, m, day), weekday, name) in make_up_days() {
        let date = d(y, m, day);
        assert_eq!(date.weekday(), weekday, "calendar-cn.md weekday of {date}");
        assert_eq!(
            cal.day_kind(date).unwrap(),
            DayKind::MakeUpWorking {
                for_holiday: name.to_owned()
            },
            "{date}"
        );
        assert!(cal.is_working_day(date).unwrap(), "{date}");
    }
}

#[test]
fn every_other_day_follows_the_weekday_rule() {
    let cal = cal();
    let holiday_days: Vec<_> = holidays()
        .into_iter()
        .flat_map(|(_, (y1, m1, d1), (y2, m2, d2))| days(d(y1, m1, d1), d(y2, m2, d2)))
        .collect();
    let make_up: Vec<_> = make_up_days()
        .into_iter()
        .map(|((y, m, day), _, _)| d(y, m, day))
        .collect();
    for day in days(d(2024, 1, 1), d(2026, 12, 31)) {
        if holiday_days.contains(&day) || make_up.contains(&day) {
            continue;
        }
        let expected = if matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            DayKind::Weekend
        } else {
            DayKind::Working
        };
        assert_eq!(cal.day_kind(day).unwrap(), expected, "{day}");
    }
}

#[test]
fn working_day_totals_per_year() {
    // 2024: 251 and 2025: 248 working days, as widely reported; 2026 follows
    // from the same data.
    let cal = cal();
    for (year, expected) in [(2024, 251), (2025, 248), (2026, 248)] {
        let count = cal.working_days_between(d(year - 1, 12, 31), d(year, 12, 31));
        // 2023 is not loaded, but (2023-12-31, 2024-12-31] only needs 2024.
        assert_eq!(count.unwrap(), expected, "{year}");
    }
}

#[test]
fn day_kind_of_each_type() {
    let cal = cal();
    assert_eq!(cal.day_kind(d(2025, 10, 13)).unwrap(), DayKind::Working);
    assert_eq!(cal.day_kind(d(2025, 10, 12)).unwrap(), DayKind::Weekend);
    assert_eq!(
        cal.day_kind(d(2025, 10, 8)).unwrap(),
        DayKind::Holiday {
            name: "国庆、中秋".into()
        }
    );
    assert_eq!(
        cal.day_kind(d(2025, 9, 28)).unwrap(),
        DayKind::MakeUpWorking {
            for_holiday: "国庆、中秋".into()
        }
    );
    // 2024 元旦 "with the weekend before": the weekend is a plain weekend.
    assert_eq!(cal.day_kind(d(2024, 6, 8)).unwrap(), DayKind::Weekend);
    assert_eq!(cal.day_kind(d(2024, 6, 9)).unwrap(), DayKind::Weekend);
    assert!(DayKind::Working.is_working());
    assert!(DayKind::Weekend.is_rest());
    assert!(DayKind::MakeUpWorking {
        for_holiday: "x".into()
    }
    .is_working());
    assert!(DayKind::Holiday { name: "x".into() }.is_rest());
}

#[test]
fn day_kind_serializes_with_a_tag() {
    let json = serde_json::to_string(&DayKind::Holiday {
        name: "春节".into(),
    })
    .unwrap();
    assert_eq!(json, r#"{"kind":"holiday","name":"春节"}"#);
    let back: DayKind =
        serde_json::from_str(r#"{"kind":"make_up_working","for_holiday":"春节"}"#).unwrap();
    assert_eq!(
        back,
        DayKind::MakeUpWorking {
            for_holiday: "春节".into()
        }
    );
}

#[test]
fn outside_loaded_years_is_an_error_never_a_guess() {
    let cal = cal();
    assert!(cal.covers(d(2024, 1, 1)));
    assert!(cal.covers(d(2026, 12, 31)));
    assert!(!cal.covers(d(2023, 12, 31)));
    assert!(!cal.covers(d(2027, 1, 1)));
    for date in [d(2023, 12, 31), d(2027, 1, 1), d(2027, 3, 1)] {
        match cal.is_working_day(date) {
            Err(CalendarError::OutsideCalendar {
                date: got,
                loaded_years,
            }) => {
                assert_eq!(got, date);
                assert_eq!(loaded_years, vec![2024, 2025, 2026]);
            }
            other => panic!("expected OutsideCalendar, got {other:?}"),
        }
        assert!(matches!(
            cal.day_kind(date),
            Err(CalendarError::OutsideCalendar { date: got, .. }) if got == date
        ));
    }
    let err = cal.day_kind(d(2027, 3, 1)).unwrap_err();
    assert_eq!(
        err.message_zh(),
        "日期 2027-03-01 超出已加载的节假日日历范围（已加载：2024、2025、2026 年）"
    );
}
