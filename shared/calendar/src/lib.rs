//! Statutory holiday calendar (法定节假日日历) and deadline computation
//! (法定期限计算) for the xinfang (信访) platform.
//!
//! The State Council publishes each year's holiday arrangement (节假日安排)
//! every autumn; the platform loads it as data from `deploy/calendars/YYYY.json`
//! ([`HolidayCalendar::load_dir`]) and computes statutory clocks with it
//! ([`compute_due`]). A date in a year that is not loaded is an error
//! ([`CalendarError::OutsideCalendar`]), unless the calendar was asked to answer
//! provisionally ([`HolidayCalendar::with_provisional_years`]): then the year's
//! statutory holidays (fixed and lunar, with 补假) and weekends stand in for the
//! unpublished arrangement, and a deadline using them is marked 暂定
//! ([`Deadline::provisional`]).
//!
//! # Day classification (日期分类)
//! A day is a working day (工作日) iff it is an announced make-up working day
//! (调休上班日), or it is Monday–Friday and not inside an announced holiday
//! (法定节假日). Every other day is a rest day (休息日): a weekend (周末) or a
//! holiday. See [`DayKind`].
//!
//! # Counting rules (期间计算规则, 《民法典》第二百零一条至第二百零四条)
//! - **The start day is not counted** (第二百零一条): counting begins the next
//!   day, for both units.
//! - **Calendar days** ("N 日", [`PeriodUnit::CalendarDays`]): the raw end is
//!   `start + N`. Approved calendar-day extensions (延期) are added to the raw
//!   end *before* rolling.
//! - **Working days** ("N 个工作日", [`PeriodUnit::WorkingDays`]): count
//!   forward N working days after the start.
//! - **Roll forward** (第二百零三条): if the last day is a rest day, the
//!   period ends on the next working day.
//! - Approved **working-day extensions** count working days forward from the
//!   rolled end.
//! - **Clock stops** ([`ClockStop`], e.g. hearing time 听证所需时间不计算在内):
//!   stopped days are inclusive ranges. For calendar-day counting every
//!   stopped day after the start and on or before the running end pushes the
//!   end forward by one day; the end is recomputed until stable, so stops that
//!   lie in the pushed part count too, and a day covered by overlapping stops
//!   counts once. For working-day counting stopped days are simply not
//!   counted. Equivalently: a period of K units ends on the K-th day after the
//!   start that is of the right kind *and* not stopped.
//!
//! # Corner cases (边界情形) and the choices made
//! - **Stop beginning on or before the start date**: only its days after the
//!   start count (the start day is never counted anyway); a stop lying wholly
//!   on or before the start has no effect.
//! - **Stop beginning after the end**: no effect — the period had already run
//!   out. "The end" here is the counted end *before* rolling: a stop that only
//!   covers rest days skipped by the roll (e.g. the Sunday after a Saturday
//!   end) has no effect either.
//! - **Rolling onto a stopped day**: the due date is never a day on which the
//!   clock is stopped. If the first working day found by rolling lies inside a
//!   stop, the roll continues after the stop (to the first working day on
//!   which the clock runs).
//! - **Stops and extensions**: calendar-day extensions lengthen the count, so
//!   stops falling in the extended part push the end too; working-day
//!   extensions skip stopped days like any working-day count.
//! - **Several extensions**: calendar-day extensions are summed and applied
//!   before rolling, in any order; working-day extensions are then counted one
//!   after another from the rolled end, in the order given (the result does not
//!   depend on the order).
//! - **A working-day period with a calendar-day extension**: the calendar days
//!   are counted from the N-th working day, then the result is rolled.
//! - **Zero-length period**: the end is the start date itself, rolled forward
//!   if it is a rest day (or stopped); `add_working_days(d, 0)` and
//!   `subtract_working_days(d, 0)` return `d` unchanged (no roll).
//! - **Invalid stop** (`from > to`): [`CalendarError::Invalid`].
//! - **Periods so long the date is not representable**:
//!   [`CalendarError::Invalid`].
//! - **What must be loaded**: only the days whose classification is actually
//!   examined. The start date's own year need not be loaded (its kind is
//!   never needed); stopped days are never classified; a calendar-day period
//!   only needs its (pushed) end and the days the roll passes over. Any needed
//!   day outside the loaded years gives `OutsideCalendar` with that date.
//! - [`working_days_between`]`(from, to)` counts working days in `(from, to]`
//!   and is 0 when `to <= from`. [`subtract_working_days`]`(d, n)` is the
//!   n-th working day strictly before `d`, counting backwards; for a working
//!   day `d`, `add_working_days(subtract_working_days(d, n), n) == d` and
//!   `working_days_between(subtract_working_days(d, n), d) == n`.
//! - **Calendar data**: a holiday crossing the new year must be split between
//!   the two years' files (every date of a file lies in its `year`); holiday
//!   ranges may not overlap; a make-up day must be a Saturday or Sunday and
//!   not inside a holiday; [`HolidayCalendar::load_dir`] rejects a directory
//!   without `*.json` files, a file whose numeric name differs from its `year`,
//!   and a year given twice. [`HolidayCalendar::add_year`] replaces a loaded
//!   year (and says so).
//!
//! # Performance (性能)
//! Each loaded year keeps one compact cell per day and a prefix count of
//! working days, so `is_working_day`, `add_working_days`,
//! `subtract_working_days`, `next_working_day_on_or_after` and
//! `working_days_between` cost O(log 366) per year crossed, without
//! allocation. [`compute_due_date_only`] skips the explanation and allocates
//! only when there are clock stops.
//!
//! # Example
//! ```
//! use chrono::NaiveDate;
//! use xinfang_calendar::{compute_due, DeadlineSpec, HolidayCalendar, YearArrangement};
//!
//! let year = YearArrangement::from_json_str(r#"{
//!     "year": 2025, "source": "国办发明电〔2024〕12号",
//!     "holidays": [{"name": "国庆、中秋", "from": "2025-10-01", "to": "2025-10-08"}],
//!     "make_up_working_days": [{"date": "2025-09-28", "for": "国庆、中秋"},
//!                              {"date": "2025-10-11", "for": "国庆、中秋"}]
//! }"#)?;
//! let calendar = HolidayCalendar::from_arrangements(vec![year])?;
//! let start = NaiveDate::from_ymd_opt(2025, 9, 8).expect("valid date");
//! let deadline = compute_due(&calendar, &DeadlineSpec::calendar_days(start, 30))?;
//! assert_eq!(deadline.due, NaiveDate::from_ymd_opt(2025, 10, 9).expect("valid date"));
//! # Ok::<(), xinfang_calendar::CalendarError>(())
//! ```

mod arrangement;
mod calendar;
mod deadline;
mod error;
mod provisional;
mod source;

pub use arrangement::{Holiday, MakeUpWorkingDay, YearArrangement};
pub use calendar::{
    add_working_days, next_working_day_on_or_after, subtract_working_days, working_days_between,
    DayKind, HolidayCalendar,
};
pub use deadline::{
    compute_due, compute_due_date_only, ClockStop, Deadline, DeadlineSpec, Extension, PeriodUnit,
};
pub use error::CalendarError;
pub use provisional::PROVISIONAL_SOURCE;
pub use source::{calendar_dir, load_calendars, shipped_dir, LoadError};
