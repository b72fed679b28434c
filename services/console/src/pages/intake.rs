//! What a service answered the pages (服务应答), in the platform's shared error shape: the status
//! and JSON body, and the field errors named in `details`. Every page's client answers in it
//! ([`super::client::ServiceClient`], [`super::backend::Backends`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

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

impl Answer {
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
}
