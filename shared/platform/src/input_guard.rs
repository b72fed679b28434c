//! The shared input rule as middleware (输入校验): installed by the runtime around every service,
//! it refuses a NUL character in query parameters and JSON strings with 422 naming the field before
//! any handler runs, and keeps the JSON body ([`RawJsonBody`]) so that
//! [`crate::error::json_error_handler`] can name the field at the position serde reports.

use actix_web::{
    body::{EitherBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{header, StatusCode},
    middleware::Next,
    web::Bytes,
    HttpMessage, ResponseError,
};
use futures::StreamExt;
use serde_json::Value;

use crate::{
    error::ApiError,
    input::{find_nul, find_query_nul, RawJsonBody},
};

/// The JSON body limit, as app data for [`guard`] (the runtime sets it from the settings).
#[derive(Debug, Clone, Copy)]
pub struct JsonBodyLimit(pub usize);

/// The 422 for a NUL character in `field`.
pub fn nul_error(field: &str) -> ApiError {
    ApiError::validation(field, format!("字段 {field} 含有不允许的空字符 (NUL)"))
}

fn refuse<B>(req: ServiceRequest, error: ApiError) -> ServiceResponse<EitherBody<B>> {
    req.into_response(error.error_response())
        .map_into_right_body()
}

fn is_json(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|m| {
            let m = m.trim().to_ascii_lowercase();
            m == "application/json" || m.ends_with("+json")
        })
        .unwrap_or(false)
}

/// The shared input rule, as middleware: refuse NUL characters in query parameters and JSON
/// strings with 422 naming the field, and keep the JSON body for error messages.
pub async fn guard<B: MessageBody + 'static>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    if let Some(field) = find_query_nul(req.query_string()) {
        return Ok(refuse(req, nul_error(&field)));
    }
    if is_json(&req) {
        let limit = req
            .app_data::<JsonBodyLimit>()
            .map(|l| l.0)
            .unwrap_or(2 * 1024 * 1024);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        // Over the limit: the JSON extractor answers 413 without reading it.
        if declared.is_none_or(|n| n <= limit) {
            let mut payload = req.take_payload();
            let mut body = Vec::with_capacity(declared.unwrap_or(0));
            while let Some(chunk) = payload.next().await {
                let chunk = chunk?;
                if body.len() + chunk.len() > limit {
                    return Ok(refuse(
                        req,
                        ApiError::new(
                            StatusCode::PAYLOAD_TOO_LARGE,
                            "payload_too_large",
                            format!("请求内容过大，上限为 {limit} 字节"),
                        ),
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            let body = Bytes::from(body);
            req.set_payload(Payload::from(body.clone()));
            if let Ok(value) = serde_json::from_slice::<Value>(&body) {
                if let Some(field) = find_nul(&value) {
                    return Ok(refuse(req, nul_error(&field)));
                }
            }
            req.extensions_mut().insert(RawJsonBody(body));
        }
    }
    Ok(next.call(req).await?.map_into_left_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nul_error_is_a_422_naming_the_field() {
        let e = nul_error("petitioners[0].name");
        assert_eq!(e.status.as_u16(), 422);
        assert_eq!(e.body.code, "validation_failed");
        assert_eq!(e.body.details["field"], "petitioners[0].name");
        assert!(e.body.message.contains("空字符"));
    }
}
