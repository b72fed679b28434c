//! The holiday calendars in use (节假日安排), replaceable at run time when a year is published, the
//! deadline engine's clock, and how newly found years merge into the loaded calendar.

use std::{
    path::PathBuf,
    sync::{Arc, Mutex, RwLock},
};

use chrono::{NaiveDate, Utc};
use xinfang_calendar::{HolidayCalendar, YearArrangement};

use crate::configuration::Limits;

/// How many years past the last published one get a provisional arrangement (暂定安排): their
/// deadlines are computed from the statutory holidays and weekends, marked 暂定, and re-projected
/// when the year's arrangement is published.
pub const PROVISIONAL_YEARS_AHEAD: u32 = 3;

/// The loaded holiday calendars, replaceable at run time when a new year is published.
pub type SharedCalendar = Arc<RwLock<Arc<HolidayCalendar>>>;

pub fn current(calendar: &SharedCalendar) -> Arc<HolidayCalendar> {
    calendar.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Replace the loaded calendars (a year was published).
pub fn replace(calendar: &SharedCalendar, next: HolidayCalendar) {
    *calendar.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
}

/// Today's date for the timers (China time), injectable.
pub type Clock = Arc<dyn Fn() -> NaiveDate + Send + Sync>;

/// The real clock: today in China (UTC+8).
pub fn system_clock() -> Clock {
    Arc::new(|| xinfang_platform::time::china_date(Utc::now()))
}

/// A clock tests (and drills) set by hand.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<NaiveDate>>);

impl ManualClock {
    pub fn new(today: NaiveDate) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(today)))
    }
    pub fn set(&self, today: NaiveDate) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = today;
    }
    pub fn clock(&self) -> Clock {
        let me = self.0.clone();
        Arc::new(move || *me.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// What the deadline engine (期限引擎) needs at run time (shared with the HTTP handlers as app
/// data).
#[derive(Clone)]
pub struct Engine {
    pub calendar: SharedCalendar,
    pub limits: Limits,
    pub calendar_dir: PathBuf,
    pub clock: Clock,
}

impl Engine {
    pub fn today(&self) -> NaiveDate {
        (self.clock)()
    }
}

/// Add to `next` each arrangement it does not hold yet as given; returns the years that changed.
/// An arrangement that contradicts the loaded calendar is an error (its Chinese message).
pub fn merge_years<'a>(
    next: &mut HolidayCalendar,
    arrangements: impl IntoIterator<Item = &'a YearArrangement>,
) -> Result<Vec<i32>, String> {
    let mut changed = Vec::new();
    for a in arrangements {
        if next.arrangement(a.year) != Some(a) {
            changed.push(a.year);
            next.add_year(a.clone()).map_err(|e| e.message_zh())?;
        }
    }
    Ok(changed)
}
