//! One JSON error shape for every service (统一错误格式): `{code, message, details}`, with the
//! message in Chinese for people and the code for programs.

use actix_web::{
    error::{JsonPayloadError, PathError, QueryPayloadError},
    http::StatusCode,
    HttpRequest, HttpResponse, ResponseError,
};
use serde::Serialize;
use serde_json::Value;

/// The error body.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `validation_failed`.
    pub code: String,
    /// Chinese message for people.
    pub message: String,
    /// Structured details (e.g. the field that failed), may be null.
    #[schema(value_type = Object)]
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
        let details: Vec<Value> = errors
            .into_iter()
            .map(|(f, m)| serde_json::json!({ "field": f, "message": m }))
            .collect();
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!("提交的内容有误：{message}"),
        )
        .with_details(serde_json::json!({ "errors": details }))
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
pub fn json_error_handler(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
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
            let message = if de.is_syntax() || de.is_eof() {
                format!(
                    "请求内容不是有效的 JSON（第 {} 行第 {} 列）",
                    de.line(),
                    de.column()
                )
            } else if detail.contains("unknown field") {
                format!("请求中含有不认识的字段：{}", quoted(&detail))
            } else if detail.contains("missing field") {
                format!("缺少必填字段：{}", quoted(&detail))
            } else {
                format!("字段类型或取值不正确：{detail}")
            };
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_json", message).with_details(
                serde_json::json!({ "reason": detail, "line": de.line(), "column": de.column() }),
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

pub fn query_error_handler(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let e = ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_query",
        format!("查询参数不正确：{err}"),
    );
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
