//! The services as the unit's and the mediator's pages call them (业务服务客户端): intake,
//! administrative review, mediation and supervision, each with the staff member's own access
//! token, answering intake's [`Answer`] shape (status and JSON body, errors in the shared shape).

use std::time::Duration;

use serde_json::Value;

use super::intake::{Answer, FieldError};
use crate::configuration::PagesSettings;

/// Which service a call goes to.
#[derive(Debug, Clone, Copy)]
pub enum Svc {
    Intake,
    Review,
    Mediation,
    Supervision,
}

pub struct Backends {
    http: reqwest::Client,
    intake: String,
    review: String,
    mediation: String,
    supervision: String,
}

/// A service could not be reached (or answered something that is not JSON in the shared shape).
pub const UNREACHABLE: &str = "业务服务暂时无法连接，请稍后重试（已填内容未丢失）";
/// Added to a 409 answer: the page was read before someone else changed the case.
pub const RELOAD_HINT: &str = "（本页内容可能已过期：请刷新页面，核对最新情况后重新提交）";

impl Backends {
    pub fn new(pages: &PagesSettings) -> Backends {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        let base = |u: &str| u.trim_end_matches('/').to_string();
        Backends {
            http,
            intake: base(&pages.intake_url),
            review: base(&pages.administrative_review_url),
            mediation: base(&pages.mediation_url),
            supervision: base(&pages.supervision_url),
        }
    }

    fn url(&self, svc: Svc, path: &str) -> String {
        let base = match svc {
            Svc::Intake => &self.intake,
            Svc::Review => &self.review,
            Svc::Mediation => &self.mediation,
            Svc::Supervision => &self.supervision,
        };
        format!("{base}/api/v1/{path}")
    }

    /// `GET {svc}/api/v1/{path}` with `token` (none: a public route).
    #[tracing::instrument(skip(self, token))]
    pub async fn get(&self, svc: Svc, path: &str, token: Option<&str>) -> Answer {
        let mut req = self.http.get(self.url(svc, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req.send().await).await
    }

    /// `POST {svc}/api/v1/{path}` with `token`, optionally an idempotency key.
    #[tracing::instrument(skip(self, token, body))]
    pub async fn post(
        &self,
        svc: Svc,
        path: &str,
        token: &str,
        idempotency_key: Option<&str>,
        body: &Value,
    ) -> Answer {
        let mut req = self
            .http
            .post(self.url(svc, path))
            .bearer_auth(token)
            .json(body);
        if let Some(k) = idempotency_key {
            req = req.header("Idempotency-Key", k);
        }
        answer(req.send().await).await
    }
}

/// A transport failure becomes a 502 answer with a Chinese message, so that pages treat every
/// failure alike.
async fn answer(res: Result<reqwest::Response, reqwest::Error>) -> Answer {
    match res {
        Ok(res) => {
            let status = res.status().as_u16();
            let body = res.json::<Value>().await.unwrap_or(Value::Null);
            Answer { status, body }
        }
        Err(e) => {
            tracing::error!(error = %e, "service unreachable");
            Answer {
                status: 502,
                body: serde_json::json!({ "code": "unreachable", "message": UNREACHABLE }),
            }
        }
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
