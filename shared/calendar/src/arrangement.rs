//! One year's holiday arrangement (年度节假日安排), as published by the State
//! Council and stored in `deploy/calendars/YYYY.json`.

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::CalendarError;

/// One year's holiday arrangement (年度节假日安排), transcribed from the State
/// Council General Office's notice (国务院办公厅关于部分节假日安排的通知).
///
/// Deserializes from the JSON format documented in `deploy/calendars/README.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearArrangement {
    /// The calendar year (年份).
    pub year: i32,
    /// The notice the data comes from (文号 / 通知名称).
    pub source: String,
    /// Optional remarks (备注).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Holiday periods (放假安排); every day inside a range is a rest day.
    pub holidays: Vec<Holiday>,
    /// Make-up working days (调休上班日): weekend days that are working days.
    #[serde(default)]
    pub make_up_working_days: Vec<MakeUpWorkingDay>,
}

/// A holiday period (法定节假日放假期间), inclusive on both ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    /// Holiday name (节日名称), e.g. 春节.
    pub name: String,
    /// First day off (放假首日).
    pub from: NaiveDate,
    /// Last day off (放假末日), inclusive.
    pub to: NaiveDate,
}

/// A make-up working day (调休上班日): a Saturday or Sunday that is a working
/// day because of a nearby holiday.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MakeUpWorkingDay {
    /// The date (日期).
    pub date: NaiveDate,
    /// The holiday it compensates (调休所对应的节日); `"for"` in JSON.
    #[serde(rename = "for")]
    pub for_holiday: String,
}

impl YearArrangement {
    /// Parse one year's arrangement from JSON (解析年度节假日安排) and validate it
    /// (see [`YearArrangement::validate`]).
    ///
    /// # Errors
    /// [`CalendarError::Invalid`] (with `file: None`) when the JSON is malformed
    /// or the data is inconsistent.
    pub fn from_json_str(json: &str) -> Result<Self, CalendarError> {
        let arrangement: Self = serde_json::from_str(json)
            .map_err(|e| CalendarError::invalid(format!("JSON 格式错误：{e}")))?;
        arrangement.validate()?;
        Ok(arrangement)
    }

    /// Check the arrangement is consistent (校验):
    /// - `source` is not empty, every holiday has a name and every make-up day
    ///   names its holiday;
    /// - every date lies in `year`;
    /// - `from <= to` for every holiday, and holiday ranges do not overlap;
    /// - every make-up working day is a Saturday or Sunday, is listed once, and
    ///   is not inside a holiday range (no date is both a holiday and a
    ///   make-up day).
    ///
    /// # Errors
    /// [`CalendarError::Invalid`] with `file: None` describing the first problem.
    pub fn validate(&self) -> Result<(), CalendarError> {
        let year = self.year;
        let in_year = |d: NaiveDate, what: &str| -> Result<(), CalendarError> {
            if d.year() == year {
                Ok(())
            } else {
                Err(CalendarError::invalid(format!(
                    "{what} {d} 不在 {year} 年内（每个文件只能包含本年度的日期）"
                )))
            }
        };
        if NaiveDate::from_yo_opt(year, 1).is_none() {
            return Err(CalendarError::invalid(format!(
                "年份 {year} 超出可表示范围"
            )));
        }
        if self.source.trim().is_empty() {
            return Err(CalendarError::invalid("source（通知来源）不能为空"));
        }
        for h in &self.holidays {
            if h.name.trim().is_empty() {
                return Err(CalendarError::invalid(format!(
                    "{} 起的节假日缺少名称",
                    h.from
                )));
            }
            in_year(h.from, &format!("节假日“{}”的起始日", h.name))?;
            in_year(h.to, &format!("节假日“{}”的结束日", h.name))?;
            if h.from > h.to {
                return Err(CalendarError::invalid(format!(
                    "节假日“{}”的起始日 {} 晚于结束日 {}",
                    h.name, h.from, h.to
                )));
            }
        }
        let mut sorted: Vec<&Holiday> = self.holidays.iter().collect();
        sorted.sort_by_key(|h| h.from);
        for pair in sorted.windows(2) {
            if let [a, b] = pair {
                if b.from <= a.to {
                    return Err(CalendarError::invalid(format!(
                        "节假日“{}”（{} 至 {}）与“{}”（{} 至 {}）日期重叠",
                        a.name, a.from, a.to, b.name, b.from, b.to
                    )));
                }
            }
        }
        let mut seen: Vec<NaiveDate> = Vec::with_capacity(self.make_up_working_days.len());
        for m in &self.make_up_working_days {
            in_year(m.date, "调休上班日")?;
            if m.for_holiday.trim().is_empty() {
                return Err(CalendarError::invalid(format!(
                    "调休上班日 {} 缺少对应节日（for）",
                    m.date
                )));
            }
            if !matches!(m.date.weekday(), Weekday::Sat | Weekday::Sun) {
                return Err(CalendarError::invalid(format!(
                    "调休上班日 {} 不是星期六或星期日",
                    m.date
                )));
            }
            if let Some(h) = self
                .holidays
                .iter()
                .find(|h| h.from <= m.date && m.date <= h.to)
            {
                return Err(CalendarError::invalid(format!(
                    "{} 既是节假日“{}”又是调休上班日",
                    m.date, h.name
                )));
            }
            if seen.contains(&m.date) {
                return Err(CalendarError::invalid(format!(
                    "调休上班日 {} 重复列出",
                    m.date
                )));
            }
            seen.push(m.date);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> YearArrangement {
        YearArrangement::from_json_str(
            r#"{"year": 2025, "source": "test",
                "holidays": [{"name": "春节", "from": "2025-01-28", "to": "2025-02-04"}],
                "make_up_working_days": [{"date": "2025-01-26", "for": "春节"}]}"#,
        )
        .unwrap()
    }

    fn reason(err: CalendarError) -> String {
        match err {
            CalendarError::Invalid { file: None, reason } => reason,
            other => panic!("unexpected error {other:?}"),
        }
    }

    #[test]
    fn parses_and_round_trips() {
        let a = base();
        assert_eq!(a.year, 2025);
        assert_eq!(a.make_up_working_days[0].for_holiday, "春节");
        let json = serde_json::to_string(&a).unwrap();
        assert!(json.contains(r#""for":"春节""#));
        assert!(!json.contains("notes"));
        assert_eq!(YearArrangement::from_json_str(&json).unwrap(), a);
    }

    #[test]
    fn make_up_list_may_be_omitted() {
        let a = YearArrangement::from_json_str(r#"{"year": 2025, "source": "s", "holidays": []}"#)
            .unwrap();
        assert!(a.make_up_working_days.is_empty());
    }

    #[test]
    fn rejects_malformed_json_and_unknown_fields() {
        assert!(reason(YearArrangement::from_json_str("{").unwrap_err()).contains("JSON"));
        let typo = r#"{"year": 2025, "source": "s", "holidays": [], "make_up_workdays": []}"#;
        assert!(reason(YearArrangement::from_json_str(typo).unwrap_err()).contains("JSON"));
        let bad_date = r#"{"year": 2025, "source": "s", "holidays": [{"name": "x", "from": "2025-02-30", "to": "2025-03-01"}]}"#;
        assert!(YearArrangement::from_json_str(bad_date).is_err());
    }

    #[test]
    fn rejects_inconsistent_data() {
        let mut a = base();
        a.holidays[0].to = NaiveDate::from_ymd_opt(2026, 2, 4).unwrap();
        assert!(reason(a.validate().unwrap_err()).contains("不在 2025 年内"));

        let mut a = base();
        a.holidays[0].from = NaiveDate::from_ymd_opt(2025, 2, 5).unwrap();
        assert!(reason(a.validate().unwrap_err()).contains("晚于"));

        let mut a = base();
        a.make_up_working_days[0].date = NaiveDate::from_ymd_opt(2025, 2, 1).unwrap();
        assert!(reason(a.validate().unwrap_err()).contains("既是节假日"));

        let mut a = base();
        a.make_up_working_days[0].date = NaiveDate::from_ymd_opt(2025, 1, 27).unwrap();
        assert!(reason(a.validate().unwrap_err()).contains("不是星期六或星期日"));

        let mut a = base();
        a.make_up_working_days
            .push(a.make_up_working_days[0].clone());
        assert!(reason(a.validate().unwrap_err()).contains("重复"));

        let mut a = base();
        a.holidays.push(Holiday {
            name: "重叠".into(),
            from: NaiveDate::from_ymd_opt(2025, 2, 4).unwrap(),
            to: NaiveDate::from_ymd_opt(2025, 2, 6).unwrap(),
        });
        assert!(reason(a.validate().unwrap_err()).contains("重叠"));

        let mut a = base();
        a.source = " ".into();
        assert!(reason(a.validate().unwrap_err()).contains("source"));

        let mut a = base();
        a.holidays[0].name = String::new();
        assert!(reason(a.validate().unwrap_err()).contains("缺少名称"));

        let mut a = base();
        a.make_up_working_days[0].for_holiday = String::new();
        assert!(reason(a.validate().unwrap_err()).contains("for"));

        let mut a = base();
        a.make_up_working_days[0].date = NaiveDate::from_ymd_opt(2024, 1, 28).unwrap();
        assert!(reason(a.validate().unwrap_err()).contains("不在 2025 年内"));
    }
}
