//! Statutory deadline computation (法定期限计算).

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::calendar::{DayKind, HolidayCalendar};
use crate::error::CalendarError;

/// Unit of a period (期间单位).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PeriodUnit {
    /// Calendar days (日 / 自然日): "N 日". Serialized as `calendar_days`.
    CalendarDays,
    /// Working days (工作日): "N 个工作日". Serialized as `working_days`.
    WorkingDays,
}

impl PeriodUnit {
    /// The snake_case name (`calendar_days` / `working_days`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CalendarDays => "calendar_days",
            Self::WorkingDays => "working_days",
        }
    }

    /// The Chinese unit as written after a number (中文单位): "日" / "个工作日".
    #[must_use]
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::CalendarDays => "日",
            Self::WorkingDays => "个工作日",
        }
    }
}

impl fmt::Display for PeriodUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PeriodUnit {
    type Err = CalendarError;

    /// Accepts `calendar_days` / `calendar` / `calendar-days` / `日` / `自然日`
    /// and `working_days` / `working` / `working-days` / `工作日` / `个工作日`
    /// (ASCII case-insensitive, surrounding whitespace ignored).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "calendar_days" | "calendar" | "calendar-days" | "日" | "自然日" => {
                Ok(Self::CalendarDays)
            }
            "working_days" | "working" | "working-days" | "工作日" | "个工作日" => {
                Ok(Self::WorkingDays)
            }
            other => Err(CalendarError::invalid(format!(
                "无法识别的期间单位“{other}”（应为 calendar_days 或 working_days）"
            ))),
        }
    }
}

/// A clock stop (中止计时 / 不计算在期限内的期间): the clock does not run from
/// `from` to `to`, both inclusive — e.g. the time needed for a hearing (听证，
/// 《信访工作条例》第三十六条 "听证所需时间不计算在内").
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ClockStop {
    /// First stopped day (中止首日).
    pub from: NaiveDate,
    /// Last stopped day (中止末日), inclusive.
    pub to: NaiveDate,
    /// Why the clock stops (事由), e.g. "听证".
    #[serde(default)]
    pub reason: String,
}

/// An approved extension (延期), e.g. 《信访工作条例》第三十四条's extension of
/// at most 30 日 approved by the unit head.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Extension {
    /// Length of the extension (延长期间).
    pub period: u32,
    /// Unit of the extension (单位).
    pub unit: PeriodUnit,
    /// Reason given (延期理由).
    #[serde(default)]
    pub reason: String,
}

/// What to compute (期限参数): a period of `period` `unit`s starting on
/// `start` (the start day itself is not counted), with clock stops and
/// approved extensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DeadlineSpec {
    /// Start date (起算日), e.g. the date of receipt or acceptance. Not counted.
    pub start: NaiveDate,
    /// Length of the period (期间长度).
    pub period: u32,
    /// Unit of the period (期间单位).
    pub unit: PeriodUnit,
    /// Clock stops (中止计时); may be omitted in JSON.
    #[serde(default)]
    pub stops: Vec<ClockStop>,
    /// Approved extensions (延期); may be omitted in JSON.
    #[serde(default)]
    pub extensions: Vec<Extension>,
}

impl DeadlineSpec {
    /// A period without stops or extensions (期限参数).
    #[must_use]
    pub fn new(start: NaiveDate, period: u32, unit: PeriodUnit) -> Self {
        Self {
            start,
            period,
            unit,
            stops: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// "N 日" from `start` (自然日期间).
    #[must_use]
    pub fn calendar_days(start: NaiveDate, period: u32) -> Self {
        Self::new(start, period, PeriodUnit::CalendarDays)
    }

    /// "N 个工作日" from `start` (工作日期间).
    #[must_use]
    pub fn working_days(start: NaiveDate, period: u32) -> Self {
        Self::new(start, period, PeriodUnit::WorkingDays)
    }

    /// Add a clock stop (增加中止计时).
    #[must_use]
    pub fn with_stop(mut self, from: NaiveDate, to: NaiveDate, reason: impl Into<String>) -> Self {
        self.stops.push(ClockStop {
            from,
            to,
            reason: reason.into(),
        });
        self
    }

    /// Add an approved extension (增加延期).
    #[must_use]
    pub fn with_extension(
        mut self,
        period: u32,
        unit: PeriodUnit,
        reason: impl Into<String>,
    ) -> Self {
        self.extensions.push(Extension {
            period,
            unit,
            reason: reason.into(),
        });
        self
    }
}

/// A computed deadline (期满日) with the steps that led to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    /// The last day of the period (期满日 / 期限届满日), always a working day
    /// on which the clock runs.
    pub due: NaiveDate,
    /// Short Chinese sentences explaining every step (计算说明), for clerks.
    pub explanation: Vec<String>,
    /// 暂定: computed with a provisional arrangement (the year's 调休 not yet published); the
    /// explanation says so and why.
    #[serde(default)]
    pub provisional: bool,
}

/// Compute the deadline (计算期满日) and a Chinese explanation of every step.
/// See the crate documentation for the rules.
///
/// # Errors
/// - [`CalendarError::OutsideCalendar`] when a day that must be classified lies
///   in a year that is not loaded;
/// - [`CalendarError::Invalid`] for a clock stop with `from > to` or a period
///   so long that the date is not representable.
pub fn compute_due(
    calendar: &HolidayCalendar,
    spec: &DeadlineSpec,
) -> Result<Deadline, CalendarError> {
    let stops = Stops::new(&spec.stops)?;
    explained(calendar, spec, &stops)
}

/// Compute only the due date (仅计算期满日), skipping the explanation: cheap
/// enough to re-project millions of deadlines when a new year is loaded.
/// Always equal to `compute_due(calendar, spec)?.due`.
///
/// # Errors
/// As [`compute_due`].
pub fn compute_due_date_only(
    calendar: &HolidayCalendar,
    spec: &DeadlineSpec,
) -> Result<NaiveDate, CalendarError> {
    let stops = Stops::new(&spec.stops)?;
    let (calendar_ext, working_ext) = extension_totals(spec)?;
    let end = match spec.unit {
        PeriodUnit::CalendarDays => {
            count_calendar(spec.start, u64::from(spec.period) + calendar_ext, &stops)?
        }
        PeriodUnit::WorkingDays => {
            let base = count_working(calendar, spec.start, spec.period, &stops)?;
            count_calendar(base, calendar_ext, &stops)?
        }
    };
    let (rolled, _) = roll(calendar, end, &stops)?;
    count_working(calendar, rolled, working_ext, &stops)
}

// ---------------------------------------------------------------------------
// Counting primitives shared by both entry points.

/// Merged clock stops: sorted, disjoint, non-adjacent inclusive intervals.
struct Stops<'a> {
    specs: &'a [ClockStop],
    merged: Vec<(NaiveDate, NaiveDate)>,
}

impl<'a> Stops<'a> {
    fn new(specs: &'a [ClockStop]) -> Result<Self, CalendarError> {
        let mut intervals = Vec::with_capacity(specs.len());
        for stop in specs {
            if stop.from > stop.to {
                return Err(CalendarError::invalid(format!(
                    "中止计时的起始日 {} 晚于结束日 {}",
                    stop.from, stop.to
                )));
            }
            intervals.push((stop.from, stop.to));
        }
        intervals.sort_unstable();
        let mut merged: Vec<(NaiveDate, NaiveDate)> = Vec::with_capacity(intervals.len());
        for (from, to) in intervals {
            match merged.last_mut() {
                Some(last) if last.1.succ_opt().is_none_or(|next| from <= next) => {
                    last.1 = last.1.max(to);
                }
                _ => merged.push((from, to)),
            }
        }
        Ok(Self { specs, merged })
    }

    fn is_empty(&self) -> bool {
        self.merged.is_empty()
    }

    /// The merged stop interval containing `date`, if any.
    fn containing(&self, date: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        let i = self.merged.partition_point(|&(from, _)| from <= date);
        let &(from, to) = self.merged.get(i.checked_sub(1)?)?;
        (from <= date && date <= to).then_some((from, to))
    }

    /// Indices of the original stops overlapping `[from, to]`.
    fn overlapping(&self, from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = usize> + '_ {
        self.specs
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.from <= to && from <= s.to)
            .map(|(i, _)| i)
    }
}

fn plus_days(date: NaiveDate, n: u64) -> Result<NaiveDate, CalendarError> {
    date.checked_add_days(Days::new(n))
        .ok_or_else(|| CalendarError::invalid("期限过长，日期超出可表示范围"))
}

fn succ(date: NaiveDate) -> Result<NaiveDate, CalendarError> {
    date.succ_opt()
        .ok_or_else(|| CalendarError::invalid("日期超出可表示范围"))
}

fn extension_totals(spec: &DeadlineSpec) -> Result<(u64, u32), CalendarError> {
    let mut calendar: u64 = 0;
    let mut working: u64 = 0;
    for ext in &spec.extensions {
        match ext.unit {
            PeriodUnit::CalendarDays => calendar += u64::from(ext.period),
            PeriodUnit::WorkingDays => working += u64::from(ext.period),
        }
    }
    let working =
        u32::try_from(working).map_err(|_| CalendarError::invalid("延期的工作日合计过长"))?;
    Ok((calendar, working))
}

/// The `k`-th calendar day after `anchor` on which the clock runs (`anchor`
/// itself when `k == 0`). Needs no day classification.
fn count_calendar(
    anchor: NaiveDate,
    k: u64,
    stops: &Stops<'_>,
) -> Result<NaiveDate, CalendarError> {
    let mut cur = anchor;
    let mut remaining = k;
    for &(from, to) in &stops.merged {
        if to <= cur {
            continue;
        }
        let first_stopped = from.max(succ(cur)?);
        // Free (running) days strictly between `cur` and `first_stopped`.
        let free = u64::try_from((first_stopped - cur).num_days() - 1).unwrap_or(0);
        if remaining <= free {
            return plus_days(cur, remaining);
        }
        remaining -= free;
        cur = to;
    }
    plus_days(cur, remaining)
}

/// The `k`-th working day after `anchor` on which the clock runs (`anchor`
/// itself when `k == 0`). Stopped days are neither counted nor classified.
fn count_working(
    calendar: &HolidayCalendar,
    anchor: NaiveDate,
    k: u32,
    stops: &Stops<'_>,
) -> Result<NaiveDate, CalendarError> {
    if k == 0 {
        return Ok(anchor);
    }
    let mut cur = anchor;
    let mut remaining = k;
    for &(from, to) in &stops.merged {
        if to <= cur {
            continue;
        }
        let first_stopped = from.max(succ(cur)?);
        let candidate = calendar.add_working_days(cur, remaining);
        let reaches_stop = match &candidate {
            Ok(date) => *date >= first_stopped,
            Err(CalendarError::OutsideCalendar { date, .. }) => *date >= first_stopped,
            Err(_) => false,
        };
        if !reaches_stop {
            return candidate;
        }
        // Fewer than `remaining` working days lie before the stop, and all of
        // them are covered (the candidate search got past them).
        let last_free = first_stopped
            .pred_opt()
            .ok_or_else(|| CalendarError::invalid("日期超出可表示范围"))?;
        remaining -= calendar.working_days_between(cur, last_free)?;
        cur = to;
    }
    calendar.add_working_days(cur, remaining)
}

/// Roll `end` forward to the first working day on which the clock runs
/// (《民法典》第二百零三条). Also returns the stop intervals jumped over, as
/// `(first examined stopped day, stop end)`.
fn roll(
    calendar: &HolidayCalendar,
    end: NaiveDate,
    stops: &Stops<'_>,
) -> Result<(NaiveDate, Vec<(NaiveDate, NaiveDate)>), CalendarError> {
    let mut cur = end;
    let mut jumped = Vec::new();
    loop {
        let working = calendar.next_working_day_on_or_after(cur)?;
        match stops.containing(working) {
            Some((_, to)) => {
                jumped.push((working, to));
                cur = succ(to)?;
            }
            None => return Ok((working, jumped)),
        }
    }
}

// ---------------------------------------------------------------------------
// Explanation (计算说明).

fn weekday_zh(date: NaiveDate) -> &'static str {
    match date.weekday() {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

/// "2025-10-09（星期四）".
fn date_with_weekday(date: NaiveDate) -> String {
    format!("{date}（{}）", weekday_zh(date))
}

/// "2026-01-04（星期日，元旦调休上班日）" for a make-up working day, else
/// like [`date_with_weekday`].
fn date_with_day_kind(calendar: &HolidayCalendar, date: NaiveDate) -> String {
    match calendar.day_kind(date) {
        Ok(DayKind::MakeUpWorking { for_holiday }) => {
            format!("{date}（{}，{for_holiday}调休上班日）", weekday_zh(date))
        }
        _ => date_with_weekday(date),
    }
}

/// "国庆" → "国庆节假日", "春节" → "春节假日", "国庆、中秋" → "国庆、中秋节假日".
fn holiday_label(name: &str) -> String {
    if name.ends_with('节') {
        format!("{name}假日")
    } else {
        format!("{name}节假日")
    }
}

fn range_zh(from: NaiveDate, to: NaiveDate) -> String {
    if from == to {
        from.to_string()
    } else {
        format!("{from} 至 {to}")
    }
}

fn stop_reason(stop: &ClockStop) -> &str {
    if stop.reason.trim().is_empty() {
        "未注明事由"
    } else {
        &stop.reason
    }
}

/// A run of consecutive days with the labels that describe them.
#[derive(Debug)]
struct Run {
    from: NaiveDate,
    to: NaiveDate,
    days: u64,
    labels: Vec<String>,
}

fn push_run(runs: &mut Vec<Run>, from: NaiveDate, to: NaiveDate, label: &str) {
    let days = u64::try_from((to - from).num_days() + 1).unwrap_or(0);
    if let Some(last) = runs.last_mut() {
        if last.to.succ_opt() == Some(from) {
            last.to = to;
            last.days += days;
            if !last.labels.iter().any(|l| l == label) {
                last.labels.push(label.to_owned());
            }
            return;
        }
    }
    runs.push(Run {
        from,
        to,
        days,
        labels: vec![label.to_owned()],
    });
}

fn runs_zh(runs: &[Run]) -> String {
    runs.iter()
        .map(|r| format!("{}（{}）", range_zh(r.from, r.to), r.labels.join("及")))
        .collect::<Vec<_>>()
        .join("；")
}

/// What a day-by-day working-day count met on its way.
#[derive(Debug, Default)]
struct WalkLog {
    /// (date, ordinal of the working day, holiday it compensates)
    make_up: Vec<(NaiveDate, u32, String)>,
    rest: Vec<Run>,
    stopped: Vec<Run>,
}

impl WalkLog {
    fn describe(&self, lines: &mut Vec<String>) {
        if !self.make_up.is_empty() {
            let items = self
                .make_up
                .iter()
                .map(|(d, k, name)| {
                    format!(
                        "{d}（{}，{name}调休上班）计为第 {k} 个工作日",
                        weekday_zh(*d)
                    )
                })
                .collect::<Vec<_>>()
                .join("；");
            lines.push(format!("计入调休上班日：{items}。"));
        }
        if !self.rest.is_empty() {
            let total: u64 = self.rest.iter().map(|r| r.days).sum();
            lines.push(format!(
                "跳过休息日共 {total} 日：{}。",
                runs_zh(&self.rest)
            ));
        }
        if !self.stopped.is_empty() {
            let total: u64 = self.stopped.iter().map(|r| r.days).sum();
            lines.push(format!(
                "中止计时期间不计算在期限内，共 {total} 日：{}。",
                runs_zh(&self.stopped)
            ));
        }
    }
}

/// Day-by-day working-day count, recording what it skips. Same result as
/// [`count_working`].
fn walk_working(
    calendar: &HolidayCalendar,
    anchor: NaiveDate,
    k: u32,
    stops: &Stops<'_>,
    mentioned: &mut [bool],
) -> Result<(NaiveDate, WalkLog), CalendarError> {
    let mut log = WalkLog::default();
    let mut cur = anchor;
    let mut counted: u32 = 0;
    while counted < k {
        cur = succ(cur)?;
        if let Some((_, to)) = stops.containing(cur) {
            let reasons: Vec<&str> = stops
                .overlapping(cur, to)
                .map(|i| {
                    mentioned[i] = true;
                    stop_reason(&stops.specs[i])
                })
                .collect();
            push_run(&mut log.stopped, cur, to, &reasons.join("、"));
            cur = to;
            continue;
        }
        match calendar.day_kind(cur)? {
            DayKind::Working => counted += 1,
            DayKind::MakeUpWorking { for_holiday } => {
                counted += 1;
                log.make_up.push((cur, counted, for_holiday));
            }
            DayKind::Weekend => push_run(&mut log.rest, cur, cur, "周末"),
            DayKind::Holiday { name } => push_run(&mut log.rest, cur, cur, &holiday_label(&name)),
        }
    }
    Ok((cur, log))
}

/// Explain how the clock stops lengthened a calendar-day count over
/// `(anchor, end]`; returns the number of stopped days in that window.
fn describe_calendar_stops(
    lines: &mut Vec<String>,
    stops: &Stops<'_>,
    anchor: NaiveDate,
    end: NaiveDate,
    mentioned: &mut [bool],
) -> u64 {
    let mut counted: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    let mut total: u64 = 0;
    for (i, stop) in stops.specs.iter().enumerate() {
        let lo = match anchor.succ_opt() {
            Some(next) => stop.from.max(next),
            None => continue,
        };
        let hi = stop.to.min(end);
        if lo > hi {
            continue;
        }
        mentioned[i] = true;
        // Days of [lo, hi] not already counted for an earlier stop.
        let mut days: u64 = 0;
        let mut day = lo;
        while day <= hi {
            if !counted.iter().any(|&(a, b)| a <= day && day <= b) {
                days += 1;
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        let mut notes = Vec::new();
        if stop.from < lo {
            notes.push(format!("{} 及之前的日期不计", anchor));
        }
        if days < u64::try_from((hi - lo).num_days() + 1).unwrap_or(0) {
            notes.push("与前述中止计时重叠的日期不重复计算".to_owned());
        }
        if stop.to > end {
            notes.push(format!("{} 之后的日期已在期限届满之后", end));
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("（{}）", notes.join("；"))
        };
        let what = format!(
            "中止计时 {}（{}）不计算在期限内",
            range_zh(stop.from, stop.to),
            stop_reason(stop)
        );
        if days == 0 {
            lines.push(format!("{what}：与前述中止计时期间重叠，不再顺延{notes}。"));
        } else {
            lines.push(format!(
                "{what}：期间内 {days} 日，届满日相应顺延 {days} 日{notes}。"
            ));
        }
        counted.push((lo, hi));
        total += days;
    }
    total
}

fn explained(
    calendar: &HolidayCalendar,
    spec: &DeadlineSpec,
    stops: &Stops<'_>,
) -> Result<Deadline, CalendarError> {
    let start = spec.start;
    let n = spec.period;
    let mut lines = Vec::new();
    let mut mentioned = vec![false; stops.specs.len()];
    let (calendar_ext, _) = extension_totals(spec)?;

    lines.push(format!(
        "起算日为 {}；依《民法典》第二百零一条，开始的当日不计入，自次日 {} 起算。",
        date_with_weekday(start),
        succ(start)?
    ));

    let calendar_extensions = spec
        .extensions
        .iter()
        .filter(|e| e.unit == PeriodUnit::CalendarDays);
    let working_extensions = spec
        .extensions
        .iter()
        .filter(|e| e.unit == PeriodUnit::WorkingDays);

    // 1. The period itself, then calendar-day extensions (before rolling).
    let (anchor, raw) = match spec.unit {
        PeriodUnit::CalendarDays => {
            let raw = plus_days(start, u64::from(n))?;
            lines.push(format!(
                "期限为 {n} 日：{start} 加 {n} 日，届满日为 {}。",
                date_with_weekday(raw)
            ));
            (start, raw)
        }
        PeriodUnit::WorkingDays => {
            lines.push(format!(
                "期限为 {n} 个工作日：只计算工作日（含调休上班日），周末和法定节假日不计入。"
            ));
            let (base, log) = walk_working(calendar, start, n, stops, &mut mentioned)?;
            log.describe(&mut lines);
            if n == 0 {
                lines.push(format!(
                    "期限为 0，届满日即起算日 {}。",
                    date_with_weekday(base)
                ));
            } else {
                lines.push(format!(
                    "第 {n} 个工作日为 {}。",
                    date_with_day_kind(calendar, base)
                ));
            }
            (base, base)
        }
    };
    let mut running = raw;
    for ext in calendar_extensions {
        let next = plus_days(running, u64::from(ext.period))?;
        lines.push(format!(
            "经批准延期 {} 日（{}）：届满日由 {running} 延至 {}。",
            ext.period,
            if ext.reason.trim().is_empty() {
                "未注明理由"
            } else {
                &ext.reason
            },
            date_with_weekday(next)
        ));
        running = next;
    }
    let calendar_days = match spec.unit {
        PeriodUnit::CalendarDays => u64::from(n) + calendar_ext,
        PeriodUnit::WorkingDays => calendar_ext,
    };
    let end = count_calendar(anchor, calendar_days, stops)?;
    if calendar_days > 0 && !stops.is_empty() {
        let stopped = describe_calendar_stops(&mut lines, stops, anchor, end, &mut mentioned);
        if stopped > 0 {
            lines.push(format!(
                "计入中止计时共 {stopped} 日后，届满日为 {}。",
                date_with_weekday(end)
            ));
        }
    }

    // 2. Roll forward to a working day (《民法典》第二百零三条).
    let (rolled, jumped) = roll(calendar, end, stops)?;
    if rolled != end {
        let kind = calendar.day_kind(end)?;
        let first = if stops.containing(end).is_some() {
            format!("{}处于中止计时期间", date_with_weekday(end))
        } else {
            match kind {
                DayKind::Weekend => format!("{}为周末休息日", date_with_weekday(end)),
                DayKind::Holiday { name } => {
                    format!(
                        "{}为{}（休息日）",
                        date_with_weekday(end),
                        holiday_label(&name)
                    )
                }
                DayKind::Working | DayKind::MakeUpWorking { .. } => {
                    format!("{}为工作日", date_with_weekday(end))
                }
            }
        };
        let mut sentence = first;
        if let Some(last_rest) = rolled.pred_opt() {
            if last_rest > end && jumped.is_empty() {
                sentence.push_str(&format!("，其后至 {last_rest} 仍为休息日"));
            }
        }
        for &(from, to) in &jumped {
            let reasons: Vec<&str> = stops
                .overlapping(from, to)
                .map(|i| {
                    mentioned[i] = true;
                    stop_reason(&stops.specs[i])
                })
                .collect();
            sentence.push_str(&format!(
                "；{} 处于中止计时期间（{}），不作为期满日",
                range_zh(from, to),
                reasons.join("、")
            ));
        }
        if calendar.is_working_day(end)? {
            sentence.push_str(&format!(
                "，顺延至下一个计时的工作日 {}。",
                date_with_day_kind(calendar, rolled)
            ));
        } else {
            sentence.push_str(&format!(
                "。依《民法典》第二百零三条，期间的最后一日是法定休假日的，以法定休假日结束的次日为期间的最后一日，顺延至下一个工作日 {}。",
                date_with_day_kind(calendar, rolled)
            ));
        }
        lines.push(sentence);
    }

    // 3. Working-day extensions count forward from the rolled end.
    let mut due = rolled;
    for ext in working_extensions {
        lines.push(format!(
            "经批准延期 {} 个工作日（{}），自 {due} 的次日起继续计算。",
            ext.period,
            if ext.reason.trim().is_empty() {
                "未注明理由"
            } else {
                &ext.reason
            }
        ));
        let (next, log) = walk_working(calendar, due, ext.period, stops, &mut mentioned)?;
        log.describe(&mut lines);
        lines.push(format!(
            "延期的第 {} 个工作日为 {}。",
            ext.period,
            date_with_day_kind(calendar, next)
        ));
        due = next;
    }

    // 4. Stops that played no part.
    for (i, stop) in stops.specs.iter().enumerate() {
        if mentioned[i] {
            continue;
        }
        let where_ = if stop.to <= start {
            format!("在起算日 {start} 当日或之前")
        } else if stop.from > due {
            format!("在期满日 {due} 之后")
        } else {
            "未占用期限内的计数日".to_owned()
        };
        lines.push(format!(
            "中止计时 {}（{}）{where_}，不影响期限。",
            range_zh(stop.from, stop.to),
            stop_reason(stop)
        ));
    }

    lines.push(format!("期满日：{}。", date_with_day_kind(calendar, due)));
    let provisional_years: Vec<String> = (start.year()..=due.year())
        .filter(|y| calendar.is_provisional(*y))
        .map(|y| y.to_string())
        .collect();
    let provisional = !provisional_years.is_empty();
    if provisional {
        lines.push(format!(
            "暂定：{} 年国务院办公厅节假日安排尚未公布，本期满日按《全国年节及纪念日放假办法》规定的法定节假日（含按农历推算的春节、端午、中秋和清明节气）及周末推算，未计调休；安排公布后自动重新计算。",
            provisional_years.join("、")
        ));
    }
    Ok(Deadline {
        due,
        explanation: lines,
        provisional,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn stop(from: NaiveDate, to: NaiveDate) -> ClockStop {
        ClockStop {
            from,
            to,
            reason: "t".into(),
        }
    }

    #[test]
    fn stops_merge_overlapping_and_adjacent() {
        let specs = vec![
            stop(d(2025, 3, 10), d(2025, 3, 12)),
            stop(d(2025, 3, 1), d(2025, 3, 3)),
            stop(d(2025, 3, 4), d(2025, 3, 5)),
            stop(d(2025, 3, 11), d(2025, 3, 20)),
        ];
        let stops = Stops::new(&specs).unwrap();
        assert_eq!(
            stops.merged,
            vec![
                (d(2025, 3, 1), d(2025, 3, 5)),
                (d(2025, 3, 10), d(2025, 3, 20))
            ]
        );
        assert_eq!(
            stops.containing(d(2025, 3, 1)),
            Some((d(2025, 3, 1), d(2025, 3, 5)))
        );
        assert_eq!(
            stops.containing(d(2025, 3, 20)),
            Some((d(2025, 3, 10), d(2025, 3, 20)))
        );
        assert_eq!(stops.containing(d(2025, 3, 6)), None);
        assert_eq!(stops.containing(d(2025, 2, 28)), None);
        assert_eq!(stops.containing(d(2025, 3, 21)), None);
    }

    #[test]
    fn stop_with_from_after_to_is_invalid() {
        let specs = vec![stop(d(2025, 3, 10), d(2025, 3, 9))];
        assert!(matches!(
            Stops::new(&specs),
            Err(CalendarError::Invalid { file: None, .. })
        ));
    }

    #[test]
    fn count_calendar_skips_stopped_days() {
        let specs = vec![stop(d(2025, 3, 3), d(2025, 3, 4))];
        let stops = Stops::new(&specs).unwrap();
        // 1 Mar + 5 running days: 2, (3, 4 stopped), 5, 6, 7, 8.
        assert_eq!(
            count_calendar(d(2025, 3, 1), 5, &stops).unwrap(),
            d(2025, 3, 8)
        );
        assert_eq!(
            count_calendar(d(2025, 3, 1), 1, &stops).unwrap(),
            d(2025, 3, 2)
        );
        assert_eq!(
            count_calendar(d(2025, 3, 1), 0, &stops).unwrap(),
            d(2025, 3, 1)
        );
        // Anchor inside the stop: the rest of the stop is skipped.
        assert_eq!(
            count_calendar(d(2025, 3, 3), 1, &stops).unwrap(),
            d(2025, 3, 5)
        );
    }

    #[test]
    fn labels() {
        assert_eq!(holiday_label("国庆"), "国庆节假日");
        assert_eq!(holiday_label("春节"), "春节假日");
        assert_eq!(holiday_label("劳动节"), "劳动节假日");
        assert_eq!(holiday_label("国庆、中秋"), "国庆、中秋节假日");
        assert_eq!(date_with_weekday(d(2025, 10, 9)), "2025-10-09（星期四）");
    }

    #[test]
    fn huge_period_is_invalid_not_a_panic() {
        let cal = HolidayCalendar::new();
        let spec = DeadlineSpec::calendar_days(d(2025, 1, 1), u32::MAX).with_extension(
            u32::MAX,
            PeriodUnit::CalendarDays,
            "x",
        );
        assert!(matches!(
            compute_due_date_only(&cal, &spec),
            Err(CalendarError::Invalid { .. })
        ));
        assert!(matches!(
            compute_due(&cal, &spec),
            Err(CalendarError::Invalid { .. })
        ));
    }
}
