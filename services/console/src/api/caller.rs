//! The authenticated caller at the console (调用者). A bearer token is verified against the
//! console's own JWKS with the platform's verifier, as every service verifies; a person's token must also
//! name a server-side session that is still alive, so that a revoked session stops working here at
//! once (elsewhere within the token's lifetime). Unit and roles come from the account as it is now.

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use chrono::Utc;
use futures::future::LocalBoxFuture;
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_platform::{
    auth::{TokenType, Verifier},
    ApiError, Role,
};

use super::state::AppState;
use crate::{
    domain::{
        account::{AccountStatus, Manager, Roles},
        session::{SessionState, SessionTimes},
        DomainError,
    },
    store,
};

/// A caller with a full session (or a service).
#[derive(Debug, Clone)]
pub struct Caller {
    /// Account id, or `service:<client_id>`.
    pub subject: String,
    pub typ: TokenType,
    pub account_id: Option<Uuid>,
    pub login_name: Option<String>,
    pub unit: Option<String>,
    pub roles: Vec<Role>,
    pub scopes: Vec<String>,
    pub session_id: Option<Uuid>,
    /// The session may only enrol TOTP.
    pub enrol_only: bool,
}

/// A caller whose session may be one that only enrols TOTP.
#[derive(Debug, Clone)]
pub struct EnrollingCaller(pub Caller);

impl Caller {
    pub fn has(&self, r: Role) -> bool {
        self.roles.contains(&r)
    }

    /// The account of a person, or 403 for a service.
    pub fn person(&self) -> Result<(Uuid, &str), DomainError> {
        match (self.account_id, self.unit.as_deref()) {
            (Some(id), Some(unit)) => Ok((id, unit)),
            _ => Err(DomainError::Forbidden("此操作须由工作人员账号进行".into())),
        }
    }

    pub fn require_admin(&self) -> Result<(), DomainError> {
        if self.typ == TokenType::User && self.has(Role::Admin) {
            Ok(())
        } else {
            tracing::warn!(subject = %self.subject, "authorization failed: admin required");
            Err(DomainError::Forbidden("当前账号无权进行系统管理".into()))
        }
    }

    pub fn manager(&self) -> Result<Manager<'_>, DomainError> {
        let (_, unit) = self.person()?;
        Ok(Manager {
            unit,
            roles: &self.roles,
        })
    }

    /// For the audit log: (actor, unit).
    pub fn audit_actor(&self) -> (String, String) {
        (
            self.subject.clone(),
            self.unit.clone().unwrap_or_else(|| "service".into()),
        )
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let c = authenticate(&req).await.map_err(ApiError::from)?;
            if c.enrol_only {
                return Err(DomainError::TotpEnrolmentRequired.into());
            }
            Ok(c)
        })
    }
}

impl FromRequest for EnrollingCaller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<EnrollingCaller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            Ok(EnrollingCaller(
                authenticate(&req).await.map_err(ApiError::from)?,
            ))
        })
    }
}

fn bearer(req: &HttpRequest) -> Result<&str, DomainError> {
    let value = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| DomainError::Unauthenticated("缺少身份令牌，请先登录".into()))?
        .to_str()
        .map_err(|_| DomainError::Unauthenticated("身份令牌格式不正确".into()))?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| DomainError::Unauthenticated("身份令牌必须以 Bearer 方式提供".into()))
}

async fn authenticate(req: &HttpRequest) -> Result<Caller, DomainError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| DomainError::Internal("AppState not configured".into()))?;
    let pool = req
        .app_data::<web::Data<PgPool>>()
        .ok_or_else(|| DomainError::Internal("PgPool not configured".into()))?;
    let verifier = req
        .app_data::<web::Data<Verifier>>()
        .ok_or_else(|| DomainError::Internal("Verifier not configured".into()))?;
    let token = bearer(req)?;
    let now = Utc::now();
    let claims = verifier.verify(token).await.map_err(|e| {
        tracing::warn!(path = %req.path(), reason = %e, "authentication failed");
        DomainError::Unauthenticated(e.to_string())
    })?;
    match claims.typ {
        TokenType::Service => Ok(Caller {
            subject: claims.sub,
            typ: TokenType::Service,
            account_id: None,
            login_name: None,
            unit: None,
            roles: Vec::new(),
            scopes: claims.scopes,
            session_id: None,
            enrol_only: false,
        }),
        TokenType::User => {
            let bad = || DomainError::Unauthenticated("令牌未关联有效会话".into());
            let sid: Uuid = claims
                .sid
                .as_deref()
                .and_then(|s| s.parse().ok())
                .ok_or_else(bad)?;
            let account_id: Uuid = claims.sub.parse().map_err(|_| bad())?;
            let mut conn = pool.acquire().await?;
            let session = store::sessions::get(&mut conn, sid)
                .await?
                .ok_or_else(bad)?;
            if session.account_id != account_id {
                return Err(bad());
            }
            let times = SessionTimes {
                created_at: session.created_at,
                last_seen_at: session.last_seen_at,
                revoked_at: session.revoked_at,
            };
            if state.sessions.state(&times, now) != SessionState::Alive {
                return Err(DomainError::SessionEnded);
            }
            let account = store::accounts::get(&mut conn, account_id)
                .await?
                .ok_or_else(bad)?;
            if AccountStatus::from_stored(&account.status) != AccountStatus::Active {
                return Err(DomainError::SessionEnded);
            }
            store::sessions::touch(&mut conn, sid, now, 30).await?;
            Ok(Caller {
                subject: claims.sub,
                typ: TokenType::User,
                account_id: Some(account_id),
                login_name: Some(account.login_name),
                unit: Some(account.unit_code),
                roles: Roles::from_stored(&account.roles).roles(),
                scopes: Vec::new(),
                session_id: Some(sid),
                enrol_only: session.enrol_only,
            })
        }
    }
}
