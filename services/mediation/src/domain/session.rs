//! Sessions (调解会): scheduled with date, place and participants, held with attendance and a
//! record (笔录), or adjourned to a new date.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    error::{MediationError, Result},
    text,
};

/// A session as submitted.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionDraft {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    /// 地点
    pub place: String,
    /// 调解室 (booked exclusively when given)
    #[serde(default)]
    pub room: Option<String>,
    /// 参加人员
    pub participants: Vec<String>,
}

/// A valid session time and place.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub place: String,
    pub room: Option<String>,
    pub participants: Vec<String>,
}

impl Schedule {
    pub fn parse(d: &SessionDraft) -> Result<Schedule> {
        if d.ends_at <= d.starts_at {
            return Err(MediationError::invalid("ends_at", "结束时间须晚于开始时间"));
        }
        if d.ends_at - d.starts_at > Duration::hours(12) {
            return Err(MediationError::invalid(
                "ends_at",
                "一次调解会不能超过 12 小时",
            ));
        }
        Ok(Schedule {
            starts_at: d.starts_at,
            ends_at: d.ends_at,
            place: text::required("place", "调解地点", &d.place, 200)?,
            room: text::optional("room", "调解室", d.room.as_deref(), 100)?,
            participants: text::names("participants", "参加人员", &d.participants)?,
        })
    }
}

/// One participant's attendance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Attendance {
    pub name: String,
    pub present: bool,
}

/// A held session: attendance of every participant and the record (笔录).
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub attendance: Vec<Attendance>,
    pub record: String,
}

impl Held {
    pub fn parse(participants: &[String], attendance: &[Attendance], record: &str) -> Result<Held> {
        for p in participants {
            if !attendance.iter().any(|a| a.name == *p) {
                return Err(MediationError::invalid(
                    "attendance",
                    format!("请记录参加人员“{p}”是否到场"),
                ));
            }
        }
        Ok(Held {
            attendance: attendance.to_vec(),
            record: text::required("record", "调解笔录", record, 20_000)?,
        })
    }
    pub fn present(&self) -> u32 {
        self.attendance.iter().filter(|a| a.present).count() as u32
    }
    pub fn absent(&self) -> u32 {
        self.attendance.iter().filter(|a| !a.present).count() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_session_ends_after_it_starts_and_attendance_covers_everyone() {
        let start = Utc.with_ymd_and_hms(2026, 12, 3, 1, 0, 0).unwrap();
        let mut d = SessionDraft {
            starts_at: start,
            ends_at: start + Duration::hours(2),
            place: "古韩镇调解室".into(),
            room: Some("一号调解室".into()),
            participants: vec!["张三".into(), "李四".into()],
        };
        assert!(Schedule::parse(&d).is_ok());
        d.ends_at = start;
        assert!(Schedule::parse(&d).is_err());
        let att = vec![Attendance {
            name: "张三".into(),
            present: true,
        }];
        assert!(Held::parse(&d.participants, &att, "笔录").is_err());
    }
}
