//! The holiday calendar (节假日日历) and working-day arithmetic (工作日计算).

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::arrangement::YearArrangement;
use crate::error::CalendarError;

/// How a day is classified (日期类型).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayKind {
    /// Ordinary working day (工作日): Monday–Friday, not a holiday.
    Working,
    /// Make-up working day (调休上班日): a weekend day worked in exchange for
    /// the holiday `for_holiday`.
    MakeUpWorking {
        /// The holiday it compensates (对应节日).
        for_holiday: String,
    },
    /// Weekend rest day (周末休息日).
    Weekend,
    /// Statutory holiday rest day (法定节假日), inside the holiday `name`.
    Holiday {
        /// Holiday name (节日名称).
        name: String,
    },
}

impl DayKind {
    /// Whether this is a working day (工作日), i.e. [`DayKind::Working`] or
    /// [`DayKind::MakeUpWorking`].
    #[must_use]
    pub fn is_working(&self) -> bool {
        matches!(self, Self::Working | Self::MakeUpWorking { .. })
    }

    /// Whether this is a rest day (休息日): weekend or holiday.
    #[must_use]
    pub fn is_rest(&self) -> bool {
        !self.is_working()
    }
}

/// Compact day classification stored per day of a loaded year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Code {
    Working,
    MakeUp,
    Weekend,
    Holiday,
}

#[derive(Debug, Clone, Copy)]
struct Cell {
    code: Code,
    /// Index into `YearTable::names` for `MakeUp` and `Holiday`.
    name: u16,
}

/// A loaded year: one cell per day plus a prefix count of working days, so
/// that every working-day query is O(log 366) per year crossed.
#[derive(Debug, Clone)]
struct YearTable {
    jan1: NaiveDate,
    cells: Vec<Cell>,
    /// `cum[i]` = number of working days among day-of-year indices `0..i`;
    /// `cum.len() == cells.len() + 1`.
    cum: Vec<u16>,
    names: Vec<String>,
    arrangement: YearArrangement,
}

impl YearTable {
    fn build(arrangement: YearArrangement) -> Result<Self, CalendarError> {
        arrangement.validate()?;
        let year = arrangement.year;
        let jan1 = NaiveDate::from_yo_opt(year, 1)
            .ok_or_else(|| CalendarError::invalid(format!("年份 {year} 超出可表示范围")))?;
        let len: usize = if jan1.leap_year() { 366 } else { 365 };
        let mut names: Vec<String> = Vec::new();
        let mut name_index = |name: &str| -> Result<u16, CalendarError> {
            if let Some(i) = names.iter().position(|n| n == name) {
                return u16::try_from(i).map_err(|_| CalendarError::invalid("节日名称过多"));
            }
            names.push(name.to_owned());
            u16::try_from(names.len() - 1).map_err(|_| CalendarError::invalid("节日名称过多"))
        };
        let mut cells: Vec<Cell> = jan1
            .iter_days()
            .take(len)
            .map(|d| Cell {
                code: if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
                    Code::Weekend
                } else {
                    Code::Working
                },
                name: 0,
            })
            .collect();
        for h in &arrangement.holidays {
            let name = name_index(&h.name)?;
            for i in h.from.ordinal0()..=h.to.ordinal0() {
                if let Some(cell) = cells.get_mut(i as usize) {
                    *cell = Cell {
                        code: Code::Holiday,
                        name,
                    };
                }
            }
        }
        for m in &arrangement.make_up_working_days {
            let name = name_index(&m.for_holiday)?;
            if let Some(cell) = cells.get_mut(m.date.ordinal0() as usize) {
                *cell = Cell {
                    code: Code::MakeUp,
                    name,
                };
            }
        }
        let mut cum = Vec::with_capacity(len + 1);
        let mut count: u16 = 0;
        cum.push(count);
        for cell in &cells {
            if matches!(cell.code, Code::Working | Code::MakeUp) {
                count += 1;
            }
            cum.push(count);
        }
        Ok(Self {
            jan1,
            cells,
            cum,
            names,
            arrangement,
        })
    }

    fn len(&self) -> usize {
        self.cells.len()
    }

    fn total_working(&self) -> u16 {
        self.cum[self.len()]
    }

    fn date_at(&self, index: usize) -> NaiveDate {
        // `index < 366`, so adding to 1 January of a representable year stays
        // representable (the year was checked when the table was built).
        self.jan1 + Days::new(index as u64)
    }

    /// Day-of-year index of the `k`-th (1-based) working day of the year;
    /// `k` must be in `1..=total_working()`.
    fn kth_working_index(&self, k: u16) -> usize {
        self.cum.partition_point(|&c| c < k) - 1
    }

    fn is_working_at(&self, index: usize) -> bool {
        matches!(self.cells[index].code, Code::Working | Code::MakeUp)
    }

    fn kind_at(&self, index: usize) -> DayKind {
        let cell = self.cells[index];
        let name = || self.names[usize::from(cell.name)].clone();
        match cell.code {
            Code::Working => DayKind::Working,
            Code::MakeUp => DayKind::MakeUpWorking {
                for_holiday: name(),
            },
            Code::Weekend => DayKind::Weekend,
            Code::Holiday => DayKind::Holiday { name: name() },
        }
    }
}

/// The statutory holiday calendar (法定节假日日历): the loaded years' holiday
/// arrangements, classifying each day as a working day (工作日) or a rest day
/// (休息日).
///
/// Only loaded years can be classified; any other date is
/// [`CalendarError::OutsideCalendar`]. Loading a year is cheap and can be done
/// at run time ([`HolidayCalendar::add_year`]).
#[derive(Debug, Clone, Default)]
pub struct HolidayCalendar {
    years: BTreeMap<i32, YearTable>,
    /// Provisional years (暂定年度) computed from the statutory holidays, for years after the
    /// first loaded one whose arrangement is not loaded; see [`HolidayCalendar::with_provisional_years`].
    provisional: BTreeMap<i32, YearTable>,
    /// How many years past the last loaded one get a provisional arrangement (0: none).
    provisional_ahead: u32,
}

impl HolidayCalendar {
    /// An empty calendar (空日历) with no year loaded.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Load every `*.json` file of `dir` (读取节假日日历目录), one year per file,
    /// ignoring other files and sub-directories. Files are read in name order.
    ///
    /// Each file is validated ([`YearArrangement::validate`]); in addition, a
    /// file whose stem is a number (e.g. `2025.json`) must contain that year,
    /// and no year may appear in two files.
    ///
    /// # Errors
    /// - [`CalendarError::Io`] when the directory or a file cannot be read;
    /// - [`CalendarError::Invalid`] (with `file` set) for a malformed or
    ///   inconsistent file or a duplicate year, and (with `file: None`) when
    ///   the directory contains no `*.json` file.
    pub fn load_dir(dir: &Path) -> Result<Self, CalendarError> {
        let io_err = |path: &Path, source| CalendarError::Io {
            path: path.display().to_string(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io_err(dir, e))? {
            let path = entry.map_err(|e| io_err(dir, e))?.path();
            let is_json = path
                .extension()
                .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
            if is_json && path.is_file() {
                paths.push(path);
            }
        }
        paths.sort();
        if paths.is_empty() {
            return Err(CalendarError::invalid(format!(
                "目录 {} 中没有节假日日历文件（*.json）",
                dir.display()
            )));
        }
        let mut calendar = Self::new();
        for path in paths {
            let file_name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string());
            let text = std::fs::read_to_string(&path).map_err(|e| io_err(&path, e))?;
            let arrangement =
                YearArrangement::from_json_str(&text).map_err(|e| e.in_file(&file_name))?;
            let stem_year = path
                .file_stem()
                .and_then(|s| s.to_str())
                .and_then(|s| s.parse::<i32>().ok());
            if let Some(stem_year) = stem_year {
                if stem_year != arrangement.year {
                    return Err(CalendarError::Invalid {
                        file: Some(file_name),
                        reason: format!(
                            "文件名表示 {stem_year} 年，但 year 字段为 {}",
                            arrangement.year
                        ),
                    });
                }
            }
            if calendar.years.contains_key(&arrangement.year) {
                return Err(CalendarError::Invalid {
                    file: Some(file_name),
                    reason: format!("{} 年的节假日安排重复出现", arrangement.year),
                });
            }
            calendar
                .add_year(arrangement)
                .map_err(|e| e.in_file(&file_name))?;
        }
        Ok(calendar)
    }

    /// Build a calendar from year arrangements (由年度安排构建日历).
    ///
    /// # Errors
    /// [`CalendarError::Invalid`] when an arrangement is inconsistent or a year
    /// appears twice.
    pub fn from_arrangements(arrangements: Vec<YearArrangement>) -> Result<Self, CalendarError> {
        let mut calendar = Self::new();
        for arrangement in arrangements {
            let year = arrangement.year;
            if calendar.add_year(arrangement)? {
                return Err(CalendarError::invalid(format!(
                    "{year} 年的节假日安排重复出现"
                )));
            }
        }
        Ok(calendar)
    }

    /// Add (or replace) one year's arrangement (加载或替换某年安排). Returns
    /// `true` when a previously loaded arrangement for that year was replaced.
    ///
    /// # Errors
    /// [`CalendarError::Invalid`] when the arrangement is inconsistent; the
    /// calendar is then unchanged.
    pub fn add_year(&mut self, arrangement: YearArrangement) -> Result<bool, CalendarError> {
        let year = arrangement.year;
        let table = YearTable::build(arrangement)?;
        let replaced = self.years.insert(year, table).is_some();
        self.refresh_provisional();
        Ok(replaced)
    }

    /// Answer for years whose arrangement is not loaded yet with a provisional arrangement
    /// (暂定安排, [`YearArrangement::provisional`]): every missing year from the first loaded one to
    /// `ahead` years past the last loaded one. Deadlines that use such a year are marked
    /// provisional ([`crate::Deadline::provisional`]); loading the year's real arrangement
    /// replaces it. Without this, such dates are [`CalendarError::OutsideCalendar`].
    #[must_use]
    pub fn with_provisional_years(mut self, ahead: u32) -> Self {
        self.provisional_ahead = ahead;
        self.refresh_provisional();
        self
    }

    fn refresh_provisional(&mut self) {
        self.provisional.clear();
        let (Some(&first), Some(&last)) = (self.years.keys().next(), self.years.keys().last())
        else {
            return;
        };
        if self.provisional_ahead == 0 {
            return;
        }
        let ahead = i32::try_from(self.provisional_ahead).unwrap_or(i32::MAX);
        for year in first..=last.saturating_add(ahead) {
            if self.years.contains_key(&year) {
                continue;
            }
            if let Ok(table) = YearArrangement::provisional(year).and_then(YearTable::build) {
                self.provisional.insert(year, table);
            }
        }
    }

    /// Whether `year` is answered by a provisional arrangement (暂定).
    #[must_use]
    pub fn is_provisional(&self, year: i32) -> bool {
        !self.years.contains_key(&year) && self.provisional.contains_key(&year)
    }

    /// Loaded years (已加载年份), ascending.
    #[must_use]
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    /// The loaded arrangement for `year` (某年的节假日安排), if any.
    #[must_use]
    pub fn arrangement(&self, year: i32) -> Option<&YearArrangement> {
        self.years.get(&year).map(|t| &t.arrangement)
    }

    /// Whether the year of `date` is loaded (日期在日历范围内).
    #[must_use]
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.years.contains_key(&date.year())
    }

    /// Whether `date` is a working day (是否工作日).
    ///
    /// # Errors
    /// [`CalendarError::OutsideCalendar`] when the year of `date` is not loaded.
    pub fn is_working_day(&self, date: NaiveDate) -> Result<bool, CalendarError> {
        let table = self.table(date.year(), date)?;
        Ok(table.is_working_at(date.ordinal0() as usize))
    }

    /// Classify `date` (日期类型).
    ///
    /// # Errors
    /// [`CalendarError::OutsideCalendar`] when the year of `date` is not loaded.
    pub fn day_kind(&self, date: NaiveDate) -> Result<DayKind, CalendarError> {
        let table = self.table(date.year(), date)?;
        Ok(table.kind_at(date.ordinal0() as usize))
    }

    /// The error for `date` lying outside the loaded years.
    pub(crate) fn outside(&self, date: NaiveDate) -> CalendarError {
        CalendarError::OutsideCalendar {
            date,
            loaded_years: self.years(),
        }
    }

    /// The table of `year`, or `OutsideCalendar { date: needed }`.
    fn table(&self, year: i32, needed: NaiveDate) -> Result<&YearTable, CalendarError> {
        self.years
            .get(&year)
            .or_else(|| self.provisional.get(&year))
            .ok_or_else(|| self.outside(needed))
    }

    /// The `n`-th working day on or after `from` (`n >= 1`).
    fn nth_working_on_or_after(&self, from: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        debug_assert!(n >= 1);
        let mut remaining = n;
        let mut year = from.year();
        let mut index = from.ordinal0() as usize;
        let mut needed = from;
        loop {
            let table = self.table(year, needed)?;
            let before = table.cum[index];
            let available = u32::from(table.total_working() - before);
            if remaining <= available {
                // remaining <= available <= 366, so the cast cannot truncate.
                let k = before + remaining as u16;
                return Ok(table.date_at(table.kth_working_index(k)));
            }
            remaining -= available;
            year = year
                .checked_add(1)
                .ok_or_else(|| CalendarError::invalid("日期超出可表示范围"))?;
            index = 0;
            needed = NaiveDate::from_yo_opt(year, 1)
                .ok_or_else(|| CalendarError::invalid("日期超出可表示范围"))?;
        }
    }

    /// The `n`-th working day on or before `from` (`n >= 1`).
    fn nth_working_on_or_before(
        &self,
        from: NaiveDate,
        n: u32,
    ) -> Result<NaiveDate, CalendarError> {
        debug_assert!(n >= 1);
        let mut remaining = n;
        let mut year = from.year();
        let mut end = from.ordinal0() as usize + 1; // exclusive
        let mut needed = from;
        loop {
            let table = self.table(year, needed)?;
            let available = u32::from(table.cum[end]);
            if remaining <= available {
                let k = table.cum[end] - remaining as u16 + 1;
                return Ok(table.date_at(table.kth_working_index(k)));
            }
            remaining -= available;
            year = year
                .checked_sub(1)
                .ok_or_else(|| CalendarError::invalid("日期超出可表示范围"))?;
            needed = NaiveDate::from_ymd_opt(year, 12, 31)
                .ok_or_else(|| CalendarError::invalid("日期超出可表示范围"))?;
            end = needed.ordinal0() as usize + 1;
        }
    }

    /// The first working day on or after `date` (当日或之后的第一个工作日).
    ///
    /// # Errors
    /// [`CalendarError::OutsideCalendar`] when a day that must be examined lies
    /// in a year that is not loaded.
    pub fn next_working_day_on_or_after(
        &self,
        date: NaiveDate,
    ) -> Result<NaiveDate, CalendarError> {
        self.nth_working_on_or_after(date, 1)
    }

    /// The date `n` working days after `date` (向后数 n 个工作日), not counting
    /// `date` itself (《民法典》第二百零一条). `n == 0` returns `date` unchanged.
    ///
    /// # Errors
    /// [`CalendarError::OutsideCalendar`] when a day that must be examined lies
    /// in a year that is not loaded (the classification of `date` itself is
    /// not needed).
    pub fn add_working_days(&self, date: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        if n == 0 {
            return Ok(date);
        }
        let next = date
            .succ_opt()
            .ok_or_else(|| CalendarError::invalid("日期超出可表示范围"))?;
        self.nth_working_on_or_after(next, n)
    }

    /// The date lying `n` working days before `date` (向前数 n 个工作日): the
    /// `n`-th working day strictly before `date`, counting backwards. For a
    /// working day `d`, `add_working_days(subtract_working_days(d, n), n) == d`.
    /// `n == 0` returns `date` unchanged.
    ///
    /// # Errors
    /// [`CalendarError::OutsideCalendar`] when a day that must be examined lies
    /// in a year that is not loaded.
    pub fn subtract_working_days(
        &self,
        date: NaiveDate,
        n: u32,
    ) -> Result<NaiveDate, CalendarError> {
        if n == 0 {
            return Ok(date);
        }
        let prev = date
            .pred_opt()
            .ok_or_else(|| CalendarError::invalid("日期超出可表示范围"))?;
        self.nth_working_on_or_before(prev, n)
    }

    /// Number of working days after `from` up to and including `to`
    /// (区间 (from, to] 内的工作日数). Returns 0 when `to <= from`.
    ///
    /// # Errors
    /// [`CalendarError::OutsideCalendar`] when a day in `(from, to]` lies in a
    /// year that is not loaded.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u32, CalendarError> {
        if to <= from {
            return Ok(0);
        }
        let first = from
            .succ_opt()
            .ok_or_else(|| CalendarError::invalid("日期超出可表示范围"))?;
        let mut total: u32 = 0;
        for year in first.year()..=to.year() {
            let needed = if year == first.year() {
                first
            } else {
                NaiveDate::from_yo_opt(year, 1)
                    .ok_or_else(|| CalendarError::invalid("日期超出可表示范围"))?
            };
            let table = self.table(year, needed)?;
            let lo = if year == first.year() {
                first.ordinal0() as usize
            } else {
                0
            };
            let hi = if year == to.year() {
                to.ordinal0() as usize + 1
            } else {
                table.len()
            };
            total += u32::from(table.cum[hi] - table.cum[lo]);
        }
        Ok(total)
    }
}

/// The date `n` working days after `date`, not counting `date`
/// (向后数 n 个工作日). See [`HolidayCalendar::add_working_days`].
///
/// # Errors
/// [`CalendarError::OutsideCalendar`] when a needed day is not loaded.
pub fn add_working_days(
    calendar: &HolidayCalendar,
    date: NaiveDate,
    n: u32,
) -> Result<NaiveDate, CalendarError> {
    calendar.add_working_days(date, n)
}

/// The first working day on or after `date` (当日或之后的第一个工作日). See
/// [`HolidayCalendar::next_working_day_on_or_after`].
///
/// # Errors
/// [`CalendarError::OutsideCalendar`] when a needed day is not loaded.
pub fn next_working_day_on_or_after(
    calendar: &HolidayCalendar,
    date: NaiveDate,
) -> Result<NaiveDate, CalendarError> {
    calendar.next_working_day_on_or_after(date)
}

/// Working days in `(from, to]` (工作日数); 0 when `to <= from`. See
/// [`HolidayCalendar::working_days_between`].
///
/// # Errors
/// [`CalendarError::OutsideCalendar`] when a needed day is not loaded.
pub fn working_days_between(
    calendar: &HolidayCalendar,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<u32, CalendarError> {
    calendar.working_days_between(from, to)
}

/// The date `n` working days before `date` (向前数 n 个工作日). See
/// [`HolidayCalendar::subtract_working_days`].
///
/// # Errors
/// [`CalendarError::OutsideCalendar`] when a needed day is not loaded.
pub fn subtract_working_days(
    calendar: &HolidayCalendar,
    date: NaiveDate,
    n: u32,
) -> Result<NaiveDate, CalendarError> {
    calendar.subtract_working_days(date, n)
}
