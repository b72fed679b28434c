//! The services as the oversight and administration pages call them (服务客户端): JSON and text
//! over HTTP with the member of staff's own access token, so every service checks role and unit
//! itself. Answers keep intake's shape ([`Answer`], field errors from `details`).

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use super::intake::Answer;
use crate::configuration::PagesSettings;

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
            .unwrap_or("text/plain; charset=utf-8")
            .to_string();
        let body = res.text().await?;
        Ok(TextAnswer {
            status,
            content_type,
            body,
        })
    }
}

/// The services the oversight and administration pages call (督查与管理页面所用服务).
pub struct Services {
    pub intake: ServiceClient,
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
            supervision: ServiceClient::new(http.clone(), &pages.supervision_url),
            notification: ServiceClient::new(http, &pages.notification_url),
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
