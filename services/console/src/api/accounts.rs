//! Staff accounts over HTTP (账号管理接口): administrators manage all accounts, a unit head those of
//! their own unit (without `admin` or `pii_viewer`). Every change is audited.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    ApiError, Role,
};

use super::{caller::Caller, state::AppState};
use crate::{
    domain::{
        account::{check_unit, may_manage, AccountStatus, DisplayName, LoginName, Roles},
        password::NewPassword,
        session::EndReason,
        unit::UnitCode,
        DomainError,
    },
    store::{self, accounts::AccountRow, sessions::SessionRow},
};

/// An account as shown (账号). Never the password hash or the TOTP secret.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountView {
    pub id: Uuid,
    /// 登录名
    pub login_name: String,
    /// 姓名
    pub display_name: String,
    /// 所属单位代码
    pub unit: String,
    /// 角色
    pub roles: Vec<String>,
    /// 状态: active / disabled
    pub status: String,
    /// 是否已绑定动态验证码
    pub totp_enrolled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

impl From<&AccountRow> for AccountView {
    fn from(a: &AccountRow) -> AccountView {
        AccountView {
            id: a.id,
            login_name: a.login_name.clone(),
            display_name: a.display_name.clone(),
            unit: a.unit_code.clone(),
            roles: a.roles.clone(),
            status: a.status.clone(),
            totp_enrolled: a.totp_secret.is_some(),
            created_at: a.created_at,
            updated_at: a.updated_at,
            version: a.version,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAccount {
    pub login_name: String,
    pub display_name: String,
    /// 所属单位代码 (must exist and be active)
    pub unit: String,
    pub roles: Vec<String>,
    /// 初始密码 (8–128 characters, not the login name)
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateAccount {
    #[serde(default)]
    pub display_name: Option<String>,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub roles: Option<Vec<String>>,
    #[serde(default)]
    pub status: Option<AccountStatus>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetPassword {
    pub new_password: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccountQuery {
    pub unit: Option<String>,
    pub status: Option<AccountStatus>,
}

/// A session as shown (会话).
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    pub id: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    pub client_address: Option<String>,
    pub user_agent: Option<String>,
    pub enrol_only: bool,
}

impl From<SessionRow> for SessionView {
    fn from(s: SessionRow) -> SessionView {
        SessionView {
            id: s.id,
            created_at: s.created_at,
            last_seen_at: s.last_seen_at,
            revoked_at: s.revoked_at,
            revoked_reason: s.revoked_reason,
            client_address: s.client_address,
            user_agent: s.user_agent,
            enrol_only: s.enrol_only,
        }
    }
}

pub(crate) async fn audit_by(
    uow: &mut UnitOfWork<'_>,
    caller: &Caller,
    action: &str,
    details: serde_json::Value,
) -> Result<(), DomainError> {
    let (actor, unit) = caller.audit_actor();
    uow.audit(AuditEntry {
        actor,
        unit,
        action: action.into(),
        case_id: None,
        details,
    })
    .await?;
    Ok(())
}

async fn unit_must_be_active(conn: &mut PgConnection, unit: &str) -> Result<UnitCode, DomainError> {
    let code = UnitCode::parse("unit", unit)?;
    check_unit(&code, store::units::is_active(conn, code.as_str()).await?)?;
    Ok(code)
}

async fn load_managed(
    conn: &mut PgConnection,
    caller: &Caller,
    id: Uuid,
) -> Result<AccountRow, DomainError> {
    let a = store::accounts::get_for_update(conn, id)
        .await?
        .ok_or(DomainError::AccountNotFound)?;
    may_manage(
        &caller.manager()?,
        &a.unit_code,
        &Roles::from_stored(&a.roles),
    )?;
    Ok(a)
}

/// An account the caller may manage, or, when `own` allows it, the caller's own account.
async fn load_visible(
    conn: &mut PgConnection,
    caller: &Caller,
    id: Uuid,
    own: bool,
) -> Result<AccountRow, DomainError> {
    let a = store::accounts::get(conn, id)
        .await?
        .ok_or(DomainError::AccountNotFound)?;
    if !(own && caller.account_id == Some(id)) {
        may_manage(
            &caller.manager()?,
            &a.unit_code,
            &Roles::from_stored(&a.roles),
        )?;
    }
    Ok(a)
}

/// End every session of an account, audited.
pub(crate) async fn end_sessions(
    uow: &mut UnitOfWork<'_>,
    caller_subject: &str,
    caller_unit: &str,
    account_id: Uuid,
    reason: EndReason,
) -> Result<Vec<Uuid>, DomainError> {
    let ended =
        store::sessions::revoke_all(uow.conn(), account_id, reason.as_str(), caller_subject)
            .await?;
    if !ended.is_empty() {
        uow.audit(AuditEntry {
                actor: caller_subject.into(),
                unit: caller_unit.into(),
                action: "session.revoke".into(),
                case_id: None,
                details: serde_json::json!({ "account_id": account_id, "sessions": ended, "reason": reason.as_str() }),
            })
        .await?;
    }
    Ok(ended)
}

/// Create an account (新建账号).
#[utoipa::path(post, path = "/api/v1/accounts", tag = "账号", request_body = CreateAccount,
    responses((status = 201, body = AccountView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn create(
    caller: Caller,
    body: web::Json<CreateAccount>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let login = LoginName::parse(&body.login_name)?;
    let display = DisplayName::parse(&body.display_name)?;
    let roles = Roles::parse(&body.roles)?;
    let password = NewPassword::parse("password", &body.password, &login)?;
    let mut conn = pool.acquire().await?;
    let unit = unit_must_be_active(&mut conn, &body.unit).await?;
    drop(conn);
    may_manage(&caller.manager()?, unit.as_str(), &roles)?;
    let hasher = state.hasher.clone();
    let hash = web::block(move || hasher.hash(&password))
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))??;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let row = store::accounts::insert(
        uow.conn(),
        &store::accounts::NewAccount {
            id: Uuid::now_v7(),
            login_name: login.as_str(),
            display_name: display.as_str(),
            unit_code: unit.as_str(),
            roles: &roles.names(),
            password_hash: &hash,
            created_by: &caller.subject,
        },
    )
    .await
    .map_err(|e| {
        if store::is_unique_violation(&e) {
            DomainError::Conflict {
                code: "login_name_taken",
                message: format!("登录名 {login} 已被使用", login = login.as_str()),
            }
        } else {
            e.into()
        }
    })?;
    audit_by(
        &mut uow,
        &caller,
        "account.create",
        serde_json::json!({ "account_id": row.id, "login_name": row.login_name, "unit": row.unit_code, "roles": row.roles }),
    )
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(AccountView::from(&row)))
}

/// Accounts (账号列表): all for administrators, the own unit's for a unit head.
#[utoipa::path(get, path = "/api/v1/accounts", tag = "账号", params(AccountQuery),
    responses((status = 200, body = [AccountView]), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn list(
    caller: Caller,
    query: xinfang_platform::http::Query<AccountQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let (_, own_unit) = caller.person()?;
    let q = query.into_inner();
    let unit = if caller.has(Role::Admin) {
        q.unit
    } else if caller.has(Role::UnitHead) {
        if q.unit.as_deref().is_some_and(|u| u != own_unit) {
            return Err(DomainError::Forbidden("单位负责人只能查看本单位的账号".into()).into());
        }
        Some(own_unit.to_string())
    } else {
        return Err(DomainError::Forbidden("当前账号无权查看账号列表".into()).into());
    };
    let rows = store::accounts::list(&pool, unit.as_deref(), q.status.map(|s| s.as_str())).await?;
    Ok(HttpResponse::Ok().json(rows.iter().map(AccountView::from).collect::<Vec<_>>()))
}

/// One account (账号详情): the account itself, its unit head, or an administrator.
#[utoipa::path(get, path = "/api/v1/accounts/{id}", tag = "账号", params(("id" = Uuid, Path)),
    responses((status = 200, body = AccountView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get(
    caller: Caller,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let mut conn = pool.acquire().await?;
    let a = load_visible(&mut conn, &caller, id, true).await?;
    Ok(HttpResponse::Ok().json(AccountView::from(&a)))
}

/// Change an account (修改账号): name, unit, roles, status. Disabling ends its sessions.
#[utoipa::path(patch, path = "/api/v1/accounts/{id}", tag = "账号", params(("id" = Uuid, Path)), request_body = UpdateAccount,
    responses((status = 200, body = AccountView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, fields(account = %path))]
pub async fn update(
    caller: Caller,
    path: web::Path<Uuid>,
    body: web::Json<UpdateAccount>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let current = load_managed(uow.conn(), &caller, id).await?;
    let display = match &body.display_name {
        Some(d) => DisplayName::parse(d)?.as_str().to_string(),
        None => current.display_name.clone(),
    };
    let unit = match &body.unit {
        Some(u) if u != &current.unit_code => unit_must_be_active(uow.conn(), u).await?.to_string(),
        _ => current.unit_code.clone(),
    };
    let roles = match &body.roles {
        Some(r) => Roles::parse(r)?,
        None => Roles::from_stored(&current.roles),
    };
    // The new placement must be within the manager's reach too.
    may_manage(&caller.manager()?, &unit, &roles)?;
    let status = body
        .status
        .unwrap_or(AccountStatus::from_stored(&current.status));
    if caller.account_id == Some(id) && status == AccountStatus::Disabled {
        return Err(DomainError::Conflict {
            code: "self_disable",
            message: "不能停用自己的账号".into(),
        }
        .into());
    }
    let row = store::accounts::update(
        uow.conn(),
        id,
        &display,
        &unit,
        &roles.names(),
        status.as_str(),
    )
    .await?;
    audit_by(
        &mut uow,
        &caller,
        "account.update",
        serde_json::json!({ "account_id": id, "unit": {"from": current.unit_code, "to": row.unit_code},
                            "status": {"from": current.status, "to": row.status}, "display_name": row.display_name }),
    )
    .await?;
    if current.roles != row.roles {
        audit_by(
            &mut uow,
            &caller,
            "account.roles_change",
            serde_json::json!({ "account_id": id, "from": current.roles, "to": row.roles }),
        )
        .await?;
    }
    if status == AccountStatus::Disabled && current.status != row.status {
        let (actor, unit) = caller.audit_actor();
        end_sessions(&mut uow, &actor, &unit, id, EndReason::AccountDisabled).await?;
    }
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(AccountView::from(&row)))
}

/// Set a new password for an account (重置密码); every session of the account ends.
#[utoipa::path(put, path = "/api/v1/accounts/{id}/password", tag = "账号", params(("id" = Uuid, Path)), request_body = ResetPassword,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all, fields(account = %path))]
pub async fn reset_password(
    caller: Caller,
    path: web::Path<Uuid>,
    body: web::Json<ResetPassword>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let mut conn = pool.acquire().await?;
    let a = load_visible(&mut conn, &caller, id, false).await?;
    drop(conn);
    let login = LoginName::parse(&a.login_name)?;
    let password = NewPassword::parse("new_password", &body.new_password, &login)?;
    let hasher = state.hasher.clone();
    let hash = web::block(move || hasher.hash(&password))
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))??;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    load_managed(uow.conn(), &caller, id).await?;
    store::accounts::set_password(uow.conn(), id, &hash).await?;
    audit_by(
        &mut uow,
        &caller,
        "account.password_reset",
        serde_json::json!({ "account_id": id }),
    )
    .await?;
    let (actor, unit) = caller.audit_actor();
    end_sessions(&mut uow, &actor, &unit, id, EndReason::PasswordChanged).await?;
    uow.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Remove an account's TOTP (重置动态验证码), so that it enrols again at next login.
/// Administrators only; the account's sessions end.
#[utoipa::path(delete, path = "/api/v1/accounts/{id}/totp", tag = "账号", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn reset_totp(
    caller: Caller,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    caller.require_admin()?;
    let id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    load_managed(uow.conn(), &caller, id).await?;
    store::accounts::clear_totp(uow.conn(), id).await?;
    audit_by(
        &mut uow,
        &caller,
        "account.totp_reset",
        serde_json::json!({ "account_id": id }),
    )
    .await?;
    let (actor, unit) = caller.audit_actor();
    end_sessions(&mut uow, &actor, &unit, id, EndReason::Revoked).await?;
    uow.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The sessions of an account (账号会话).
#[utoipa::path(get, path = "/api/v1/accounts/{id}/sessions", tag = "账号", params(("id" = Uuid, Path)),
    responses((status = 200, body = [SessionView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn sessions(
    caller: Caller,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let mut conn = pool.acquire().await?;
    load_visible(&mut conn, &caller, id, true).await?;
    let rows = store::sessions::list_for_account(&pool, id).await?;
    Ok(HttpResponse::Ok().json(rows.into_iter().map(SessionView::from).collect::<Vec<_>>()))
}

/// End every session of an account (撤销全部会话).
#[utoipa::path(post, path = "/api/v1/accounts/{id}/sessions/revoke", tag = "账号", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_sessions(
    caller: Caller,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    load_managed(uow.conn(), &caller, id).await?;
    let (actor, unit) = caller.audit_actor();
    end_sessions(&mut uow, &actor, &unit, id, EndReason::Revoked).await?;
    uow.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}

/// End one session (撤销会话).
#[utoipa::path(post, path = "/api/v1/sessions/{id}/revoke", tag = "账号", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn revoke_session(
    caller: Caller,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let sid = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let s = store::sessions::get(uow.conn(), sid)
        .await?
        .ok_or(DomainError::SessionNotFound)?;
    if caller.account_id != Some(s.account_id) {
        load_managed(uow.conn(), &caller, s.account_id).await?;
    }
    if store::sessions::revoke(
        uow.conn(),
        sid,
        EndReason::Revoked.as_str(),
        &caller.subject,
    )
    .await?
    {
        audit_by(
        &mut uow,
            &caller,
            "session.revoke",
            serde_json::json!({ "account_id": s.account_id, "sessions": [sid], "reason": "revoked" }),
        )
        .await?;
    }
    uow.commit().await?;
    Ok(HttpResponse::NoContent().finish())
}
