//! Loading calendars (加载节假日日历) from files and arrangements.

use std::fs;

use crate::common::{cal, calendars_dir, d, temp_dir};
use xinfang_calendar::{CalendarError, DayKind, HolidayCalendar, YearArrangement};

const Y2025: &str = r#"{"year": 2025, "source": "国办发明电〔2024〕12号",
  "holidays": [{"name": "国庆、中秋", "from": "2025-10-01", "to": "2025-10-08"}],
  "make_up_working_days": [{"date": "2025-09-28", "for": "国庆、中秋"}]}"#;

fn invalid_file(err: CalendarError) -> (Option<String>, String) {
    match err {
        CalendarError::Invalid { file, reason } => (file, reason),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

#[test]
fn loads_the_real_files() {
    let cal = cal();
    assert_eq!(cal.years(), vec![2024, 2025, 2026]);
    assert_eq!(
        cal.arrangement(2025).unwrap().source,
        "国办发明电〔2024〕12号"
    );
    assert_eq!(
        cal.arrangement(2024).unwrap().source,
        "国办发明电〔2023〕7号"
    );
    assert!(cal.arrangement(2026).unwrap().source.contains("2026"));
    assert!(cal.arrangement(2027).is_none());
    // Every real file also parses on its own and matches its name.
    for year in [2024, 2025, 2026] {
        let text = fs::read_to_string(calendars_dir().join(format!("{year}.json"))).unwrap();
        let arrangement = YearArrangement::from_json_str(&text).unwrap();
        assert_eq!(arrangement.year, year);
        assert_eq!(&arrangement, cal.arrangement(year).unwrap());
    }
}

#[test]
fn ignores_non_json_files() {
    let dir = temp_dir("ignore");
    fs::write(dir.join("2025.json"), Y2025).unwrap();
    fs::write(dir.join("README.md"), "# not json").unwrap();
    fs::write(dir.join("2026.json.bak"), "{").unwrap();
    fs::create_dir(dir.join("old.json")).unwrap();
    let cal = HolidayCalendar::load_dir(&dir).unwrap();
    assert_eq!(cal.years(), vec![2025]);
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_file_is_reported_with_its_name() {
    let dir = temp_dir("malformed");
    fs::write(dir.join("2025.json"), Y2025).unwrap();
    fs::write(
        dir.join("2026.json"),
        r#"{"year": 2026, "source": "x", "holidays": [}"#,
    )
    .unwrap();
    let err = HolidayCalendar::load_dir(&dir).unwrap_err();
    assert!(err
        .message_zh()
        .starts_with("节假日日历文件 2026.json 无效"));
    let (file, reason) = invalid_file(err);
    assert_eq!(file.as_deref(), Some("2026.json"));
    assert!(reason.contains("JSON"), "{reason}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn inconsistent_file_is_rejected() {
    let dir = temp_dir("inconsistent");
    // A date of another year.
    fs::write(
        dir.join("2025.json"),
        r#"{"year": 2025, "source": "x", "holidays": [{"name": "元旦", "from": "2024-12-31", "to": "2025-01-01"}]}"#,
    )
    .unwrap();
    let (file, reason) = invalid_file(HolidayCalendar::load_dir(&dir).unwrap_err());
    assert_eq!(file.as_deref(), Some("2025.json"));
    assert!(reason.contains("不在 2025 年内"), "{reason}");
    // A day both holiday and make-up day.
    fs::write(
        dir.join("2025.json"),
        r#"{"year": 2025, "source": "x", "holidays": [{"name": "国庆", "from": "2025-10-01", "to": "2025-10-08"}],
            "make_up_working_days": [{"date": "2025-10-04", "for": "国庆"}]}"#,
    )
    .unwrap();
    let (_, reason) = invalid_file(HolidayCalendar::load_dir(&dir).unwrap_err());
    assert!(reason.contains("既是节假日"), "{reason}");
    // from > to.
    fs::write(
        dir.join("2025.json"),
        r#"{"year": 2025, "source": "x", "holidays": [{"name": "国庆", "from": "2025-10-08", "to": "2025-10-01"}]}"#,
    )
    .unwrap();
    let (_, reason) = invalid_file(HolidayCalendar::load_dir(&dir).unwrap_err());
    assert!(reason.contains("晚于"), "{reason}");
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn duplicate_year_and_name_mismatch_are_rejected() {
    let dir = temp_dir("duplicate");
    fs::write(dir.join("2025.json"), Y2025).unwrap();
    fs::write(dir.join("copy.json"), Y2025).unwrap();
    let (file, reason) = invalid_file(HolidayCalendar::load_dir(&dir).unwrap_err());
    assert_eq!(file.as_deref(), Some("copy.json"));
    assert!(reason.contains("重复"), "{reason}");
    fs::remove_file(dir.join("copy.json")).unwrap();

    fs::write(dir.join("2024.json"), Y2025).unwrap();
    let (file, reason) = invalid_file(HolidayCalendar::load_dir(&dir).unwrap_err());
    assert_eq!(file.as_deref(), Some("2024.json"));
    assert!(
        reason.contains("2024") && reason.contains("2025"),
        "{reason}"
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn empty_and_missing_directories() {
    let dir = temp_dir("empty");
    fs::write(dir.join("notes.txt"), "x").unwrap();
    let (file, reason) = invalid_file(HolidayCalendar::load_dir(&dir).unwrap_err());
    assert_eq!(file, None);
    assert!(reason.contains("没有"), "{reason}");
    fs::remove_dir_all(&dir).unwrap();

    let missing = dir.join("does-not-exist");
    let err = HolidayCalendar::load_dir(&missing).unwrap_err();
    assert!(matches!(err, CalendarError::Io { .. }), "{err:?}");
    assert!(err.message_zh().starts_with("读取节假日日历"));
}

#[test]
fn from_arrangements_and_add_year() {
    let a2025 = YearArrangement::from_json_str(Y2025).unwrap();
    let mut cal = HolidayCalendar::from_arrangements(vec![a2025.clone()]).unwrap();
    assert_eq!(cal.years(), vec![2025]);
    assert!(!cal.covers(d(2026, 1, 1)));

    // Duplicate year in one batch.
    let (file, _) = invalid_file(
        HolidayCalendar::from_arrangements(vec![a2025.clone(), a2025.clone()]).unwrap_err(),
    );
    assert_eq!(file, None);

    // A new year becomes available at run time.
    let a2026 = YearArrangement::from_json_str(
        r#"{"year": 2026, "source": "x", "holidays": [{"name": "元旦", "from": "2026-01-01", "to": "2026-01-03"}]}"#,
    )
    .unwrap();
    assert!(!cal.add_year(a2026).unwrap());
    assert_eq!(cal.years(), vec![2025, 2026]);
    assert!(!cal.is_working_day(d(2026, 1, 2)).unwrap());

    // Replacing a year: returns true and takes effect.
    assert_eq!(
        cal.day_kind(d(2025, 9, 28)).unwrap(),
        DayKind::MakeUpWorking {
            for_holiday: "国庆、中秋".into()
        }
    );
    let mut corrected = a2025;
    corrected.make_up_working_days.clear();
    corrected.source = "更正".into();
    assert!(cal.add_year(corrected).unwrap());
    assert_eq!(cal.day_kind(d(2025, 9, 28)).unwrap(), DayKind::Weekend);
    assert_eq!(cal.arrangement(2025).unwrap().source, "更正");

    // An invalid arrangement leaves the calendar unchanged.
    let mut bad = cal.arrangement(2025).unwrap().clone();
    bad.year = 2024;
    assert!(cal.add_year(bad).is_err());
    assert_eq!(cal.years(), vec![2025, 2026]);
}

#[test]
fn leap_year_is_handled() {
    // 2024 is a leap year: 2024-12-31 is day 366.
    let cal = cal();
    assert!(cal.is_working_day(d(2024, 12, 31)).unwrap());
    assert!(cal.is_working_day(d(2024, 2, 29)).unwrap());
    assert_eq!(
        cal.add_working_days(d(2024, 2, 28), 1).unwrap(),
        d(2024, 2, 29)
    );
}

#[test]
fn empty_calendar_covers_nothing() {
    let cal = HolidayCalendar::new();
    assert!(cal.years().is_empty());
    let err = cal.is_working_day(d(2025, 1, 1)).unwrap_err();
    assert!(err.message_zh().contains("尚未加载"));
}
