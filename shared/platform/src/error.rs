//! One JSON error shape for every service (统一错误格式): `{code, message, details}`, with the
//! message in Chinese for people and the code for programs.

use actix_web::{
    error::{JsonPayloadError, PathError, QueryPayloadError},
    http::StatusCode,
    HttpMessage, HttpRequest, HttpResponse, ResponseError,
};
use serde::Serialize;
use serde_json::Value;

use crate::input::{describe, json_path_at, query_error_field, RawJsonBody};

/// The error body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    /// Chinese message for people.
    pub message: String,
    /// Structured details (e.g. the field that failed), may be null.
    #[schema(value_type = Option<Object>, nullable = true)]
    pub details: Value,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: ErrorBody,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            body: ErrorBody {
                code: code.to_string(),
                message: message.into(),
                details: Value::Null,
            },
        }
    }

    pub fn with_details(mut self, details: Value) -> ApiError {
        self.body.details = details;
        self
    }

    pub fn unauthorized(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn conflict(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }
    pub fn bad_request(code: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }
    /// A field failed validation: 422 with the field named in `details`.
    pub fn validation(field: &str, message: impl Into<String>) -> ApiError {
        let message = message.into();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            message.clone(),
        )
        .with_details(serde_json::json!({ "field": field, "message": message }))
    }
    /// Several validation failures at once.
    pub fn validation_many(errors: Vec<(String, String)>) -> ApiError {
        let message = errors
            .iter()
            .map(|(f, m)| format!("{f}: {m}"))
            .collect::<Vec<_>>()
            .join("；");
        let first = errors.first().map(|(f, _)| f.clone());
        let details: Vec<Value> = errors
            .into_iter()
            .map(|(f, m)| serde_json::json!({ "field": f, "message": m }))
            .collect();
        // `field` names the first failing field, as a single failure does; `errors` lists them all.
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!("提交的内容有误：{message}"),
        )
        .with_details(serde_json::json!({ "field": first, "errors": details }))
    }
    /// An unexpected failure: logged with its cause, returned without it.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!(error = %error, "internal error");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "系统内部错误，请稍后重试",
        )
    }
    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.body.code,
            self.body.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status)
            .insert_header(("Cache-Control", "no-store"))
            .json(&self.body)
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        if xinfang_messaging::availability::is_unavailable(&e) {
            tracing::error!(error = %e, "database unavailable");
            return ApiError::unavailable(
                "系统暂时无法处理您的请求（数据库不可用），请稍后重试；本次请求未被保存",
            )
            .with_details(serde_json::json!({ "retry": true }));
        }
        ApiError::internal(format!("database: {e}"))
    }
}

/// Map JSON body errors (too large, malformed, unknown or missing fields, wrong types) to a 4xx that
/// says what is wrong, in Chinese.
pub fn json_error_handler(err: JsonPayloadError, req: &HttpRequest) -> actix_web::Error {
    let e = match &err {
        JsonPayloadError::OverflowKnownLength { length, limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("请求内容过大（{length} 字节），上限为 {limit} 字节"),
        ),
        JsonPayloadError::Overflow { limit } => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("请求内容过大，上限为 {limit} 字节"),
        ),
        JsonPayloadError::ContentType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "请求内容类型必须为 application/json",
        ),
        JsonPayloadError::Deserialize(de) => {
            let detail = de.to_string();
            let body = req.extensions().get::<RawJsonBody>().cloned();
            let missing = detail.starts_with("missing field");
            let path = body
                .map(|b| json_path_at(&b.0, de.line(), de.column(), missing))
                .unwrap_or_default();
            let join = |name: &str| {
                if path.is_empty() {
                    name.to_string()
                } else {
                    format!("{path}.{name}")
                }
            };
            let (field, message) = if de.is_syntax() || de.is_eof() {
                let message = format!(
                    "请求内容不是有效的 JSON（第 {} 行第 {} 列）",
                    de.line(),
                    de.column()
                );
                (path.clone(), message)
            } else if detail.starts_with("unknown field") {
                let field = if path.is_empty() {
                    quoted(&detail)
                } else {
                    path.clone()
                };
                let message = format!("请求中含有不认识的字段：{field}");
                (field, message)
            } else if missing {
                let field = join(&quoted(&detail));
                let message = format!("缺少必填字段：{field}");
                (field, message)
            } else if path.is_empty() {
                let message = format!("请求内容的{}", describe(&detail));
                (path.clone(), message)
            } else {
                let message = format!("字段 {path} 的{}", describe(&detail));
                (path.clone(), message)
            };
            let field = if field.is_empty() {
                Value::Null
            } else {
                Value::String(field)
            };
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", message).with_details(
                serde_json::json!({ "field": field, "reason": detail, "line": de.line(), "column": de.column() }),
            )
        }
        other => ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            format!("无法读取请求内容：{other}"),
        ),
    };
    actix_web::error::InternalError::from_response(err, e.error_response()).into()
}

/// The 400 for a query string that does not parse: the parameter named (`field`, or what the
/// reason tells) and what is wrong, in Chinese.
pub fn query_error(reason: &str, field: Option<String>, query: &str) -> ApiError {
    let field = field.or_else(|| query_error_field(reason, query));
    let message = match (
        &field,
        reason.starts_with("unknown field"),
        reason.starts_with("missing field"),
    ) {
        (Some(f), true, _) => format!("查询参数中含有不认识的参数：{f}"),
        (Some(f), _, true) => format!("缺少必填的查询参数：{f}"),
        (Some(f), _, _) => format!("查询参数 {f} 的{}", describe(reason)),
        (None, _, _) => format!("查询参数不正确：{}", describe(reason)),
    };
    ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message)
        .with_details(serde_json::json!({ "field": field, "reason": reason }))
}

/// Map query string errors of `web::Query` to a 400 naming the parameter (when it can be told;
/// [`crate::http::Query`] always can) in Chinese.
pub fn query_error_handler(err: QueryPayloadError, req: &HttpRequest) -> actix_web::Error {
    let reason = match &err {
        QueryPayloadError::Deserialize(de) => de.to_string(),
        other => other.to_string(),
    };
    let e = query_error(&reason, None, req.query_string());
    actix_web::error::InternalError::from_response(err, e.error_response()).into()
}

pub fn path_error_handler(err: PathError, _req: &HttpRequest) -> actix_web::Error {
    let e = ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_path",
        format!("路径参数不正确：{err}"),
    );
    actix_web::error::InternalError::from_response(err, e.error_response()).into()
}

fn quoted(detail: &str) -> String {
    detail
        .split('`')
        .nth(1)
        .map(str::to_string)
        .unwrap_or_else(|| detail.to_string())
}

/// Fallback for unknown routes.
pub async fn not_found_route() -> ApiError {
    ApiError::not_found("请求的地址不存在")
}

/// The answer to a method no route serves (TRACE, CONNECT, …): 405 in the shared shape.
pub fn method_not_allowed(method: &actix_web::http::Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("不支持的请求方法：{method}"),
    )
}
