//! Binding the authenticator app in the browser (绑定动态验证码). An administrator's or personal-data
//! viewer's first login gives a session that can only enrol; this page starts the enrolment (a new
//! secret, shown once as text and as a QR code), takes the first code, and turns the session into
//! a full one. It goes through the console API's own handlers (`/api/v1/auth/totp/…`), so the rules,
//! the audit trail and the answers are the same as over the API.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use qrcode::{render::svg, EcLevel, QrCode};
use serde_json::json;
use sqlx::PgPool;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::ApiError;

use super::{
    admin::{answer_of, caller_of},
    intake::FieldError,
    security::see_other,
    staff::{csrf_ok_for, current, field, form_pairs, to_login, Staff},
    view::{error_page, render},
};
use crate::{
    api::{
        auth::{totp_confirm, totp_enrol, TotpCode},
        caller::EnrollingCaller,
        state::AppState,
    },
    domain::{account::Roles, totp::TotpSecret},
    store,
};

/// Where the account stands (绑定状态).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    /// Bound already: nothing to do here (已绑定).
    Enrolled,
    /// Must bind before anything else (须先绑定).
    Required,
    /// May bind though the roles do not require it (可选).
    Optional,
}

/// The secret being bound, as the page shows it (待确认的密钥).
struct Pending {
    secret: String,
    url: String,
}

/// `GET /console/totp`: the account's binding, or the button that starts one.
#[tracing::instrument(skip_all)]
pub async fn form(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(staff) = current(&req, &pool, &waker, &state).await? else {
        return Ok(to_login());
    };
    let standing = standing(&pool, &staff).await?;
    Ok(page(&staff, standing, None, None, StatusCode::OK))
}

/// `POST /console/totp`: `action=start` shows a new secret; `action=confirm` checks the code.
#[tracing::instrument(skip_all)]
pub async fn act(
    req: HttpRequest,
    body: web::Bytes,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let Some(staff) = current(&req, &pool, &waker, &state).await? else {
        return Ok(to_login());
    };
    let pairs = form_pairs(&body);
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        return Ok(error_page(
            StatusCode::FORBIDDEN,
            "页面已过期，请返回重试",
            "/console/totp",
        ));
    }
    let standing = standing(&pool, &staff).await?;
    let caller = || EnrollingCaller(caller_of(&staff));
    match field(&pairs, "action") {
        "start" => {
            let a =
                answer_of(totp_enrol(caller(), pool.clone(), waker.clone(), state.clone()).await)
                    .await;
            if !a.ok() {
                let e = error("start", a.message());
                return Ok(page(&staff, standing, None, Some(e), status_of(a.status)));
            }
            let pending = Pending {
                secret: a.body["secret"].as_str().unwrap_or_default().to_string(),
                url: a.body["otpauth_url"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            };
            Ok(page(&staff, standing, Some(pending), None, StatusCode::OK))
        }
        "confirm" => {
            let code = field(&pairs, "code").trim().to_string();
            if !(code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())) {
                let pending = pending(&pool, &state, &staff).await?;
                let e = error("code", "请输入验证器应用上显示的 6 位数字".into());
                return Ok(page(
                    &staff,
                    standing,
                    pending,
                    Some(e),
                    StatusCode::UNPROCESSABLE_ENTITY,
                ));
            }
            let a = answer_of(
                totp_confirm(
                    caller(),
                    web::Json(TotpCode { code }),
                    pool.clone(),
                    waker.clone(),
                    state.clone(),
                )
                .await,
            )
            .await;
            if a.ok() {
                return Ok(see_other("/console/?bound=1").finish());
            }
            let pending = pending(&pool, &state, &staff).await?;
            let e = error("code", a.message());
            Ok(page(
                &staff,
                standing,
                pending,
                Some(e),
                status_of(a.status),
            ))
        }
        _ => Ok(error_page(
            StatusCode::BAD_REQUEST,
            "未知操作",
            "/console/totp",
        )),
    }
}

async fn standing(pool: &PgPool, staff: &Staff) -> Result<Standing, ApiError> {
    let mut conn = pool.acquire().await?;
    let account = store::accounts::get(&mut conn, staff.account_id)
        .await?
        .ok_or_else(|| ApiError::internal("the session's account is gone"))?;
    Ok(if account.totp_secret.is_some() {
        Standing::Enrolled
    } else if Roles::from_stored(&account.roles).require_totp() {
        Standing::Required
    } else {
        Standing::Optional
    })
}

/// The secret started and not yet confirmed, shown again beside a refused code.
async fn pending(
    pool: &PgPool,
    state: &AppState,
    staff: &Staff,
) -> Result<Option<Pending>, ApiError> {
    let mut conn = pool.acquire().await?;
    let Some(account) = store::accounts::get(&mut conn, staff.account_id).await? else {
        return Ok(None);
    };
    let Some(sealed) = account.totp_pending.as_deref() else {
        return Ok(None);
    };
    let secret: TotpSecret = state.secrets.open(account.id, sealed)?;
    Ok(Some(Pending {
        secret: secret.base32(),
        url: secret.url(&state.settings.totp.issuer, &account.login_name)?,
    }))
}

fn error(field: &str, message: String) -> FieldError {
    FieldError {
        field: field.into(),
        message,
    }
}

fn status_of(status: u16) -> StatusCode {
    StatusCode::from_u16(status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY)
}

/// The secret in groups of four, as authenticator apps show it (便于手工输入).
fn grouped(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `otpauth://` URL as an inline SVG QR code (no script, no external image).
fn qr_svg(url: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M).ok()?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .dark_color(svg::Color("#000000"))
        .light_color(svg::Color("#ffffff"))
        .build();
    // Inline in HTML: drop the XML declaration, name the picture for screen readers.
    let start = svg.find("<svg")?;
    Some(svg[start..].replacen(
        "<svg",
        "<svg role=\"img\" aria-label=\"动态验证码绑定二维码\"",
        1,
    ))
}

fn page(
    staff: &Staff,
    standing: Standing,
    pending: Option<Pending>,
    error: Option<FieldError>,
    status: StatusCode,
) -> HttpResponse {
    let pending = pending.map(|p| {
        json!({
            "secret": grouped(&p.secret),
            "url": p.url,
            "qr": qr_svg(&p.url),
        })
    });
    let mut res = render(
        status,
        "totp.html",
        minijinja::context! {
            title => "绑定动态验证码",
            staff => staff.view(),
            enrolled => standing == Standing::Enrolled,
            required => standing == Standing::Required,
            pending => pending,
            error => error,
        },
    );
    // The secret is shown once: never kept by a cache.
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_reads_in_groups_of_four() {
        assert_eq!(grouped("ABCDEFGHIJ"), "ABCD EFGH IJ");
        assert_eq!(grouped(""), "");
    }

    #[test]
    fn the_qr_code_is_inline_svg_with_a_name() {
        let svg = qr_svg("otpauth://totp/xinfang:admin.sun?secret=JBSWY3DPEHPK3PXP&issuer=xinfang")
            .expect("a QR code");
        assert!(svg.starts_with("<svg role=\"img\" aria-label=\"动态验证码绑定二维码\""));
        assert!(!svg.contains("<?xml"));
        assert!(svg.contains("#000000"));
    }
}
