//! One-time codes by SMS for the portal's phone verification (手机号验证码短信).
//!
//! The console's petitioner portal makes the code, keeps only its keyed hash, and asks here to
//! send it through the county's SMS gateway: a service-to-service call (scope
//! `notification.sms.verification`, people refused), never an event, so that neither the phone
//! number nor the code travels on the bus. Nothing of the message is stored or logged; the audit
//! record says that a code was sent and by which service, not to whom (decision 0015).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    auth::AcceptServiceScopes,
    error::ErrorBody,
    Actor, ApiError,
};

use crate::channels::sms::SmsGateway;

/// The scope the portal's service identity needs (发送验证码).
pub const VERIFICATION_SCOPE: &str = "notification.sms.verification";

/// The SMS gateway, when one is configured (短信网关).
pub struct VerificationSms(pub Option<std::sync::Arc<SmsGateway>>);

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerificationCodeRequest {
    /// 手机号码 (11 digits)
    pub phone: String,
    /// 验证码 (4–8 digits)
    pub code: String,
    /// 有效时间（分钟）, 1–30
    #[schema(minimum = 1, maximum = 30)]
    pub valid_minutes: u32,
}

impl std::fmt::Debug for VerificationCodeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VerificationCodeRequest(***)")
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerificationCodeSent {
    pub sent: bool,
}

/// Whether `s` is a mainland mobile number (手机号码): 11 digits, `1[3-9]…`.
pub fn is_mobile(s: &str) -> bool {
    s.len() == 11
        && s.bytes().all(|b| b.is_ascii_digit())
        && s.starts_with('1')
        && (b'3'..=b'9').contains(&s.as_bytes()[1])
}

/// The message's text (验证码短信): the code, how long it holds, and a warning.
pub fn code_text(code: &str, valid_minutes: u32) -> String {
    format!(
        "您正在使用网上信访，验证码为 {code}，{valid_minutes} 分钟内有效。请勿将验证码告诉他人。"
    )
}

/// Send a one-time code by SMS (发送手机验证码).
#[utoipa::path(
    post, path = "/internal/v1/verification-codes", tag = "服务间接口",
    request_body = VerificationCodeRequest,
    responses((status = 202, body = VerificationCodeSent), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(service = %actor.user_id))]
pub async fn send_code(
    actor: Actor,
    body: web::Json<VerificationCodeRequest>,
    sms: web::Data<VerificationSms>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    if !actor.is_service() {
        return Err(ApiError::forbidden("仅限服务身份调用"));
    }
    let phone = body.phone.trim();
    if !is_mobile(phone) {
        return Err(ApiError::validation(
            "phone",
            "手机号码应为 11 位数字（如 13812345678）",
        ));
    }
    let code = body.code.trim();
    if !(4..=8).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::validation("code", "验证码应为 4 至 8 位数字"));
    }
    if !(1..=30).contains(&body.valid_minutes) {
        return Err(ApiError::validation(
            "valid_minutes",
            "有效时间应在 1 至 30 分钟之间",
        ));
    }
    let Some(gateway) = sms.0.as_ref() else {
        return Err(ApiError::unavailable("短信网关未配置，暂时无法发送验证码"));
    };
    if let Err(e) = gateway
        .send(Uuid::now_v7(), phone, &code_text(code, body.valid_minutes))
        .await
    {
        tracing::warn!(error = %e, "verification code not sent");
        return Err(ApiError::unavailable("验证码短信发送失败，请稍后重试"));
    }
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "verification_code.sent",
        None,
        serde_json::json!({ "channel": "sms" }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Accepted().json(VerificationCodeSent { sent: true }))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(send_code),
    components(schemas(VerificationCodeRequest, VerificationCodeSent))
)]
pub struct VerificationApi;

/// The route, open to service identities with [`VERIFICATION_SCOPE`].
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/internal/v1/verification-codes")
            .app_data(web::Data::new(AcceptServiceScopes::new([
                VERIFICATION_SCOPE,
            ])))
            .route(web::post().to(send_code)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_mobile_numbers_get_codes() {
        assert!(is_mobile("13812345678"));
        assert!(!is_mobile("12812345678"));
        assert!(!is_mobile("0355-5551234"));
        assert!(!is_mobile("1381234567"));
        assert!(code_text("123456", 10).contains("123456"));
    }
}
