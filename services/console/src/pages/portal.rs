//! The petitioner portal (信访人门户): look a case up with its case number and query code, read
//! its progress in plain Chinese, download the notices sent (PDF), rate the handling once after
//! closure. Online submission with a verified phone is in [`super::portal_petition`].
//!
//! Everything a petitioner sees of a case comes from notification's self-service
//! (`/api/v1/self-service/…`), which checks the number and code with intake in constant time and
//! answers a wrong code exactly like a missing case. The credentials travel only in form bodies
//! (each download and rating is a POST carrying them, with the CSRF token), never in a URL; the
//! PDF is fetched by the console and served from `/portal/document` as `application/pdf`. The
//! portal forwards the client's address (`X-Forwarded-For`) so that notification's per-client
//! limit counts petitioners, not the console, and limits lookups itself per client and minute
//! (decision 0015).

use std::time::Duration;

use actix_web::{http::header, http::StatusCode, web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use sqlx::PgPool;

use super::{
    intake::FieldError,
    security::{cookie, cookie_value, csrf_for, csrf_ok, page_headers, random_value, see_other},
    view::render,
};
use crate::{api::state::AppState, configuration::PagesSettings, store};

pub use super::security::PORTAL_COOKIE;

/// The service client name of the portal's identity (门户服务身份).
pub const PORTAL_CLIENT: &str = "console-portal";

/// The services the portal calls (intake's online registration, notification's self-service and
/// SMS codes), with the console's service identity where a token is needed.
pub struct PortalClient {
    http: reqwest::Client,
    intake: String,
    notification: String,
}

/// An answer: status, headers we need, body.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: web::Bytes,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// The Chinese message of an error answer.
    pub fn message(&self) -> String {
        self.json()["message"]
            .as_str()
            .unwrap_or("服务暂时不可用，请稍后重试")
            .to_string()
    }

    /// The field errors of a 422 (`details.errors` or `details.field`).
    pub fn field_errors(&self) -> Vec<FieldError> {
        super::intake::Answer {
            status: self.status,
            body: self.json(),
        }
        .field_errors()
    }
}

impl PortalClient {
    pub fn new(pages: &PagesSettings) -> PortalClient {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        PortalClient {
            http,
            intake: pages.intake_url.trim_end_matches('/').to_string(),
            notification: pages.notification_url.trim_end_matches('/').to_string(),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> Result<Reply, reqwest::Error> {
        let res = req.send().await?;
        let status = res.status().as_u16();
        let content_type = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = res.bytes().await?;
        Ok(Reply {
            status,
            content_type,
            body,
        })
    }

    /// `POST {notification}{path}` with a JSON body, forwarding the client's address.
    pub async fn notification_post(
        &self,
        path: &str,
        client: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Result<Reply, reqwest::Error> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.notification))
            .header("X-Forwarded-For", client)
            .json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        self.send(req).await
    }

    /// A self-service document: the credentials in headers, never in the URL.
    pub async fn notification_document(
        &self,
        notice_id: uuid::Uuid,
        client: &str,
        case_number: &str,
        query_code: &str,
    ) -> Result<Reply, reqwest::Error> {
        let req = self
            .http
            .get(format!(
                "{}/api/v1/self-service/documents/{notice_id}.pdf",
                self.notification
            ))
            .header("X-Forwarded-For", client)
            .header("X-Case-Number", case_number)
            .header("X-Query-Code", query_code);
        self.send(req).await
    }

    /// `POST {intake}{path}` with the service token and an idempotency key.
    pub async fn intake_post(
        &self,
        path: &str,
        token: &str,
        idempotency_key: &str,
        body: &Value,
    ) -> Result<Reply, reqwest::Error> {
        let req = self
            .http
            .post(format!("{}{path}", self.intake))
            .bearer_auth(token)
            .header("Idempotency-Key", idempotency_key)
            .json(body);
        self.send(req).await
    }
}

/// Decoded form fields (NUL removed, trimmed).
pub struct Form(Vec<(String, String)>);

impl Form {
    pub fn parse(body: &web::Bytes) -> Form {
        Form(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.replace('\0', "").trim().to_string()))
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Whether the form carries the CSRF token of the request's portal cookie.
    pub fn csrf_valid(&self, req: &HttpRequest) -> bool {
        cookie_value(req, PORTAL_COOKIE).is_some_and(|v| csrf_ok(&v, &self.get("csrf")))
    }
}

/// The portal cookie's value: the request's, or a new one (set by [`page`]).
pub fn session_value(req: &HttpRequest) -> String {
    cookie_value(req, PORTAL_COOKIE).unwrap_or_else(random_value)
}

/// Render a portal page with its CSRF token, and (re)set the portal cookie.
pub fn page(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    template: &str,
    ctx: Value,
) -> HttpResponse {
    let value = session_value(req);
    let mut ctx = ctx;
    ctx["csrf"] = json!(csrf_for(&value));
    let mut res = render(status, template, ctx);
    let _ = res.add_cookie(&cookie(
        PORTAL_COOKIE,
        value,
        "/portal",
        &state.settings.pages,
    ));
    res
}

/// The portal's error page (出错页面) with `status`.
pub fn error(
    req: &HttpRequest,
    state: &AppState,
    status: StatusCode,
    title: &str,
    message: &str,
    back: &str,
) -> HttpResponse {
    page(
        req,
        state,
        status,
        "portal_error.html",
        json!({ "title": title, "message": message, "back": back }),
    )
}

/// The 429 page (请求过于频繁).
pub fn too_many(req: &HttpRequest, state: &AppState, back: &str) -> HttpResponse {
    let mut res = error(
        req,
        state,
        StatusCode::TOO_MANY_REQUESTS,
        "请求过于频繁",
        "您的操作过于频繁，请稍等一分钟后再试。为保护信访人的信息，门户限制了查询和获取验证码的次数。",
        back,
    );
    res.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("60"));
    res
}

/// The client's address as the portal sees it (behind the console's trusted proxies).
pub fn client_of(req: &HttpRequest, state: &AppState) -> String {
    crate::api::auth::client_address(req, &state.settings.login.trusted_proxies)
}

/// Count a hit on `bucket` (window `window_secs`); `true` when over `max`. A database error lets
/// the request through (the services behind keep their own limits) and is logged.
pub async fn over_limit(pool: &PgPool, bucket: &str, window_secs: i64, max: i32) -> bool {
    match store::portal::hit(pool, bucket, window_secs).await {
        Ok(hits) => hits > max,
        Err(e) => {
            tracing::error!(error = %e, "portal rate limit not counted");
            false
        }
    }
}

/// `GET /portal` → `/portal/`.
pub async fn root() -> HttpResponse {
    see_other("/portal/").finish()
}

/// `2026-12-01` → `2026年12月1日`.
pub fn date_zh(iso: &str) -> String {
    let parts: Vec<&str> = iso.split('-').collect();
    match parts.as_slice() {
        [y, m, d] => format!(
            "{y}年{}月{}日",
            m.trim_start_matches('0'),
            d.trim_start_matches('0')
        ),
        _ => iso.to_string(),
    }
}

fn rating_code(s: &str) -> Option<&'static str> {
    match s {
        "satisfied" => Some("satisfied"),
        "basically_satisfied" => Some("basically_satisfied"),
        "dissatisfied" => Some("dissatisfied"),
        _ => None,
    }
}

/// The lookup form, optionally with an error beside a field.
fn lookup_page(
    req: &HttpRequest,
    state: &AppState,
    case_number: &str,
    error: Option<FieldError>,
    status: StatusCode,
) -> HttpResponse {
    page(
        req,
        state,
        status,
        "portal.html",
        json!({ "title": "信访事项查询", "case_number": case_number, "error": error }),
    )
}

/// `GET /portal/`: the lookup form and the way to an online petition.
pub async fn lookup_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    lookup_page(&req, &state, "", None, StatusCode::OK)
}

/// The progress page from notification's answer, with the credentials for its forms.
fn progress_page(
    req: &HttpRequest,
    state: &AppState,
    progress: &Value,
    (case_number, query_code): (&str, &str),
    message: Option<&str>,
    rating_error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let documents: Vec<Value> = progress["documents"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|d| {
            json!({
                "id": d["id"],
                "title": d["title"],
                "organ_name": d["organ_name"],
                "dated_on": date_zh(d["dated_on"].as_str().unwrap_or("")),
                "delivered_on": d["delivered_on"].as_str().map(date_zh),
            })
        })
        .collect();
    let dates: Vec<Value> = progress["dates"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|d| json!({ "label": d["label"], "date": date_zh(d["date"].as_str().unwrap_or("")), "text": d["text"] }))
        .collect();
    page(
        req,
        state,
        status,
        "portal_status.html",
        json!({
            "title": "办理进度",
            "case_number": progress["case_number"],
            "registering_organ": progress["registering_organ"],
            "received_on": date_zh(progress["received_on"].as_str().unwrap_or("")),
            "status": progress["status"],
            "status_on": progress["status_on"].as_str().map(date_zh),
            "closed": progress["closed"],
            "documents": documents,
            "dates": dates,
            "rating": progress["rating"],
            "can_rate": progress["can_rate"],
            "credential_case": case_number,
            "credential_code": query_code,
            "message": message,
            "rating_error": rating_error,
        }),
    )
}

/// What came of asking notification for a case's progress.
enum Looked {
    Found(Value),
    Page(HttpResponse),
}

/// Check the limit, then ask notification's self-service; every miss becomes the same page.
async fn look_up(
    req: &HttpRequest,
    state: &AppState,
    pool: &PgPool,
    client: &PortalClient,
    case_number: &str,
    query_code: &str,
) -> Looked {
    let address = client_of(req, state);
    let limit = state.settings.pages.portal.lookups_per_minute;
    if over_limit(pool, &format!("lookup:client:{address}"), 60, limit).await {
        tracing::warn!("portal lookups over the limit");
        return Looked::Page(too_many(req, state, "/portal/"));
    }
    let answer = client
        .notification_post(
            "/api/v1/self-service/lookup",
            &address,
            None,
            &json!({ "case_number": case_number, "query_code": query_code }),
        )
        .await;
    match answer {
        Ok(a) if a.status == 200 => Looked::Found(a.json()),
        Ok(a) if a.status == 404 || a.status == 422 || a.status == 400 => {
            Looked::Page(lookup_page(
                req,
                state,
                case_number,
                Some(FieldError {
                    field: "query_code".into(),
                    message: "未找到该信访事项，请核对信访件编号和查询码".into(),
                }),
                StatusCode::NOT_FOUND,
            ))
        }
        Ok(a) if a.status == 429 => Looked::Page(too_many(req, state, "/portal/")),
        Ok(a) => {
            tracing::warn!(status = a.status, "self-service answered an error");
            Looked::Page(lookup_page(
                req,
                state,
                case_number,
                Some(FieldError {
                    field: "case_number".into(),
                    message: "查询暂时不可用，请稍后重试".into(),
                }),
                StatusCode::SERVICE_UNAVAILABLE,
            ))
        }
        Err(e) => {
            tracing::error!(error = %e.without_url(), "notification unreachable");
            Looked::Page(lookup_page(
                req,
                state,
                case_number,
                Some(FieldError {
                    field: "case_number".into(),
                    message: "查询暂时不可用，请稍后重试".into(),
                }),
                StatusCode::BAD_GATEWAY,
            ))
        }
    }
}

/// The credentials of a form, checked for presence and CSRF; `Err` is the page to answer.
fn credentials(
    req: &HttpRequest,
    state: &AppState,
    form: &Form,
) -> Result<(String, String), Box<HttpResponse>> {
    let case_number = form.get("case_number");
    let query_code = form.get("query_code").to_uppercase();
    let fail = |field: &str, message: &str, status: StatusCode| {
        lookup_page(
            req,
            state,
            &case_number,
            Some(FieldError {
                field: field.into(),
                message: message.into(),
            }),
            status,
        )
    };
    if !form.csrf_valid(req) {
        return Err(Box::new(fail(
            "case_number",
            "页面已过期，请重新查询",
            StatusCode::FORBIDDEN,
        )));
    }
    if case_number.is_empty() {
        return Err(Box::new(fail(
            "case_number",
            "请填写信访件编号",
            StatusCode::UNPROCESSABLE_ENTITY,
        )));
    }
    if query_code.is_empty() {
        return Err(Box::new(fail(
            "query_code",
            "请填写查询码",
            StatusCode::UNPROCESSABLE_ENTITY,
        )));
    }
    Ok((case_number, query_code))
}

/// `POST /portal/lookup`: the case's progress in plain Chinese.
#[tracing::instrument(skip_all)]
pub async fn lookup(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    pool: web::Data<PgPool>,
    client: web::Data<PortalClient>,
) -> HttpResponse {
    let form = Form::parse(&body);
    let (case_number, query_code) = match credentials(&req, &state, &form) {
        Ok(c) => c,
        Err(page) => return *page,
    };
    match look_up(&req, &state, &pool, &client, &case_number, &query_code).await {
        Looked::Found(progress) => progress_page(
            &req,
            &state,
            &progress,
            (&case_number, &query_code),
            None,
            None,
            StatusCode::OK,
        ),
        Looked::Page(p) => p,
    }
}

/// `POST /portal/document`: one notice of the case as PDF, fetched from notification with the
/// credentials of the form and served as `application/pdf` (an attachment).
#[tracing::instrument(skip_all)]
pub async fn document(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    pool: web::Data<PgPool>,
    client: web::Data<PortalClient>,
) -> HttpResponse {
    let form = Form::parse(&body);
    let (case_number, query_code) = match credentials(&req, &state, &form) {
        Ok(c) => c,
        Err(page) => return *page,
    };
    let Ok(notice_id) = form.get("notice_id").parse::<uuid::Uuid>() else {
        return error(
            &req,
            &state,
            StatusCode::NOT_FOUND,
            "未找到文书",
            "未找到该文书，请重新查询。",
            "/portal/",
        );
    };
    let address = client_of(&req, &state);
    let limit = state.settings.pages.portal.lookups_per_minute;
    if over_limit(&pool, &format!("lookup:client:{address}"), 60, limit).await {
        return too_many(&req, &state, "/portal/");
    }
    match client
        .notification_document(notice_id, &address, &case_number, &query_code)
        .await
    {
        Ok(a) if a.status == 200 && a.body.starts_with(b"%PDF") => page_headers(HttpResponse::Ok())
            .insert_header((header::CONTENT_TYPE, "application/pdf"))
            .insert_header((
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"xinfang-{notice_id}.pdf\""),
            ))
            .body(a.body),
        Ok(a) if a.status == 429 => too_many(&req, &state, "/portal/"),
        Ok(a) => {
            if a.status != 404 {
                tracing::warn!(status = a.status, content_type = %a.content_type, "document not served");
            }
            error(
                &req,
                &state,
                if a.status == 404 {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::BAD_GATEWAY
                },
                "未找到文书",
                "未找到该文书，或查询暂时不可用，请重新查询后再下载。",
                "/portal/",
            )
        }
        Err(e) => {
            tracing::error!(error = %e.without_url(), "notification unreachable");
            error(
                &req,
                &state,
                StatusCode::BAD_GATEWAY,
                "暂时无法下载",
                "文书下载暂时不可用，请稍后重试。",
                "/portal/",
            )
        }
    }
}

/// `POST /portal/rating`: rate the handling once after closure (满意度评价).
#[tracing::instrument(skip_all)]
pub async fn rating(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    pool: web::Data<PgPool>,
    client: web::Data<PortalClient>,
) -> HttpResponse {
    let form = Form::parse(&body);
    let (case_number, query_code) = match credentials(&req, &state, &form) {
        Ok(c) => c,
        Err(page) => return *page,
    };
    let chosen = rating_code(&form.get("rating"));
    let comment = form.get("comment");
    let mut rating_error: Option<String> = None;
    let mut message: Option<&str> = None;
    if chosen.is_none() {
        rating_error = Some("请选择满意、基本满意或不满意".into());
    } else if comment.chars().count() > 500 {
        rating_error = Some("评价意见不能超过 500 字".into());
    } else {
        let address = client_of(&req, &state);
        let limit = state.settings.pages.portal.lookups_per_minute;
        if over_limit(&pool, &format!("lookup:client:{address}"), 60, limit).await {
            return too_many(&req, &state, "/portal/");
        }
        let mut body =
            json!({ "case_number": case_number, "query_code": query_code, "rating": chosen });
        if !comment.is_empty() {
            body["comment"] = json!(comment);
        }
        match client
            .notification_post("/api/v1/self-service/rating", &address, None, &body)
            .await
        {
            Ok(a) if a.status == 201 => message = Some("感谢您的评价，我们已收到。"),
            Ok(a) if a.status == 409 && a.json()["code"] == "already_rated" => {
                rating_error = Some("该信访事项已经评价过，每件信访事项只能评价一次。".into())
            }
            Ok(a) if a.status == 409 => rating_error = Some("信访事项办结后才能评价。".into()),
            Ok(a) if a.status == 429 => return too_many(&req, &state, "/portal/"),
            Ok(a) if a.status == 422 => rating_error = Some(a.message()),
            Ok(a) if a.status == 404 => {
                return lookup_page(
                    &req,
                    &state,
                    &case_number,
                    Some(FieldError {
                        field: "query_code".into(),
                        message: "未找到该信访事项，请核对信访件编号和查询码".into(),
                    }),
                    StatusCode::NOT_FOUND,
                )
            }
            Ok(a) => {
                tracing::warn!(status = a.status, "rating not recorded");
                rating_error = Some("评价暂时无法提交，请稍后重试。".into())
            }
            Err(e) => {
                tracing::error!(error = %e.without_url(), "notification unreachable");
                rating_error = Some("评价暂时无法提交，请稍后重试。".into())
            }
        }
    }
    match look_up(&req, &state, &pool, &client, &case_number, &query_code).await {
        Looked::Found(progress) => progress_page(
            &req,
            &state,
            &progress,
            (&case_number, &query_code),
            message,
            rating_error.as_deref(),
            if rating_error.is_some() {
                StatusCode::CONFLICT
            } else {
                StatusCode::OK
            },
        ),
        Looked::Page(p) => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_in_chinese() {
        assert_eq!(date_zh("2026-12-01"), "2026年12月1日");
        assert_eq!(date_zh("2026-10-10"), "2026年10月10日");
        assert_eq!(rating_code("satisfied"), Some("satisfied"));
        assert_eq!(rating_code("great"), None);
    }
}
