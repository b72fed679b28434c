//! The services as the staff pages call them (服务客户端): JSON and text over HTTP with the member
//! of staff's own access token, so every service checks role and unit itself. Answers keep intake's
//! shape ([`Answer`], field errors from `details`). One client per service in [`Services`]; the
//! unit's, mediator's and clerk's pages call them by [`Svc`] and get a transport failure as a 502
//! answer with a Chinese message ([`UNREACHABLE`]), the oversight and administration pages as an
//! error of their own.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::intake::Answer;
use crate::configuration::PagesSettings;

/// Which service a call goes to.
#[derive(Debug, Clone, Copy)]
pub enum Svc {
    Intake,
    Review,
    Mediation,
    Supervision,
    Notification,
}

/// A service could not be reached (or answered something that is not JSON in the shared shape).
pub const UNREACHABLE: &str = "业务服务暂时无法连接，请稍后重试（已填内容未丢失）";
/// How long a case page waits for a service (the report pages wait longer: [`Services::new`]).
const PAGE_TIMEOUT: Duration = Duration::from_secs(10);

/// One service's base URL and an HTTP client.
pub struct ServiceClient {
    http: reqwest::Client,
    base: String,
}

/// A text document a service answered (a report as Markdown or HTML).
#[derive(Debug)]
pub struct TextAnswer {
    pub status: u16,
    pub content_type: String,
    pub body: String,
}

impl ServiceClient {
    pub fn new(http: reqwest::Client, base: &str) -> ServiceClient {
        ServiceClient {
            http,
            base: base.trim_end_matches('/').to_string(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1/{path}", self.base)
    }

    /// `GET {base}/api/v1/{path}` (the path carries its query string).
    #[tracing::instrument(skip(self, token))]
    pub async fn get(&self, path: &str, token: &str) -> Result<Answer, reqwest::Error> {
        let res = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await?;
        let status = res.status().as_u16();
        let body = res.json::<Value>().await.unwrap_or(Value::Null);
        Ok(Answer { status, body })
    }

    /// A JSON request with a body (`POST`, `PUT`, `PATCH`).
    #[tracing::instrument(skip(self, token, body))]
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: &Value,
    ) -> Result<Answer, reqwest::Error> {
        let res = self
            .http
            .request(method, self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await?;
        let status = res.status().as_u16();
        let body = res.json::<Value>().await.unwrap_or(Value::Null);
        Ok(Answer { status, body })
    }

    /// `POST` JSON with an `Idempotency-Key` (a decision sent twice is made once).
    #[tracing::instrument(skip(self, token, body))]
    pub async fn post_once(
        &self,
        path: &str,
        token: &str,
        idempotency_key: &str,
        body: &Value,
    ) -> Result<Answer, reqwest::Error> {
        let res = self
            .http
            .post(self.url(path))
            .bearer_auth(token)
            .header("Idempotency-Key", idempotency_key)
            .json(body)
            .send()
            .await?;
        let status = res.status().as_u16();
        let body = res.json::<Value>().await.unwrap_or(Value::Null);
        Ok(Answer { status, body })
    }

    /// `GET` a text document.
    #[tracing::instrument(skip(self, token))]
    pub async fn get_text(&self, path: &str, token: &str) -> Result<TextAnswer, reqwest::Error> {
        let (status, content_type, bytes) = self.get_bytes(path, token).await?;
        Ok(TextAnswer {
            status,
            content_type: if content_type.is_empty() {
                "text/plain; charset=utf-8".into()
            } else {
                content_type
            },
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }

    /// `GET` a file as it is (status, content type, bytes): a PDF, a JSON file of an archive.
    #[tracing::instrument(skip(self, token))]
    pub async fn get_bytes(
        &self,
        path: &str,
        token: &str,
    ) -> Result<(u16, String, actix_web::web::Bytes), reqwest::Error> {
        let res = self
            .http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await?;
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        Ok((status, content_type, res.bytes().await?))
    }
}

/// The services the staff pages call (页面所用业务服务).
pub struct Services {
    pub intake: ServiceClient,
    pub review: ServiceClient,
    pub mediation: ServiceClient,
    pub supervision: ServiceClient,
    pub notification: ServiceClient,
}

impl Services {
    pub fn new(pages: &PagesSettings) -> Services {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Services {
            intake: ServiceClient::new(http.clone(), &pages.intake_url),
            review: ServiceClient::new(http.clone(), &pages.administrative_review_url),
            mediation: ServiceClient::new(http.clone(), &pages.mediation_url),
            supervision: ServiceClient::new(http.clone(), &pages.supervision_url),
            notification: ServiceClient::new(http, &pages.notification_url),
        }
    }

    fn of(&self, svc: Svc) -> &ServiceClient {
        match svc {
            Svc::Intake => &self.intake,
            Svc::Review => &self.review,
            Svc::Mediation => &self.mediation,
            Svc::Supervision => &self.supervision,
            Svc::Notification => &self.notification,
        }
    }

    /// `GET {svc}/api/v1/{path}` with `token` (none: a public route); a transport failure is a
    /// 502 answer.
    #[tracing::instrument(skip(self, token))]
    pub async fn get(&self, svc: Svc, path: &str, token: Option<&str>) -> Answer {
        let c = self.of(svc);
        let mut req = c.http.get(c.url(path)).timeout(PAGE_TIMEOUT);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        answer(req.send().await).await
    }

    /// `POST {svc}/api/v1/{path}` with `token`, optionally an idempotency key; a transport failure
    /// is a 502 answer.
    #[tracing::instrument(skip(self, token, body))]
    pub async fn post(
        &self,
        svc: Svc,
        path: &str,
        token: &str,
        idempotency_key: Option<&str>,
        body: &Value,
    ) -> Answer {
        let c = self.of(svc);
        let mut req = c
            .http
            .post(c.url(path))
            .timeout(PAGE_TIMEOUT)
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

/// The value of a JSON answer when the service said yes, or its Chinese message.
pub fn ok_or_message(answer: Result<Answer, reqwest::Error>, what: &str) -> Result<Value, String> {
    match answer {
        Ok(a) if (200..300).contains(&a.status) => Ok(a.body),
        Ok(a) => Err(format!("{what}：{}", a.message())),
        Err(e) => {
            tracing::warn!(error = %e, what, "service unreachable");
            Err(format!("{what}：服务暂时无法连接"))
        }
    }
}
