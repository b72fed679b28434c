//! What the unit's and the mediator's pages share about their forms (表单): the submitted form
//! shown again with each error beside its field and the values as typed, dates and numbers checked
//! before a service is called, and the urgency of a due date (期限紧急程度).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::intake::FieldError;

/// A submitted form shown again (提交失败的表单): which form (and which record it was about), its
/// values as typed, the errors by field (`form`: above the form).
#[derive(Debug, Default, Clone, Serialize)]
pub struct Flash {
    pub form: String,
    pub target: String,
    pub values: BTreeMap<String, String>,
    pub errors: BTreeMap<String, String>,
}

impl Flash {
    pub fn new(form: &str, target: &str, pairs: &[(String, String)]) -> Flash {
        Flash {
            form: form.to_string(),
            target: target.to_string(),
            values: pairs
                .iter()
                .filter(|(k, _)| k != "csrf")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            errors: BTreeMap::new(),
        }
    }

    /// Put `e` beside its field when the form has it (`known`), otherwise above the form.
    pub fn add(&mut self, e: &FieldError, known: &[&str]) {
        let field = known
            .iter()
            .find(|k| **k == e.field || e.field.starts_with(&format!("{k}[")))
            .map(|k| k.to_string())
            .unwrap_or_else(|| "form".to_string());
        super::intake::join_into(&mut self.errors, &field, &e.message);
    }

    pub fn error(&mut self, field: &str, message: &str) {
        self.errors.insert(field.to_string(), message.to_string());
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub fn value(&self, name: &str) -> &str {
        self.values.get(name).map(|v| v.trim()).unwrap_or("")
    }

    /// A required date (`YYYY-MM-DD`), or the error beside its field.
    pub fn date(&mut self, name: &str, label: &str) -> Option<NaiveDate> {
        let v = self.value(name).to_string();
        if v.is_empty() {
            self.error(name, &format!("请填写{label}"));
            return None;
        }
        self.optional_date(name, label)
    }

    /// An optional date: `None` when empty, the error beside the field when not a date.
    pub fn optional_date(&mut self, name: &str, label: &str) -> Option<NaiveDate> {
        let v = self.value(name).to_string();
        if v.is_empty() {
            return None;
        }
        match NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                self.error(name, &format!("{label}应为有效日期（年-月-日）"));
                None
            }
        }
    }

    /// A required whole number within `range`.
    pub fn number(
        &mut self,
        name: &str,
        label: &str,
        range: std::ops::RangeInclusive<i64>,
    ) -> Option<i64> {
        let v = self.value(name).to_string();
        match v.parse::<i64>() {
            Ok(n) if range.contains(&n) => Some(n),
            _ => {
                self.error(
                    name,
                    &format!(
                        "{label}应为 {} 至 {} 之间的整数",
                        range.start(),
                        range.end()
                    ),
                );
                None
            }
        }
    }

    /// The text of `name`, `None` when empty.
    pub fn text(&self, name: &str) -> Option<String> {
        let v = self.value(name);
        (!v.is_empty()).then(|| v.to_string())
    }
}

/// How close a due date is (紧急程度): never shown by colour alone, each has its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// 已超期
    Overdue,
    /// 3 个工作日内到期
    Soon,
    /// 期限充裕
    Fine,
    /// 无期限或尚无法计算
    Unknown,
}

impl Urgency {
    /// `soon_until`: the day 3 working days from today (from supervision's calculator); when it
    /// cannot be had, only 已超期 is told apart.
    pub fn of(due: Option<NaiveDate>, today: NaiveDate, soon_until: Option<NaiveDate>) -> Urgency {
        match due {
            None => Urgency::Unknown,
            Some(d) if d < today => Urgency::Overdue,
            Some(d) if soon_until.is_some_and(|s| d <= s) => Urgency::Soon,
            Some(_) => Urgency::Fine,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Urgency::Overdue => "已超期",
            Urgency::Soon => "3个工作日内到期",
            Urgency::Fine => "期限内",
            Urgency::Unknown => "期限待定",
        }
    }

    pub fn css(self) -> &'static str {
        match self {
            Urgency::Overdue => "overdue",
            Urgency::Soon => "soon",
            Urgency::Fine => "fine",
            Urgency::Unknown => "unknown",
        }
    }
}

/// Whether supervision's explanation says the date is provisional (暂定: the year's holiday
/// arrangement not yet published).
pub fn provisional(explanation: &[String]) -> bool {
    explanation.iter().any(|l| l.starts_with("暂定"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn urgency_is_overdue_soon_or_fine() {
        let today = d("2026-12-01");
        let soon = Some(d("2026-12-04"));
        assert_eq!(
            Urgency::of(Some(d("2026-11-30")), today, soon),
            Urgency::Overdue
        );
        assert_eq!(Urgency::of(Some(today), today, soon), Urgency::Soon);
        assert_eq!(
            Urgency::of(Some(d("2026-12-04")), today, soon),
            Urgency::Soon
        );
        assert_eq!(
            Urgency::of(Some(d("2026-12-05")), today, soon),
            Urgency::Fine
        );
        assert_eq!(
            Urgency::of(Some(d("2026-12-02")), today, None),
            Urgency::Fine
        );
        assert_eq!(Urgency::of(None, today, soon), Urgency::Unknown);
    }

    #[test]
    fn errors_go_beside_known_fields_and_dates_are_checked() {
        let pairs = vec![
            ("occurred_on".to_string(), "2026-13-01".to_string()),
            ("days".to_string(), "45".to_string()),
            ("csrf".to_string(), "x".to_string()),
        ];
        let mut f = Flash::new("entry", "", &pairs);
        assert!(!f.values.contains_key("csrf"));
        assert_eq!(f.date("occurred_on", "发生日期"), None);
        assert!(f.errors["occurred_on"].contains("有效日期"));
        assert_eq!(f.number("days", "延长日数", 1..=30), None);
        f.add(
            &FieldError {
                field: "attachments[0].sha256".into(),
                message: "摘要有误".into(),
            },
            &["attachments"],
        );
        f.add(
            &FieldError {
                field: "version".into(),
                message: "版本".into(),
            },
            &["summary"],
        );
        assert_eq!(f.errors["attachments"], "摘要有误");
        assert_eq!(f.errors["form"], "版本");
        assert!(provisional(&["暂定：依…".to_string()]));
    }
}
