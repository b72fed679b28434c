//! What a service answered the pages (服务应答), in the platform's shared error shape: the status
//! and JSON body, and the field errors named in `details`. Every page's client answers in it
//! ([`super::client::ServiceClient`], [`super::client::Services`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Added to a 409 answer: the page was read before someone else changed the case.
pub const RELOAD_HINT: &str = "（本页内容可能已过期：请刷新页面，核对最新情况后重新提交）";

/// What intake answered: its status and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

/// One field error from intake's `details` (`field`, or each of `errors`).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Errors by field for a template's `error_of.<field>`; several on one field joined with "；".
pub fn by_field<'a>(
    errors: impl IntoIterator<Item = &'a FieldError>,
) -> std::collections::BTreeMap<String, String> {
    let mut map = std::collections::BTreeMap::new();
    for e in errors {
        join_into(&mut map, &e.field, &e.message);
    }
    map
}

/// Add `message` to `field`'s errors in `map` (joined with "；").
pub fn join_into(map: &mut std::collections::BTreeMap<String, String>, field: &str, message: &str) {
    map.entry(field.to_string())
        .and_modify(|m: &mut String| {
            m.push('；');
            m.push_str(message);
        })
        .or_insert_with(|| message.to_string());
}

impl Answer {
    /// The answer's status for the page that shows it (a status that is none: 502).
    pub fn status_code(&self) -> actix_web::http::StatusCode {
        actix_web::http::StatusCode::from_u16(self.status)
            .unwrap_or(actix_web::http::StatusCode::BAD_GATEWAY)
    }

    /// The field errors named in the shared error shape (`details.field` / `details.errors`).
    pub fn field_errors(&self) -> Vec<FieldError> {
        let details = &self.body["details"];
        if let Some(list) = details["errors"].as_array() {
            return list
                .iter()
                .filter_map(|e| serde_json::from_value(e.clone()).ok())
                .collect();
        }
        match details["field"].as_str() {
            Some(field) => vec![FieldError {
                field: field.to_string(),
                message: details["message"]
                    .as_str()
                    .or(self.body["message"].as_str())
                    .unwrap_or("填写有误")
                    .to_string(),
            }],
            None => Vec::new(),
        }
    }

    /// The Chinese message of an error answer.
    pub fn message(&self) -> String {
        self.body["message"]
            .as_str()
            .unwrap_or("服务暂时不可用，请稍后重试")
            .to_string()
    }
}

impl Answer {
    pub fn ok(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The errors of a refused change, each beside its field when the service names one, the rest
    /// (with `fallback` as their field) above the form; a 409 carries the reload hint.
    pub fn errors_for(&self, fallback: &str) -> Vec<FieldError> {
        let mut errors = self.field_errors();
        if errors.is_empty() {
            errors.push(FieldError {
                field: fallback.to_string(),
                message: self.message(),
            });
        }
        if self.status == 409 {
            for e in errors.iter_mut().filter(|e| !e.message.contains("刷新")) {
                e.message.push_str(RELOAD_HINT);
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn field_errors_come_from_details() {
        let one = Answer {
            status: 422,
            body: json!({"code": "validation_failed", "message": "m",
                         "details": {"field": "summary", "message": "请填写摘要"}}),
        };
        assert_eq!(one.field_errors()[0].field, "summary");
        assert_eq!(one.field_errors()[0].message, "请填写摘要");
        let many = Answer {
            status: 422,
            body: json!({"details": {"field": "a", "errors": [
                {"field": "a", "message": "x"}, {"field": "petitioners[1].id_number", "message": "y"}]}}),
        };
        assert_eq!(many.field_errors().len(), 2);
        assert_eq!(many.field_errors()[1].field, "petitioners[1].id_number");
    }

    #[test]
    fn conflicts_carry_the_reload_hint_and_unnamed_errors_go_above_the_form() {
        let conflict = Answer {
            status: 409,
            body: json!({"code": "version_conflict", "message": "该事项已被修改", "details": {"current_version": 4}}),
        };
        let e = conflict.errors_for("form");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].field, "form");
        assert!(e[0].message.starts_with("该事项已被修改") && e[0].message.contains("请刷新页面"));
        let named = Answer {
            status: 422,
            body: json!({"message": "m", "details": {"field": "summary", "message": "请填写摘要"}}),
        };
        assert_eq!(named.errors_for("form")[0].field, "summary");
        let says_so = Answer {
            status: 409,
            body: json!({"message": "案件已被他人修改（当前版本 3），请刷新后重试"}),
        };
        assert!(!says_so.errors_for("form")[0].message.contains(RELOAD_HINT));
    }
}
