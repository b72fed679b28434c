//! Errors (错误) of the calendar crate.

use chrono::NaiveDate;

/// Error raised by the holiday calendar (节假日日历) and the deadline
/// computation (期限计算).
///
/// `Display` gives an English message for logs; [`CalendarError::message_zh`]
/// gives a Chinese message for users (面向用户的中文提示).
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    /// A date needed for the computation lies in a year whose holiday
    /// arrangement (节假日安排) is not loaded (超出日历范围). The crate never
    /// guesses how such a day is classified.
    ///
    /// `date` is the first date that was needed and could not be classified;
    /// `loaded_years` lists the years loaded at the time, for the message.
    /// Match it with `CalendarError::OutsideCalendar { date, .. }`.
    #[error("date {date} is outside the loaded holiday calendar (loaded years: {})", years_en(.loaded_years))]
    OutsideCalendar {
        /// The date that could not be classified (无法判定的日期).
        date: NaiveDate,
        /// Years loaded in the calendar (已加载年份), ascending.
        loaded_years: Vec<i32>,
    },

    /// Invalid data (数据无效): a malformed or inconsistent calendar file, or an
    /// invalid deadline specification. `file` names the calendar file when the
    /// problem is in one; `reason` is a short Chinese description.
    #[error("invalid calendar data{}: {reason}", file_en(.file))]
    Invalid {
        /// File name of the offending calendar file (文件名), if any.
        file: Option<String>,
        /// What is wrong (原因), in Chinese.
        reason: String,
    },

    /// The calendar directory or a file in it could not be read (读取失败).
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path that could not be read (路径).
        path: String,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
}

fn years_en(years: &[i32]) -> String {
    if years.is_empty() {
        "none".to_owned()
    } else {
        years
            .iter()
            .map(i32::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn file_en(file: &Option<String>) -> String {
    match file {
        Some(f) => format!(" in {f}"),
        None => String::new(),
    }
}

impl CalendarError {
    /// Chinese message for users (面向用户的中文提示), e.g.
    /// "日期 2027-03-01 超出已加载的节假日日历范围（已加载：2024、2025、2026 年）".
    #[must_use]
    pub fn message_zh(&self) -> String {
        match self {
            Self::OutsideCalendar { date, loaded_years } => {
                if loaded_years.is_empty() {
                    format!(
                        "日期 {date} 超出已加载的节假日日历范围（尚未加载任何年份的节假日安排）"
                    )
                } else {
                    let years = loaded_years
                        .iter()
                        .map(i32::to_string)
                        .collect::<Vec<_>>()
                        .join("、");
                    format!("日期 {date} 超出已加载的节假日日历范围（已加载：{years} 年）")
                }
            }
            Self::Invalid {
                file: Some(file),
                reason,
            } => format!("节假日日历文件 {file} 无效：{reason}"),
            Self::Invalid { file: None, reason } => format!("数据无效：{reason}"),
            Self::Io { path, source } => format!("读取节假日日历 {path} 失败：{source}"),
        }
    }

    /// Shorthand for an [`CalendarError::Invalid`] error not tied to a file.
    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::Invalid {
            file: None,
            reason: reason.into(),
        }
    }

    /// Attach a file name to an [`CalendarError::Invalid`] error that has none.
    pub(crate) fn in_file(self, name: &str) -> Self {
        match self {
            Self::Invalid { file: None, reason } => Self::Invalid {
                file: Some(name.to_owned()),
                reason,
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_calendar_messages() {
        let err = CalendarError::OutsideCalendar {
            date: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
            loaded_years: vec![2024, 2025, 2026],
        };
        assert_eq!(
            err.message_zh(),
            "日期 2027-03-01 超出已加载的节假日日历范围（已加载：2024、2025、2026 年）"
        );
        assert_eq!(
            err.to_string(),
            "date 2027-03-01 is outside the loaded holiday calendar (loaded years: 2024, 2025, 2026)"
        );
        let empty = CalendarError::OutsideCalendar {
            date: NaiveDate::from_ymd_opt(2027, 3, 1).unwrap(),
            loaded_years: vec![],
        };
        assert!(empty.message_zh().contains("尚未加载"));
        assert!(empty.to_string().ends_with("(loaded years: none)"));
    }

    #[test]
    fn invalid_and_io_messages() {
        let err = CalendarError::invalid("x").in_file("2025.json");
        assert_eq!(err.message_zh(), "节假日日历文件 2025.json 无效：x");
        assert_eq!(err.to_string(), "invalid calendar data in 2025.json: x");
        let err = CalendarError::invalid("y");
        assert_eq!(err.message_zh(), "数据无效：y");
        assert_eq!(err.to_string(), "invalid calendar data: y");
        let io = CalendarError::Io {
            path: "/nope".into(),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "not found"),
        };
        assert!(io.message_zh().starts_with("读取节假日日历 /nope 失败"));
        assert!(std::error::Error::source(&io).is_some());
    }
}
