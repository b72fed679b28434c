//! Domain types of intake; each validates on construction (`parse`).

use chrono::{FixedOffset, NaiveDate, Utc};
use xinfang_contracts::events::Channel;

/// Today in China (UTC+8), the calendar the statutory clocks use.
pub fn today_in_china() -> NaiveDate {
    let offset = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    Utc::now().with_timezone(&offset).date_naive()
}

/// One validation failure: (field, Chinese message).
pub type FieldError = (String, String);

/// Summary of the matter (信访事项摘要), 1–4000 characters.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary(String);

impl Summary {
    pub const MAX: usize = 4000;
    pub fn parse(s: &str) -> Result<Summary, FieldError> {
        let t = s.trim();
        if t.is_empty() {
            return Err(("summary".into(), "信访事项摘要不能为空".into()));
        }
        if t.chars().count() > Self::MAX {
            return Err((
                "summary".into(),
                format!("信访事项摘要不能超过 {} 个字", Self::MAX),
            ));
        }
        Ok(Summary(t.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A person's name (姓名), 1–50 characters, no control characters.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(field: &str, s: &str) -> Result<PersonName, FieldError> {
        let t = s.trim();
        if t.is_empty() {
            return Err((field.into(), "姓名不能为空".into()));
        }
        if t.chars().count() > 50 {
            return Err((field.into(), "姓名不能超过 50 个字".into()));
        }
        if t.chars().any(char::is_control) {
            return Err((field.into(), "姓名含有不可见字符".into()));
        }
        Ok(PersonName(t.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated registration.
#[derive(Debug, Clone)]
pub struct NewPetition {
    pub channel: Channel,
    pub received_on: NaiveDate,
    pub summary: Summary,
    pub petitioners: Vec<PersonName>,
    pub petitioner_count: u32,
}

/// The raw fields of a registration, as the API received them.
pub struct RawPetition<'a> {
    pub channel: &'a str,
    pub received_on: Option<NaiveDate>,
    pub summary: &'a str,
    pub petitioner_names: Vec<&'a str>,
    pub petitioner_count: Option<u32>,
}

/// At most five representatives for a group visit (Reg art 20).
pub const MAX_REPRESENTATIVES: usize = 5;

impl NewPetition {
    /// Validate every field and report every failure at once.
    pub fn parse(raw: RawPetition<'_>, today: NaiveDate) -> Result<NewPetition, Vec<FieldError>> {
        let mut errors = Vec::new();
        let channel = Channel::parse(raw.channel);
        if channel.is_none() {
            errors.push((
                "channel".into(),
                "信访渠道无效，应为 visit（走访）、letter（书信）、phone（电话）、fax（传真）、online（网上信访）、transferred_in（上级转送）或 assigned_in（上级交办）".into(),
            ));
        }
        let received_on = raw.received_on.unwrap_or(today);
        if received_on > today {
            errors.push(("received_on".into(), "收到日期不能晚于今天".into()));
        }
        let summary = Summary::parse(raw.summary).map_err(|e| errors.push(e)).ok();
        let mut petitioners = Vec::new();
        if raw.petitioner_names.len() > MAX_REPRESENTATIVES {
            errors.push((
                "petitioners".into(),
                format!("多人走访应推选代表，代表人数不超过 {MAX_REPRESENTATIVES} 人（《信访工作条例》第二十条）"),
            ));
        }
        for (i, n) in raw.petitioner_names.iter().enumerate() {
            match PersonName::parse(&format!("petitioners[{i}].name"), n) {
                Ok(p) => petitioners.push(p),
                Err(e) => errors.push(e),
            }
        }
        let petitioner_count = raw
            .petitioner_count
            .unwrap_or(petitioners.len().max(1) as u32);
        if petitioner_count == 0 || petitioner_count > 100_000 {
            errors.push((
                "petitioner_count".into(),
                "信访人数应在 1 至 100000 之间".into(),
            ));
        } else if (petitioner_count as usize) < petitioners.len() {
            errors.push((
                "petitioner_count".into(),
                "信访人数不能少于所列信访人".into(),
            ));
        }
        match (channel, summary, errors.is_empty()) {
            (Some(channel), Some(summary), true) => Ok(NewPetition {
                channel,
                received_on,
                summary,
                petitioners,
                petitioner_count,
            }),
            _ => Err(errors),
        }
    }

    pub fn anonymous(&self) -> bool {
        self.petitioners.is_empty()
    }
}

/// 查询码: eight characters without look-alikes (no 0/O, 1/I).
pub fn new_query_code() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let mut rng = rand::thread_rng();
    (0..8)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// `140423-2025-000123`
pub fn format_case_number(division: &str, year: i32, seq: i64) -> String {
    format!("{division}-{year}-{seq:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(names: Vec<&'a str>) -> RawPetition<'a> {
        RawPetition {
            channel: "visit",
            received_on: None,
            summary: "拖欠工资",
            petitioner_names: names,
            petitioner_count: None,
        }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 9, 26).unwrap()
    }

    #[test]
    fn a_valid_registration_parses() {
        let p = NewPetition::parse(raw(vec!["张三"]), today()).unwrap();
        assert_eq!(p.channel, Channel::Visit);
        assert_eq!(p.received_on, today());
        assert_eq!(p.petitioner_count, 1);
        assert!(!p.anonymous());
    }

    #[test]
    fn a_sixth_representative_is_refused() {
        let errs =
            NewPetition::parse(raw(vec!["甲", "乙", "丙", "丁", "戊", "己"]), today()).unwrap_err();
        assert!(errs
            .iter()
            .any(|(f, m)| f == "petitioners" && m.contains("不超过 5 人")));
    }

    #[test]
    fn every_error_is_reported_with_its_field() {
        let r = RawPetition {
            channel: "pigeon",
            received_on: Some(NaiveDate::from_ymd_opt(2025, 9, 27).unwrap()),
            summary: "  ",
            petitioner_names: vec![""],
            petitioner_count: Some(0),
        };
        let errs = NewPetition::parse(r, today()).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|(f, _)| f.as_str()).collect();
        for f in [
            "channel",
            "received_on",
            "summary",
            "petitioners[0].name",
            "petitioner_count",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    #[test]
    fn summaries_have_a_length_limit() {
        assert!(Summary::parse(&"字".repeat(4000)).is_ok());
        assert!(Summary::parse(&"字".repeat(4001)).is_err());
    }

    #[test]
    fn case_numbers_and_query_codes_have_their_shape() {
        assert_eq!(
            format_case_number("140423", 2025, 123),
            "140423-2025-000123"
        );
        let q = new_query_code();
        assert_eq!(q.len(), 8);
        assert!(q.chars().all(|c| c.is_ascii_alphanumeric()
            && c != '0'
            && c != 'O'
            && c != '1'
            && c != 'I'));
    }
}
