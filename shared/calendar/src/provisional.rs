//! Provisional arrangements (暂定安排) for years whose State Council arrangement (国务院办公厅节假日
//! 安排通知) is not published yet.
//!
//! The statutory holidays themselves are fixed in advance by 《全国年节及纪念日放假办法》
//! (2025 revision, 国务院令第795号): 元旦 1 day (1月1日), 春节 4 days (农历除夕、正月初一至初三),
//! 清明 1 day (清明节气当日), 劳动节 2 days (5月1日、2日), 端午 1 day (农历五月初五), 中秋 1 day
//! (农历八月十五), 国庆 3 days (10月1日至3日); and a holiday falling on a Saturday or Sunday is made
//! up on the following working day (第六条, 补假). Only the yearly make-up working days (调休) are
//! unknown: a provisional arrangement has none, so it is marked 暂定 and replaced when the year's
//! arrangement is loaded.
//!
//! The lunar dates are computed with the Chinese traditional calendar of ICU4X
//! (`icu_calendar::cal::ChineseTraditional`), the solar term 清明 with the standard
//! 寿星 formula for the 21st century.

use chrono::{Datelike, Days, NaiveDate, Weekday};
use icu_calendar::{cal::ChineseTraditional, Date};

use crate::{
    arrangement::{Holiday, YearArrangement},
    error::CalendarError,
};

/// The source line of a provisional arrangement.
pub const PROVISIONAL_SOURCE: &str =
    "暂定：依《全国年节及纪念日放假办法》推算（国务院办公厅当年节假日安排尚未公布，不含调休）";

/// The lunar (month, day) of a Gregorian date in the Chinese calendar, `None` in a leap month.
fn lunar(date: NaiveDate) -> Option<(u8, u8)> {
    let month = u8::try_from(date.month()).ok()?;
    let day = u8::try_from(date.day()).ok()?;
    let iso = Date::try_new_iso(date.year(), month, day).ok()?;
    let chinese = iso.to_calendar(ChineseTraditional::new());
    let info = chinese.month();
    if info.to_input().is_leap() {
        return None;
    }
    Some((info.number(), chinese.day_of_month().0))
}

/// The first date of `year` (searching from `from` for `span` days) that is lunar `(month, day)`.
fn find_lunar(year: i32, from: (u32, u32), span: u64, target: (u8, u8)) -> Option<NaiveDate> {
    let start = NaiveDate::from_ymd_opt(year, from.0, from.1)?;
    start
        .iter_days()
        .take(usize::try_from(span).ok()?)
        .find(|d| lunar(*d) == Some(target))
}

/// 清明 (the solar term, sun at 15°) in April of `year`: 寿星 formula [Y×0.2422+C]−[Y/4] with the
/// 21st-century constant C = 4.81 (Y the year within the century).
fn qingming(year: i32) -> Option<NaiveDate> {
    if !(2001..=2099).contains(&year) {
        return None;
    }
    let y = f64::from(year % 100);
    let day = (y * 0.2422 + 4.81).floor() - (y / 4.0).floor();
    // `day` lies in 4..=6 for every year of the century.
    NaiveDate::from_ymd_opt(year, 4, day as u32)
}

/// The statutory holidays of `year` (法定节假日), each with its days, before making up weekends.
fn statutory_days(year: i32) -> Option<Vec<(&'static str, Vec<NaiveDate>)>> {
    let ymd = |m, d| NaiveDate::from_ymd_opt(year, m, d);
    let new_year = find_lunar(year, (1, 19), 35, (1, 1))?;
    let eve = new_year.checked_sub_days(Days::new(1))?;
    let spring: Vec<NaiveDate> = eve.iter_days().take(4).collect();
    let dragon_boat = find_lunar(year, (5, 25), 40, (5, 5))?;
    let mid_autumn = find_lunar(year, (9, 5), 40, (8, 15))?;
    Some(vec![
        ("元旦", vec![ymd(1, 1)?]),
        ("春节", spring),
        ("清明节", vec![qingming(year)?]),
        ("劳动节", vec![ymd(5, 1)?, ymd(5, 2)?]),
        ("端午节", vec![dragon_boat]),
        ("中秋节", vec![mid_autumn]),
        ("国庆节", vec![ymd(10, 1)?, ymd(10, 2)?, ymd(10, 3)?]),
    ])
}

fn weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

impl YearArrangement {
    /// The provisional arrangement of `year` (暂定安排): the statutory holidays, each holiday day
    /// falling on a weekend made up on the next weekday after its holiday (补假), no make-up
    /// working days. Holidays that meet (中秋 and 国庆) are merged.
    ///
    /// # Errors
    /// [`CalendarError::Invalid`] for a year outside 2001–2099 (the 清明 formula's century).
    pub fn provisional(year: i32) -> Result<YearArrangement, CalendarError> {
        let days = statutory_days(year).ok_or_else(|| {
            CalendarError::invalid(format!(
                "{year} 年的法定节假日无法推算（仅支持 2001–2099 年）"
            ))
        })?;
        let mut rest: std::collections::BTreeMap<NaiveDate, &'static str> = Default::default();
        for (name, list) in &days {
            for d in list {
                rest.insert(*d, name);
            }
        }
        // 补假: each holiday day on a weekend adds the next free weekday after the holiday.
        for (name, list) in &days {
            let owed = list.iter().filter(|d| weekend(**d)).count();
            let Some(mut cursor) = list.iter().max().copied() else {
                continue;
            };
            for _ in 0..owed {
                loop {
                    cursor = cursor
                        .succ_opt()
                        .ok_or_else(|| CalendarError::invalid("日期越界"))?;
                    if cursor.year() != year {
                        break;
                    }
                    if !weekend(cursor) && !rest.contains_key(&cursor) {
                        rest.insert(cursor, name);
                        break;
                    }
                }
            }
        }
        // Runs of consecutive rest days (holiday or weekend between holiday days) of one name
        // become one range; different names that touch are merged under the first.
        let mut holidays: Vec<Holiday> = Vec::new();
        for (d, name) in rest {
            match holidays.last_mut() {
                Some(last) if last.to.succ_opt() == Some(d) => last.to = d,
                Some(last)
                    if last.name == name
                        && last
                            .to
                            .iter_days()
                            .skip(1)
                            .take_while(|x| *x < d)
                            .all(weekend) =>
                {
                    last.to = d
                }
                _ => holidays.push(Holiday {
                    name: name.to_string(),
                    from: d,
                    to: d,
                }),
            }
        }
        let arrangement = YearArrangement {
            year,
            source: PROVISIONAL_SOURCE.to_string(),
            notes: Some("暂定安排，待国务院办公厅公布当年节假日安排后重新计算".to_string()),
            holidays,
            make_up_working_days: Vec::new(),
        };
        arrangement.validate()?;
        Ok(arrangement)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn rest_days(a: &YearArrangement) -> Vec<NaiveDate> {
        a.holidays
            .iter()
            .flat_map(|h| h.from.iter_days().take_while(move |x| *x <= h.to))
            .collect()
    }

    #[test]
    fn lunar_holidays_are_computed() {
        // Known dates: 春节 2025-01-29, 2026-02-17, 2027-02-06; 端午 2025-05-31, 2027-06-09;
        // 中秋 2025-10-06, 2027-09-15; 清明 2025-04-04, 2026-04-05, 2027-04-05.
        let f = |y| statutory_days(y).unwrap();
        assert_eq!(f(2025)[1].1[1], d(2025, 1, 29));
        assert_eq!(f(2026)[1].1[1], d(2026, 2, 17));
        assert_eq!(
            f(2027)[1].1,
            vec![d(2027, 2, 5), d(2027, 2, 6), d(2027, 2, 7), d(2027, 2, 8)]
        );
        assert_eq!(f(2025)[4].1, vec![d(2025, 5, 31)]);
        assert_eq!(f(2027)[4].1, vec![d(2027, 6, 9)]);
        assert_eq!(f(2025)[5].1, vec![d(2025, 10, 6)]);
        assert_eq!(f(2027)[5].1, vec![d(2027, 9, 15)]);
        assert_eq!(qingming(2025), Some(d(2025, 4, 4)));
        assert_eq!(qingming(2026), Some(d(2026, 4, 5)));
        assert_eq!(qingming(2027), Some(d(2027, 4, 5)));
    }

    #[test]
    fn the_2027_provisional_arrangement_makes_up_weekend_holidays() {
        let a = YearArrangement::provisional(2027).unwrap();
        assert!(a.source.starts_with("暂定"));
        assert!(a.make_up_working_days.is_empty());
        let rest = rest_days(&a);
        // 元旦 2027-01-01 is a Friday.
        assert!(rest.contains(&d(2027, 1, 1)));
        // 春节 2027-02-05 (Fri) … 02-08 (Mon): Sat 6 and Sun 7 are made up on Tue 9 and Wed 10.
        for day in [5, 8, 9, 10] {
            assert!(rest.contains(&d(2027, 2, day)), "2027-02-{day}");
        }
        assert!(!rest.contains(&d(2027, 2, 11)));
        // 劳动节 2027-05-01 (Sat), 02 (Sun): made up on Mon 3 and Tue 4.
        assert!(rest.contains(&d(2027, 5, 3)) && rest.contains(&d(2027, 5, 4)));
        // 国庆 2027-10-01 (Fri) … 03 (Sun): made up on Mon 4 and Tue 5.
        assert!(rest.contains(&d(2027, 10, 5)) && !rest.contains(&d(2027, 10, 6)));
    }

    #[test]
    fn mid_autumn_meeting_national_day_is_merged() {
        // 2028: 中秋 is 10-03, inside 国庆 10-01..03.
        let a = YearArrangement::provisional(2028).unwrap();
        assert!(a.validate().is_ok());
        assert!(YearArrangement::provisional(2100).is_err());
    }
}

#[cfg(test)]
mod deadline_tests {
    use chrono::NaiveDate;

    use crate::{compute_due, load_calendars, shipped_dir, CalendarError, DeadlineSpec};

    #[test]
    fn a_deadline_in_an_unpublished_year_is_provisional_not_missing() {
        let last = *load_calendars(&shipped_dir())
            .unwrap()
            .years()
            .last()
            .unwrap();
        let start = NaiveDate::from_ymd_opt(last, 12, 1).unwrap();
        let spec = DeadlineSpec::calendar_days(start, 60);
        let strict = load_calendars(&shipped_dir()).unwrap();
        assert!(matches!(
            compute_due(&strict, &spec),
            Err(CalendarError::OutsideCalendar { .. })
        ));
        let calendar = strict.with_provisional_years(2);
        assert!(calendar.is_provisional(last + 1));
        assert!(!calendar.is_provisional(last));
        let d = compute_due(&calendar, &spec).unwrap();
        assert!(d.provisional);
        assert!(
            d.explanation.last().unwrap().starts_with("暂定"),
            "{:?}",
            d.explanation
        );
        // A deadline inside loaded years is not provisional.
        let inside = compute_due(
            &calendar,
            &DeadlineSpec::calendar_days(NaiveDate::from_ymd_opt(last, 3, 1).unwrap(), 30),
        )
        .unwrap();
        assert!(!inside.provisional);
        // Loading the real arrangement replaces the provisional one.
        let mut published = calendar.clone();
        let mut real = crate::YearArrangement::provisional(last + 1).unwrap();
        real.source = "国办发明电（测试）".into();
        published.add_year(real).unwrap();
        assert!(!published.is_provisional(last + 1));
        assert!(!compute_due(&published, &spec).unwrap().provisional);
    }
}
