//! China time (北京时间, UTC+8): the day a statutory period counts from is the day in China, not on
//! the server's clock.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};

/// The date in China (UTC+8, no daylight saving) at `at`.
pub fn china_date(at: DateTime<Utc>) -> NaiveDate {
    (at + Duration::hours(8)).date_naive()
}

/// The wall-clock time in China (UTC+8, no daylight saving) at `at` (北京时间).
pub fn china_time(at: DateTime<Utc>) -> NaiveDateTime {
    (at + Duration::hours(8)).naive_utc()
}

/// The UTC instant of a wall-clock time in China (北京时间).
pub fn from_china_time(local: NaiveDateTime) -> DateTime<Utc> {
    (local - Duration::hours(8)).and_utc()
}

/// Today's date in China.
pub fn today_in_china() -> NaiveDate {
    china_date(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_dates_are_utc_plus_eight() {
        let at = DateTime::parse_from_rfc3339("2025-09-25T17:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            china_date(at),
            NaiveDate::from_ymd_opt(2025, 9, 26).unwrap()
        );
        let at = DateTime::parse_from_rfc3339("2025-09-25T17:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(china_time(at).to_string(), "2025-09-26 01:30:00");
        assert_eq!(from_china_time(china_time(at)), at);
        let at = DateTime::parse_from_rfc3339("2025-09-25T15:59:59Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(
            china_date(at),
            NaiveDate::from_ymd_opt(2025, 9, 25).unwrap()
        );
    }
}
