//! Login, sessions and TOTP over HTTP (登录、会话与动态验证码接口).

use actix_web::{web, HttpRequest, HttpResponse};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    ApiError,
};

use super::{
    accounts::{audit_by, end_sessions, AccountView},
    caller::{Caller, EnrollingCaller},
    state::AppState,
};
use crate::{
    domain::{
        account::{AccountStatus, LoginName, Roles},
        password::NewPassword,
        session::{EndReason, SessionState, SessionTimes},
        throttle::retry_after,
        totp::TotpSecret,
        DomainError,
    },
    store::{self, accounts::AccountRow},
};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub login_name: String,
    pub password: String,
    /// 动态验证码 (six digits), for accounts holding `admin` or `pii_viewer`.
    #[serde(default)]
    pub totp_code: Option<String>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("login_name", &self.login_name)
            .finish()
    }
}

/// Tokens of a session (登录结果).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionTokens {
    /// Access token (EdDSA JWT, at most 5 minutes).
    pub access_token: String,
    pub token_type: String,
    /// Seconds the access token lives.
    pub expires_in: i64,
    /// Refresh secret of the session: `POST /api/v1/auth/refresh` with it gives a new access
    /// token while the session lives. Only returned at login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub session_id: Uuid,
    /// True when the account must enrol TOTP before anything else (须先绑定动态验证码).
    pub totp_enrolment_required: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCode {
    pub code: String,
}

/// A TOTP secret to enter in an authenticator app (动态验证码绑定信息).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct TotpEnrolment {
    /// Base32 secret (for manual entry).
    pub secret: String,
    /// `otpauth://totp/…` (for a QR code).
    pub otpauth_url: String,
}

/// The caller's own account and session (当前用户).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub account: AccountView,
    pub session_id: Uuid,
}

/// The client's address (客户端地址): the TCP peer, unless the peer is a trusted reverse proxy;
/// then the nearest address in `X-Forwarded-For` that is not itself a trusted proxy (addresses
/// further left were written by the client and prove nothing).
pub fn client_address(req: &HttpRequest, trusted_proxies: &[std::net::IpAddr]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".into();
    };
    if !trusted_proxies.contains(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<std::net::IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted_proxies.contains(a))
        .unwrap_or(peer)
        .to_string()
}

fn refresh_hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

async fn audit_login(
    uow: &mut UnitOfWork<'_>,
    actor: &str,
    unit: &str,
    action: &str,
    details: serde_json::Value,
) -> Result<(), DomainError> {
    uow.audit(AuditEntry {
        actor: actor.into(),
        unit: unit.into(),
        action: action.into(),
        case_id: None,
        details,
    })
    .await?;
    Ok(())
}

/// Who tried to log in, from where, when.
#[derive(Debug, Clone, Copy)]
struct Attempt<'a> {
    login_key: &'a str,
    address: &'a str,
    now: DateTime<Utc>,
}

/// Count a failed attempt, lock what reached its limit, audit both; committed on its own.
#[tracing::instrument(skip(pool, waker, state, account))]
async fn fail(
    pool: &PgPool,
    waker: &OutboxWaker,
    state: &AppState,
    attempt: &Attempt<'_>,
    account: Option<&AccountRow>,
    reason: &str,
) -> Result<DomainError, DomainError> {
    let Attempt {
        login_key,
        address,
        now,
    } = *attempt;
    let mut uow = UnitOfWork::begin(pool, waker).await?;
    let (by_account, by_address) = store::throttle::record_failure(
        uow.conn(),
        login_key,
        address,
        now,
        state.throttle.window_start(now),
    )
    .await?;
    let (actor, unit) = match account {
        Some(a) => (a.id.to_string(), a.unit_code.clone()),
        None => ("anonymous".to_string(), "none".to_string()),
    };
    audit_login(
        &mut uow,
        &actor,
        &unit,
        "auth.login_failed",
        serde_json::json!({ "login_name": login_key, "address": address, "reason": reason }),
    )
    .await?;
    let until = state.throttle.locked_until(now);
    for kind in state.throttle.to_lock(by_account, by_address) {
        let subject = match kind {
            crate::domain::throttle::SubjectKind::Account => login_key,
            crate::domain::throttle::SubjectKind::Address => address,
        };
        store::throttle::lock(uow.conn(), kind, subject, until).await?;
        audit_login(
        &mut uow,
            &actor,
            &unit,
            "auth.lockout",
            serde_json::json!({ "subject_kind": kind.as_str(), "subject": subject, "locked_until": until }),
        )
        .await?;
        tracing::warn!(subject_kind = kind.as_str(), %until, "login locked out");
    }
    uow.commit().await?;
    Ok(match reason {
        "totp" => DomainError::TotpInvalid,
        _ => DomainError::InvalidCredentials,
    })
}

/// Log in (登录) with login name, password and, for `admin`/`pii_viewer`, a TOTP code.
///
/// Unknown accounts, wrong passwords and disabled accounts answer the same 401 after the same
/// work (a dummy hash is verified when there is no account); repeated failures lock the login name
/// (known or not) and the client address for a while (429).
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "登录", request_body = LoginRequest,
    responses((status = 200, body = SessionTokens), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn login(
    req: HttpRequest,
    body: web::Json<LoginRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tokens = login_session(&req, body.into_inner(), &pool, &waker, &state).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(tokens))
}

/// The login itself (登录), shared by the API and the console's login page.
#[tracing::instrument(skip_all)]
pub async fn login_session(
    req: &HttpRequest,
    body: LoginRequest,
    pool: &PgPool,
    waker: &OutboxWaker,
    state: &AppState,
) -> Result<SessionTokens, ApiError> {
    let now = Utc::now();
    let login_key = LoginName::throttle_key(&body.login_name);
    let address = client_address(req, &state.settings.login.trusted_proxies);

    let mut conn = pool.acquire().await?;
    let locks = store::throttle::locks_in_force(&mut conn, &login_key, &address, now).await?;
    if let Some(retry_after_secs) = retry_after(&locks, now) {
        let mut uow = UnitOfWork::begin(pool, waker).await?;
        audit_login(
            &mut uow,
            "anonymous",
            "none",
            "auth.login_refused_locked",
            serde_json::json!({ "login_name": login_key, "address": address }),
        )
        .await?;
        uow.commit().await?;
        return Err(DomainError::LockedOut { retry_after_secs }.into());
    }
    let account = store::accounts::by_login(&mut conn, &login_key).await?;
    drop(conn);

    let hasher = state.hasher.clone();
    let password = body.password.clone();
    let stored = account.as_ref().map(|a| a.password_hash.clone());
    let verified = web::block(move || match stored {
        Some(h) => hasher.verify(&password, &h),
        None => hasher.verify_dummy(&password),
    })
    .await
    .map_err(|e| DomainError::Internal(e.to_string()))?;

    let account = match account {
        Some(a) if verified && AccountStatus::from_stored(&a.status) == AccountStatus::Active => a,
        other => {
            let reason = if other.is_some() && verified {
                "disabled"
            } else {
                "password"
            };
            return Err(fail(
                pool,
                waker,
                state,
                &Attempt {
                    login_key: &login_key,
                    address: &address,
                    now,
                },
                other.as_ref(),
                reason,
            )
            .await?
            .into());
        }
    };

    let roles = Roles::from_stored(&account.roles);
    let mut enrol_only = false;
    if roles.require_totp() {
        match &account.totp_secret {
            Some(sealed) => {
                let Some(code) = body.totp_code.as_deref().filter(|c| !c.trim().is_empty()) else {
                    return Err(DomainError::TotpRequired.into());
                };
                let secret = state.secrets.open(account.id, sealed)?;
                let step =
                    secret.check(code, now.timestamp().max(0) as u64, account.totp_last_step);
                let used = match step {
                    Some(step) => {
                        let mut conn = pool.acquire().await?;
                        store::accounts::use_totp_step(&mut conn, account.id, step).await?
                    }
                    None => false,
                };
                if !used {
                    return Err(fail(
                        pool,
                        waker,
                        state,
                        &Attempt {
                            login_key: &login_key,
                            address: &address,
                            now,
                        },
                        Some(&account),
                        "totp",
                    )
                    .await?
                    .into());
                }
            }
            None => enrol_only = true,
        }
    }

    let session_id = Uuid::now_v7();
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let refresh = URL_SAFE_NO_PAD.encode(secret);
    let user_agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect::<String>());
    let mut uow = UnitOfWork::begin(pool, waker).await?;
    store::throttle::clear_account(uow.conn(), &login_key).await?;
    store::sessions::create(
        uow.conn(),
        &store::sessions::NewSession {
            id: session_id,
            account_id: account.id,
            refresh_hash: &refresh_hash(&refresh),
            enrol_only,
            client_address: &address,
            user_agent: user_agent.as_deref(),
            now,
        },
    )
    .await?;
    audit_login(
        &mut uow,
        &account.id.to_string(),
        &account.unit_code,
        "auth.login",
        serde_json::json!({ "login_name": account.login_name, "session_id": session_id, "address": address,
                            "totp": roles.require_totp() && !enrol_only, "enrol_only": enrol_only }),
    )
    .await?;
    uow.commit().await?;
    tracing::info!(account = %account.id, session = %session_id, enrol_only, "login");
    let token_roles = if enrol_only {
        Vec::new()
    } else {
        roles.names()
    };
    let access_token = state.user_token(account.id, &account.unit_code, token_roles, session_id)?;
    Ok(SessionTokens {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.settings.tokens.access_ttl_secs,
        refresh_token: Some(refresh),
        session_id,
        totp_enrolment_required: enrol_only,
    })
}

/// A new access token for a live session (刷新令牌). Refused once the session was logged out,
/// revoked, or timed out, or the account disabled.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "登录", request_body = RefreshRequest,
    responses((status = 200, body = SessionTokens), (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all)]
pub async fn refresh(
    body: web::Json<RefreshRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let tokens = refresh_session(&body.refresh_token, &pool, &waker, &state).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(tokens))
}

/// A new access token for the session holding `refresh_token` (shared by the API and the pages).
#[tracing::instrument(skip_all)]
pub async fn refresh_session(
    refresh_token: &str,
    pool: &PgPool,
    waker: &OutboxWaker,
    state: &AppState,
) -> Result<SessionTokens, ApiError> {
    let now = Utc::now();
    let mut uow = UnitOfWork::begin(pool, waker).await?;
    let session = store::sessions::by_refresh_hash(uow.conn(), &refresh_hash(refresh_token.trim()))
        .await?
        .ok_or(DomainError::SessionEnded)?;
    let times = SessionTimes {
        created_at: session.created_at,
        last_seen_at: session.last_seen_at,
        revoked_at: session.revoked_at,
    };
    if state.sessions.state(&times, now) != SessionState::Alive {
        return Err(DomainError::SessionEnded.into());
    }
    let account = store::accounts::get(uow.conn(), session.account_id)
        .await?
        .ok_or(DomainError::SessionEnded)?;
    if AccountStatus::from_stored(&account.status) != AccountStatus::Active {
        return Err(DomainError::SessionEnded.into());
    }
    store::sessions::touch(uow.conn(), session.id, now, 0).await?;
    uow.commit().await?;
    let roles = if session.enrol_only {
        Vec::new()
    } else {
        Roles::from_stored(&account.roles).names()
    };
    let access_token = state.user_token(account.id, &account.unit_code, roles, session.id)?;
    Ok(SessionTokens {
        access_token,
        token_type: "Bearer".into(),
        expires_in: state.settings.tokens.access_ttl_secs,
        refresh_token: None,
        session_id: session.id,
        totp_enrolment_required: session.enrol_only,
    })
}

/// Log out (注销): the caller's session ends.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "登录",
    responses((status = 204), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn logout(
    caller: EnrollingCaller,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.0;
    let (account_id, _) = caller.person()?;
    let sid = caller.session_id.ok_or(DomainError::SessionEnded)?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    if store::sessions::revoke(uow.conn(), sid, EndReason::Logout.as_str(), &caller.subject).await?
    {
        audit_by(
            &mut uow,
            &caller,
            "auth.logout",
            serde_json::json!({ "account_id": account_id, "session_id": sid }),
        )
        .await?;
    }
    uow.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Change one's own password (修改密码); every session of the account ends, this one included.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "登录", request_body = ChangePassword,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn change_password(
    caller: Caller,
    body: web::Json<ChangePassword>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (account_id, _) = caller.person()?;
    let mut conn = pool.acquire().await?;
    let account = store::accounts::get(&mut conn, account_id)
        .await?
        .ok_or(DomainError::AccountNotFound)?;
    drop(conn);
    let login = LoginName::parse(&account.login_name)?;
    let new = NewPassword::parse("new_password", &body.new_password, &login)?;
    let hasher = state.hasher.clone();
    let current = body.current_password.clone();
    let stored = account.password_hash.clone();
    let (ok, hash) = web::block(move || -> Result<(bool, String), DomainError> {
        if !hasher.verify(&current, &stored) {
            return Ok((false, String::new()));
        }
        Ok((true, hasher.hash(&new)?))
    })
    .await
    .map_err(|e| DomainError::Internal(e.to_string()))??;
    if !ok {
        return Err(DomainError::invalid("current_password", "当前密码不正确").into());
    }
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    store::accounts::set_password(uow.conn(), account_id, &hash).await?;
    audit_by(
        &mut uow,
        &caller,
        "account.password_change",
        serde_json::json!({ "account_id": account_id }),
    )
    .await?;
    let (actor, unit) = caller.audit_actor();
    end_sessions(
        &mut uow,
        &actor,
        &unit,
        account_id,
        EndReason::PasswordChanged,
    )
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Start TOTP enrolment (绑定动态验证码): a new secret, confirmed by `…/totp/confirm`.
#[utoipa::path(post, path = "/api/v1/auth/totp/enrol", tag = "登录",
    responses((status = 200, body = TotpEnrolment), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn totp_enrol(
    caller: EnrollingCaller,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.0;
    let (account_id, _) = caller.person()?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let account = store::accounts::get_for_update(uow.conn(), account_id)
        .await?
        .ok_or(DomainError::AccountNotFound)?;
    if account.totp_secret.is_some() {
        return Err(DomainError::Conflict {
            code: "totp_enrolled",
            message: "已绑定动态验证码；如需重新绑定，请联系系统管理员重置".into(),
        }
        .into());
    }
    let secret = TotpSecret::generate();
    store::accounts::set_totp_pending(
        uow.conn(),
        account_id,
        &state.secrets.seal(account_id, &secret)?,
    )
    .await?;
    audit_by(
        &mut uow,
        &caller,
        "auth.totp_enrol_started",
        serde_json::json!({ "account_id": account_id }),
    )
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(TotpEnrolment {
            secret: secret.base32(),
            otpauth_url: secret.url(&state.settings.totp.issuer, &account.login_name)?,
        }))
}

/// Confirm TOTP enrolment with a code (确认绑定). A session that could only enrol becomes a full
/// session and gets an access token with the account's roles.
#[utoipa::path(post, path = "/api/v1/auth/totp/confirm", tag = "登录", request_body = TotpCode,
    responses((status = 200, body = SessionTokens), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn totp_confirm(
    caller: EnrollingCaller,
    body: web::Json<TotpCode>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller.0;
    let (account_id, _) = caller.person()?;
    let sid = caller.session_id.ok_or(DomainError::SessionEnded)?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let account = store::accounts::get_for_update(uow.conn(), account_id)
        .await?
        .ok_or(DomainError::AccountNotFound)?;
    let sealed = account.totp_pending.as_ref().ok_or(DomainError::Conflict {
        code: "totp_not_started",
        message: "请先开始绑定动态验证码".into(),
    })?;
    let secret = state.secrets.open(account_id, sealed)?;
    let step = secret
        .check(&body.code, Utc::now().timestamp().max(0) as u64, None)
        .ok_or(DomainError::TotpInvalid)?;
    store::accounts::confirm_totp(uow.conn(), account_id, sealed, step).await?;
    store::sessions::end_enrolment(uow.conn(), sid).await?;
    audit_by(
        &mut uow,
        &caller,
        "auth.totp_enrolled",
        serde_json::json!({ "account_id": account_id, "session_id": sid }),
    )
    .await?;
    uow.commit().await?;
    let access_token = state.user_token(
        account_id,
        &account.unit_code,
        Roles::from_stored(&account.roles).names(),
        sid,
    )?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(SessionTokens {
            access_token,
            token_type: "Bearer".into(),
            expires_in: state.settings.tokens.access_ttl_secs,
            refresh_token: None,
            session_id: sid,
            totp_enrolment_required: false,
        }))
}

/// The caller's own account (当前用户).
#[utoipa::path(get, path = "/api/v1/me", tag = "登录",
    responses((status = 200, body = Me), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn me(caller: Caller, pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    let (account_id, _) = caller.person()?;
    let mut conn = pool.acquire().await?;
    let account = store::accounts::get(&mut conn, account_id)
        .await?
        .ok_or(DomainError::AccountNotFound)?;
    Ok(HttpResponse::Ok().json(Me {
        account: AccountView::from(&account),
        session_id: caller.session_id.ok_or(DomainError::SessionEnded)?,
    }))
}
