//! Online petition (网上信访) from the portal, with a verified phone number (decision 0015).
//!
//! 1. `GET /portal/petition`: the petitioner gives a mobile number.
//! 2. `POST /portal/petition/code`: within the limits (per phone: one code a minute and a few an
//!    hour; per client address: some an hour), the console makes a six-digit code, keeps only its
//!    HMAC (and the phone's) bound to this browser's portal cookie, valid a few minutes, and asks
//!    notification to send it through the SMS gateway (service identity, never on the bus).
//! 3. `POST /portal/petition/verify`: each entry counts against the code's attempts (locked row);
//!    the right code marks this browser's phone verified for a while.
//! 4. `POST /portal/petition`: the petition, with the phone the verification covers (the hidden
//!    field must hash to it), goes to intake's online registration with the console's service
//!    identity and the verification's id as idempotency key; the receipt shows the case number
//!    and the query code once, printable. The verification is then spent.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;

use super::{
    intake::FieldError,
    portal::{client_of, error, over_limit, page, session_value, too_many, Form, PortalClient},
};
use crate::{
    api::state::AppState,
    domain::portal::{new_code, same_bytes, session_hash, MobilePhone, PortalKey},
    store,
};

/// The scope intake's online registration accepts.
pub const ONLINE_SCOPE: &str = "intake.petition.online";
/// The scope notification's code sending accepts.
pub const SMS_SCOPE: &str = "notification.sms.verification";
/// The portal's identity (门户服务身份).
const CLIENT: &str = super::portal::PORTAL_CLIENT;

/// The key of the portal's hashes (from the console's sealing key).
fn key(state: &AppState) -> PortalKey {
    use secrecy::ExposeSecret;
    PortalKey::derive(
        state
            .settings
            .totp
            .encryption_key
            .expose_secret()
            .as_bytes(),
    )
}

fn phone_page(
    req: &HttpRequest,
    state: &AppState,
    phone: &str,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    page(
        req,
        state,
        status,
        "portal_phone.html",
        json!({ "title": "网上信访 · 验证手机号", "phone": phone, "error": error }),
    )
}

fn code_page(
    req: &HttpRequest,
    state: &AppState,
    phone: &MobilePhone,
    error: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    page(
        req,
        state,
        status,
        "portal_code.html",
        json!({
            "title": "网上信访 · 输入验证码",
            "phone": phone.as_str(),
            "phone_masked": phone.masked(),
            "valid_minutes": state.settings.pages.portal.code_valid_minutes,
            "error": error,
        }),
    )
}

/// The townships (乡镇) of the county, from the units directory: the names of the active
/// township governments without "人民政府".
async fn townships(pool: &PgPool) -> Vec<String> {
    let filter = store::units::UnitFilter {
        kind: Some("township_government".into()),
        active: Some(true),
        ..Default::default()
    };
    match store::units::list(pool, &filter).await {
        Ok(rows) => rows
            .into_iter()
            .map(|u| u.name.trim_end_matches("人民政府").to_string())
            .collect(),
        Err(e) => {
            tracing::error!(error = %e, "townships not read");
            Vec::new()
        }
    }
}

async fn petition_page(
    req: &HttpRequest,
    state: &AppState,
    pool: &PgPool,
    phone: &MobilePhone,
    values: Value,
    errors: Vec<FieldError>,
    status: StatusCode,
) -> HttpResponse {
    page(
        req,
        state,
        status,
        "portal_petition.html",
        json!({
            "title": "网上信访 · 填写信访事项",
            "phone": phone.as_str(),
            "phone_masked": phone.masked(),
            "townships": townships(pool).await,
            "v": values,
            "err": errors.iter().map(|e| (e.field.clone(), json!(e.message))).collect::<serde_json::Map<_, _>>(),
            "errors": errors,
        }),
    )
}

/// `GET /portal/petition`: step 1, the mobile number.
pub async fn phone_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    phone_page(&req, &state, "", None, StatusCode::OK)
}

/// `POST /portal/petition/code`: send a code to the phone, within the limits.
#[tracing::instrument(skip_all)]
pub async fn request_code(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    pool: web::Data<PgPool>,
    client: web::Data<PortalClient>,
) -> HttpResponse {
    let form = Form::parse(&body);
    let raw = form.get("phone");
    if !form.csrf_valid(&req) {
        return phone_page(
            &req,
            &state,
            &raw,
            Some("页面已过期，请重新获取验证码"),
            StatusCode::FORBIDDEN,
        );
    }
    let phone = match MobilePhone::parse(&raw) {
        Ok(p) => p,
        Err(e) => {
            return phone_page(
                &req,
                &state,
                &raw,
                Some(&e.to_string()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let limits = &state.settings.pages.portal;
    let key = key(&state);
    let phone_hash = key.phone_hash(&phone);
    let address = client_of(&req, &state);
    let phone_bucket = hex::encode(&phone_hash[..16]);
    if over_limit(
        &pool,
        &format!("code:client:{address}"),
        3600,
        limits.codes_per_client_per_hour,
    )
    .await
        || store::portal::sent_within(&pool, &phone_hash, limits.code_interval_secs)
            .await
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "portal code interval not checked");
                false
            })
        || over_limit(
            &pool,
            &format!("code:phone-hour:{phone_bucket}"),
            3600,
            limits.codes_per_phone_per_hour,
        )
        .await
    {
        tracing::warn!("portal code requests over the limit");
        return too_many(&req, &state, "/portal/petition");
    }
    let session = session_hash(&session_value(&req));
    let id = Uuid::now_v7();
    let code = new_code();
    if let Err(e) = store::portal::insert_code(
        &pool,
        id,
        &session,
        &phone_hash,
        &key.code_hash(id, &code),
        limits.code_valid_minutes,
    )
    .await
    {
        tracing::error!(error = %e, "code not stored");
        return error(
            &req,
            &state,
            StatusCode::SERVICE_UNAVAILABLE,
            "暂时无法发送验证码",
            "系统繁忙，请稍后重试。",
            "/portal/petition",
        );
    }
    let sent = match state.service_token(CLIENT, vec![SMS_SCOPE.to_string()]) {
        Ok(token) => client
            .notification_post(
                "/internal/v1/verification-codes",
                &address,
                Some(&token),
                &json!({ "phone": phone.as_str(), "code": code, "valid_minutes": limits.code_valid_minutes }),
            )
            .await
            .map(|a| a.status),
        Err(e) => {
            tracing::error!(error = %e, "portal token");
            Ok(503)
        }
    };
    match sent {
        Ok(202) => code_page(&req, &state, &phone, None, StatusCode::OK),
        other => {
            match other {
                Ok(status) => tracing::warn!(status, "verification code not sent"),
                Err(e) => tracing::error!(error = %e.without_url(), "notification unreachable"),
            }
            let _ = store::portal::delete_code(&pool, id).await;
            error(
                &req,
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                "验证码发送失败",
                "验证码短信暂时无法发送，请稍后重试，或到信访局窗口、拨打信访电话反映。",
                "/portal/petition",
            )
        }
    }
}

/// `POST /portal/petition/verify`: check the code.
#[tracing::instrument(skip_all)]
pub async fn verify_code(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    pool: web::Data<PgPool>,
) -> HttpResponse {
    let form = Form::parse(&body);
    let Ok(phone) = MobilePhone::parse(&form.get("phone")) else {
        return phone_page(
            &req,
            &state,
            "",
            Some("请重新填写手机号码"),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    if !form.csrf_valid(&req) {
        return phone_page(
            &req,
            &state,
            phone.as_str(),
            Some("页面已过期，请重新获取验证码"),
            StatusCode::FORBIDDEN,
        );
    }
    let code = form.get("code");
    let key = key(&state);
    let session = session_hash(&session_value(&req));
    let limits = &state.settings.pages.portal;
    let checked = async {
        let mut tx = pool.begin().await?;
        let pending = store::portal::attempt_code(
            &mut tx,
            &session,
            &key.phone_hash(&phone),
            limits.code_attempts,
        )
        .await?;
        let outcome = match pending {
            None => None,
            Some(p) if same_bytes(&p.code_hash, &key.code_hash(p.id, &code)) => {
                store::portal::mark_verified(&mut tx, p.id).await?;
                Some(true)
            }
            Some(_) => Some(false),
        };
        tx.commit().await?;
        Ok::<_, sqlx::Error>(outcome)
    }
    .await;
    match checked {
        Ok(Some(true)) => {
            petition_page(
                &req,
                &state,
                &pool,
                &phone,
                json!({ "preferred_channel": "sms" }),
                Vec::new(),
                StatusCode::OK,
            )
            .await
        }
        Ok(Some(false)) => code_page(
            &req,
            &state,
            &phone,
            Some("验证码不正确，请核对短信后重新输入"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Ok(None) => phone_page(
            &req,
            &state,
            phone.as_str(),
            Some("验证码已失效或输错次数过多，请重新获取验证码"),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        Err(e) => {
            tracing::error!(error = %e, "code not checked");
            error(
                &req,
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                "暂时无法验证",
                "系统繁忙，请稍后重试。",
                "/portal/petition",
            )
        }
    }
}

/// The petition form's fields, as typed (kept on a refusal).
const FIELDS: [&str; 11] = [
    "name",
    "id_number",
    "address",
    "email",
    "preferred_channel",
    "category",
    "field",
    "township",
    "summary",
    "facts",
    "requests",
];

/// `POST /portal/petition`: submit the petition with the verified phone.
#[tracing::instrument(skip_all)]
pub async fn submit(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    pool: web::Data<PgPool>,
    client: web::Data<PortalClient>,
) -> HttpResponse {
    let form = Form::parse(&body);
    let Ok(phone) = MobilePhone::parse(&form.get("phone")) else {
        return phone_page(
            &req,
            &state,
            "",
            Some("请先验证手机号码"),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let mut values = serde_json::Map::new();
    for f in FIELDS {
        values.insert(f.to_string(), json!(form.get(f)));
    }
    let values = Value::Object(values);
    if !form.csrf_valid(&req) {
        return phone_page(
            &req,
            &state,
            phone.as_str(),
            Some("页面已过期，请重新验证手机号码"),
            StatusCode::FORBIDDEN,
        );
    }
    let key = key(&state);
    let session = session_hash(&session_value(&req));
    let limits = &state.settings.pages.portal;
    let verification = match store::portal::live_verification(
        &pool,
        &session,
        &key.phone_hash(&phone),
        limits.verified_for_minutes,
    )
    .await
    {
        Ok(Some(id)) => id,
        Ok(None) => {
            return phone_page(
                &req,
                &state,
                phone.as_str(),
                Some("手机号码验证已失效（或该验证已提交过信访事项），请重新验证"),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "verification not read");
            return error(
                &req,
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                "暂时无法提交",
                "系统繁忙，请稍后重试。",
                "/portal/petition",
            );
        }
    };
    // What the page checks before intake does: the fields a person must fill.
    let mut errors = Vec::new();
    if form.get("name").is_empty() {
        errors.push(FieldError {
            field: "name".into(),
            message: "请填写姓名".into(),
        });
    }
    if form.get("summary").is_empty() {
        errors.push(FieldError {
            field: "summary".into(),
            message: "请简要写明信访事项".into(),
        });
    }
    if !errors.is_empty() {
        return petition_page(
            &req,
            &state,
            &pool,
            &phone,
            values,
            errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let opt = |name: &str| {
        let v = form.get(name);
        (!v.is_empty()).then_some(v)
    };
    let mut petitioner = json!({ "name": form.get("name"), "phone": phone.as_str() });
    for f in ["id_number", "address", "email", "preferred_channel"] {
        if let Some(v) = opt(f) {
            petitioner[f] = json!(v);
        }
    }
    let mut petition = json!({ "summary": form.get("summary"), "petitioner": petitioner });
    for f in ["facts", "requests", "category", "field", "township"] {
        if let Some(v) = opt(f) {
            petition[f] = json!(v);
        }
    }
    let token = match state.service_token(CLIENT, vec![ONLINE_SCOPE.to_string()]) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "portal token");
            return error(
                &req,
                &state,
                StatusCode::SERVICE_UNAVAILABLE,
                "暂时无法提交",
                "网上信访暂时不可用，请稍后重试。",
                "/portal/petition",
            );
        }
    };
    let answer = client
        .intake_post(
            "/internal/v1/online-petitions",
            &token,
            &verification.to_string(),
            &petition,
        )
        .await;
    match answer {
        Ok(a) if a.status == 201 || a.status == 200 => {
            match store::portal::mark_used(&pool, verification).await {
                Ok(true) => {}
                Ok(false) => {
                    // Submitted twice at once: the first page showed the receipt.
                    return phone_page(
                        &req,
                        &state,
                        phone.as_str(),
                        Some("该验证已提交过信访事项，如需再次反映，请重新验证"),
                        StatusCode::CONFLICT,
                    );
                }
                Err(e) => tracing::error!(error = %e, "verification not marked used"),
            }
            let r = a.json();
            tracing::info!(case_number = %r["case_number"], "online petition submitted");
            page(
                &req,
                &state,
                StatusCode::CREATED,
                "portal_receipt.html",
                json!({
                    "title": "网上信访回执",
                    "case_number": r["case_number"],
                    "query_code": r["query_code"],
                    "organ": r["registering_unit_name"],
                    "received_on": super::portal::date_zh(r["received_on"].as_str().unwrap_or("")),
                    "summary": form.get("summary"),
                }),
            )
        }
        Ok(a) if a.status == 422 => {
            let errors = a
                .field_errors()
                .into_iter()
                .map(|mut e| {
                    e.field = e.field.trim_start_matches("petitioner.").to_string();
                    e
                })
                .collect::<Vec<_>>();
            let errors = if errors.is_empty() {
                vec![FieldError {
                    field: "summary".into(),
                    message: a.message(),
                }]
            } else {
                errors
            };
            petition_page(
                &req,
                &state,
                &pool,
                &phone,
                values,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Ok(a) => {
            tracing::warn!(status = a.status, "online petition refused");
            petition_page(
                &req,
                &state,
                &pool,
                &phone,
                values,
                vec![FieldError {
                    field: "summary".into(),
                    message: format!("提交未成功：{}", a.message()),
                }],
                StatusCode::BAD_GATEWAY,
            )
            .await
        }
        Err(e) => {
            tracing::error!(error = %e.without_url(), "intake unreachable");
            petition_page(
                &req,
                &state,
                &pool,
                &phone,
                values,
                vec![FieldError {
                    field: "summary".into(),
                    message: "网上信访暂时不可用，请稍后重试（已填写的内容保留在本页）".into(),
                }],
                StatusCode::BAD_GATEWAY,
            )
            .await
        }
    }
}
