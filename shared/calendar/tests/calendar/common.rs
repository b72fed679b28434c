//! Shared helpers for the integration tests.

use std::path::PathBuf;

use chrono::NaiveDate;
use xinfang_calendar::HolidayCalendar;

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid test date")
}

/// `deploy/calendars/` of the workspace.
pub fn calendars_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/calendars"
    ))
}

/// The real calendar files (2024, 2025, 2026).
pub fn cal() -> HolidayCalendar {
    HolidayCalendar::load_dir(&calendars_dir()).expect("deploy/calendars loads")
}

/// Iterate over every date in `[from, to]`.
pub fn days(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |x| *x <= to)
}

/// A fresh, empty temporary directory unique to this test.
pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "xinfang-calendar-test-{}-{tag}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}
