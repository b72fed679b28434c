//! Authentication and rights (身份认证与权限).
//!
//! Every API except health, metrics and public law lookups needs a bearer token: a JWT signed by
//! the one issuer, the console, with Ed25519 (`alg` EdDSA, the only accepted algorithm), carrying
//! the user id, the unit code, the roles and the server-side session id. Services hold the
//! issuer's public keys only ([`Verifier`], fed by the console's JWKS), so no service can mint a
//! token. Handlers take an [`Actor`] argument; a missing or invalid token answers 401, a missing
//! right 403, and a service identity token (`typ = service`) 403 wherever the route does not
//! accept its scope ([`AcceptServiceScopes`], checked in [`admit`]).

pub mod claims;
pub mod dev;
pub mod jwks;
pub mod trust;
pub mod verify;

use std::str::FromStr;

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures::future::LocalBoxFuture;
use serde::{Deserialize, Serialize};

pub use claims::{Claims, TokenType};
pub use jwks::{Jwk, Jwks};
pub use trust::Verifier;
pub use verify::{verify, VerifyError, VerifyOptions};

use crate::error::ApiError;

/// Roles (角色).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 窗口登记员
    Clerk,
    /// 承办人
    Handler,
    /// 单位负责人
    UnitHead,
    /// 调解员
    Mediator,
    /// 督查专员
    Supervisor,
    /// 领导
    Leader,
    /// 审计员
    Auditor,
    /// 系统管理员
    Admin,
    /// 个人信息查阅: may see identity and phone numbers unmasked (every view is audited).
    PiiViewer,
    /// 档案员: keeps the archive (信访档案): legal holds, destruction requests and approvals.
    Archivist,
}

impl Role {
    pub const ALL: [Role; 10] = [
        Role::Clerk,
        Role::Handler,
        Role::UnitHead,
        Role::Mediator,
        Role::Supervisor,
        Role::Leader,
        Role::Auditor,
        Role::Admin,
        Role::PiiViewer,
        Role::Archivist,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Clerk => "clerk",
            Role::Handler => "handler",
            Role::UnitHead => "unit_head",
            Role::Mediator => "mediator",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::Auditor => "auditor",
            Role::Admin => "admin",
            Role::PiiViewer => "pii_viewer",
            Role::Archivist => "archivist",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("未知角色 unknown role: {s}"))
    }
}

/// Rights (权限), each granted to some roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// 登记信访事项
    RegisterPetition,
    /// 受理、转送、交办等程序决定
    DecidePetition,
    /// 承办单位办理
    HandleCase,
    /// 查阅信访件
    ReadCases,
    /// 查看完整身份证号、电话
    ViewPersonalData,
    /// 调解
    Mediate,
    /// 督查督办
    Supervise,
    /// 查阅统计
    ReadStatistics,
    /// 查阅审计
    ReadAudit,
    /// 系统管理（分类规则等）
    Administer,
    /// 查阅追责问责材料（追责案件、工作人员问题反映）: county supervision staff only
    ReadAccountability,
    /// 按身份证号、电话查找信访人 (confirms whether a person has petitioned): registration and
    /// repeat checks, and 督查 with a reason; every such search is audited
    SearchByIdentity,
    /// 查阅检举控告内容: only the roles that handle accusations
    ReadAccusationText,
    /// 档案管理: read and search the archive (信访档案), place and lift legal holds, request
    /// destruction
    ManageArchive,
    /// 批准档案销毁: approve a destruction another person requested
    ApproveArchiveDestruction,
}

/// Which units a role holds a right in (权限的单位范围).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitScope {
    /// In whatever unit the person belongs to.
    AnyUnit,
    /// Only at the county petition bureau (县信访局), whose staff act county-wide.
    Bureau,
}

/// The one table of rights (权限矩阵): (right, role, the units in which that role holds it). Every
/// permission check of every service goes through [`Actor::has`], which reads this table.
pub const PERMISSION_MATRIX: &[(Permission, Role, UnitScope)] = {
    use Permission as P;
    use Role::*;
    use UnitScope::*;
    &[
        (P::RegisterPetition, Clerk, AnyUnit),
        (P::RegisterPetition, Admin, AnyUnit),
        (P::DecidePetition, Clerk, AnyUnit),
        (P::DecidePetition, UnitHead, AnyUnit),
        (P::DecidePetition, Admin, AnyUnit),
        (P::HandleCase, Handler, AnyUnit),
        (P::HandleCase, UnitHead, AnyUnit),
        (P::ReadCases, Clerk, AnyUnit),
        (P::ReadCases, Handler, AnyUnit),
        (P::ReadCases, UnitHead, AnyUnit),
        (P::ReadCases, Mediator, AnyUnit),
        (P::ReadCases, Supervisor, AnyUnit),
        (P::ReadCases, Leader, AnyUnit),
        (P::ReadCases, Auditor, AnyUnit),
        (P::ReadCases, Admin, AnyUnit),
        (P::ViewPersonalData, PiiViewer, AnyUnit),
        (P::Mediate, Mediator, AnyUnit),
        (P::Mediate, UnitHead, AnyUnit),
        (P::Supervise, Supervisor, AnyUnit),
        (P::Supervise, Leader, AnyUnit),
        (P::Supervise, Admin, AnyUnit),
        (P::ReadStatistics, Supervisor, AnyUnit),
        (P::ReadStatistics, Leader, AnyUnit),
        (P::ReadStatistics, UnitHead, AnyUnit),
        (P::ReadStatistics, Auditor, AnyUnit),
        (P::ReadStatistics, Admin, AnyUnit),
        (P::ReadAudit, Auditor, AnyUnit),
        (P::ReadAudit, Admin, AnyUnit),
        (P::Administer, Admin, AnyUnit),
        // 监督追责: the bureau's supervisors (督查专员) and the county leaders; not the bureau's
        // clerks or mediators, not a department's staff.
        (P::ReadAccountability, Supervisor, Bureau),
        (P::ReadAccountability, Leader, AnyUnit),
        // Identity search: the registering clerk (登记、重复核查) and the bureau's supervisors.
        (P::SearchByIdentity, Clerk, AnyUnit),
        (P::SearchByIdentity, Supervisor, Bureau),
        // 检举控告: those who register, handle and supervise them; not mediators, auditors or admins.
        (P::ReadAccusationText, Clerk, AnyUnit),
        (P::ReadAccusationText, Handler, AnyUnit),
        (P::ReadAccusationText, UnitHead, AnyUnit),
        (P::ReadAccusationText, Supervisor, AnyUnit),
        (P::ReadAccusationText, Leader, AnyUnit),
        // 信访档案: the unit's archivist keeps its archive; an administrator too. A destruction is
        // approved only at the county bureau (the archivist or administrator there), and never by
        // the person who requested it (checked where it is approved).
        (P::ManageArchive, Archivist, AnyUnit),
        (P::ManageArchive, Admin, AnyUnit),
        (P::ApproveArchiveDestruction, Archivist, Bureau),
        (P::ApproveArchiveDestruction, Admin, Bureau),
    ]
};

impl Permission {
    pub fn label_zh(self) -> &'static str {
        match self {
            Permission::RegisterPetition => "登记信访事项",
            Permission::DecidePetition => "作出受理、转送、交办等决定",
            Permission::HandleCase => "办理信访事项",
            Permission::ReadCases => "查阅信访件",
            Permission::ViewPersonalData => "查看完整个人信息",
            Permission::Mediate => "组织调解",
            Permission::Supervise => "督查督办",
            Permission::ReadStatistics => "查阅统计",
            Permission::ReadAudit => "查阅审计日志",
            Permission::Administer => "系统管理",
            Permission::ReadAccountability => "查阅追责问责材料",
            Permission::SearchByIdentity => "按身份证号或电话查找信访人",
            Permission::ReadAccusationText => "查阅检举控告内容",
            Permission::ManageArchive => "管理信访档案",
            Permission::ApproveArchiveDestruction => "批准销毁信访档案",
        }
    }

    /// The roles that hold this right in some unit (see [`PERMISSION_MATRIX`]).
    pub fn roles(self) -> Vec<Role> {
        let mut roles = Vec::new();
        for (p, r, _) in PERMISSION_MATRIX {
            if *p == self && !roles.contains(r) {
                roles.push(*r);
            }
        }
        roles
    }

    /// Whether `role` holds this right in a unit (`bureau`: the county petition bureau).
    pub fn granted(self, role: Role, bureau: bool) -> bool {
        PERMISSION_MATRIX.iter().any(|(p, r, scope)| {
            *p == self
                && *r == role
                && match scope {
                    UnitScope::AnyUnit => true,
                    UnitScope::Bureau => bureau,
                }
        })
    }
}

/// Whether the caller is a person or a service (调用者类型).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActorKind {
    /// A member of staff, logged in at the console.
    Person,
    /// A service identity (服务身份), with the scopes the console granted it.
    Service { scopes: Vec<String> },
}

/// The authenticated caller (当前用户).
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    /// Account id (or `service:<client_id>`).
    pub user_id: String,
    /// Unit code (单位代码); empty for a service.
    pub unit: String,
    pub roles: Vec<Role>,
    /// True when the caller belongs to the county bureau, whose staff see the whole county.
    pub bureau: bool,
    /// The console's server-side session (会话) the token was issued for.
    pub session_id: Option<String>,
    pub kind: ActorKind,
}

impl Actor {
    /// A person with `roles` in `unit` (tests and tools).
    pub fn person(user_id: &str, unit: &str, roles: &[Role], bureau: bool) -> Actor {
        Actor {
            user_id: user_id.into(),
            unit: unit.into(),
            roles: roles.to_vec(),
            bureau,
            session_id: None,
            kind: ActorKind::Person,
        }
    }

    /// Read verified claims: a person needs a unit, and roles the platform knows (an unknown role
    /// name grants nothing and is ignored).
    pub fn from_claims(claims: Claims, bureau_unit: &str) -> Result<Actor, VerifyError> {
        match claims.typ {
            TokenType::Service => Ok(Actor {
                user_id: claims.sub,
                unit: String::new(),
                roles: Vec::new(),
                bureau: false,
                session_id: None,
                kind: ActorKind::Service {
                    scopes: claims.scopes,
                },
            }),
            TokenType::User => {
                let unit = claims.unit.ok_or(VerifyError::Malformed)?;
                let mut roles = Vec::new();
                for name in &claims.roles {
                    match name.parse::<Role>() {
                        Ok(r) if !roles.contains(&r) => roles.push(r),
                        Ok(_) => {}
                        Err(_) => tracing::debug!(role = %name, "unknown role in token ignored"),
                    }
                }
                Ok(Actor {
                    bureau: unit == bureau_unit,
                    user_id: claims.sub,
                    unit,
                    roles,
                    session_id: claims.sid,
                    kind: ActorKind::Person,
                })
            }
        }
    }

    pub fn is_service(&self) -> bool {
        matches!(self.kind, ActorKind::Service { .. })
    }

    /// Whether the caller holds `p`: a function of its roles and its unit ([`PERMISSION_MATRIX`]).
    pub fn has(&self, p: Permission) -> bool {
        self.kind == ActorKind::Person && self.roles.iter().any(|r| p.granted(*r, self.bureau))
    }

    pub fn require(&self, p: Permission) -> Result<(), ApiError> {
        if self.has(p) {
            Ok(())
        } else {
            tracing::warn!(user = %self.user_id, unit = %self.unit, permission = ?p, "authorization failed");
            Err(ApiError::forbidden(format!("当前账号无权{}", p.label_zh()))
                .with_details(serde_json::json!({ "permission": format!("{p:?}") })))
        }
    }

    /// Bureau staff, leaders, supervisors and auditors see the whole county; others their own unit.
    pub fn county_wide(&self) -> bool {
        self.kind == ActorKind::Person
            && (self.bureau
                || self.roles.iter().any(|r| {
                    matches!(
                        r,
                        Role::Leader | Role::Supervisor | Role::Auditor | Role::Admin
                    )
                }))
    }

    /// May this caller see data that belongs to `unit`?
    pub fn can_see_unit(&self, unit: &str) -> bool {
        self.county_wide() || (self.kind == ActorKind::Person && self.unit == unit)
    }
}

/// The service scopes a route (or scope of routes) accepts (接受的服务权限范围): put it in the
/// route's app data, `web::resource(..).app_data(web::Data::new(AcceptServiceScopes::new(["intake.contact.read"])))`.
/// Without it, a service identity token is refused.
#[derive(Debug, Clone, Default)]
pub struct AcceptServiceScopes(Vec<String>);

impl AcceptServiceScopes {
    pub fn new<S: Into<String>>(scopes: impl IntoIterator<Item = S>) -> Self {
        AcceptServiceScopes(scopes.into_iter().map(Into::into).collect())
    }

    pub fn accepts(&self, scopes: &[String]) -> bool {
        scopes.iter().any(|s| self.0.contains(s))
    }
}

/// The one place where service identities are let in: a person passes; a service only where the
/// route accepts one of its scopes.
pub fn admit(actor: Actor, accepted: Option<&AcceptServiceScopes>) -> Result<Actor, ApiError> {
    match &actor.kind {
        ActorKind::Person => Ok(actor),
        ActorKind::Service { scopes } if accepted.is_some_and(|a| a.accepts(scopes)) => Ok(actor),
        ActorKind::Service { scopes } => {
            tracing::warn!(service = %actor.user_id, ?scopes, "service identity refused");
            Err(ApiError::forbidden("服务身份令牌不能访问此接口")
                .with_details(serde_json::json!({ "scopes": scopes })))
        }
    }
}

impl FromRequest for Actor {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Actor, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { authenticate(&req).await })
    }
}

/// The bearer token of a request.
pub fn bearer(req: &HttpRequest) -> Result<&str, ApiError> {
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| unauthorized(req, "缺少身份令牌，请先登录"))?;
    let value = header
        .to_str()
        .map_err(|_| unauthorized(req, "身份令牌格式不正确"))?;
    value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .ok_or_else(|| unauthorized(req, "身份令牌必须以 Bearer 方式提供"))
}

async fn authenticate(req: &HttpRequest) -> Result<Actor, ApiError> {
    let verifier = req
        .app_data::<web::Data<Verifier>>()
        .ok_or_else(|| ApiError::internal("token verifier not configured"))?;
    let token = bearer(req)?;
    let claims = verifier
        .verify(token)
        .await
        .map_err(|e| unauthorized(req, &e.to_string()))?;
    let actor = Actor::from_claims(claims, verifier.bureau_unit())
        .map_err(|e| unauthorized(req, &e.to_string()))?;
    admit(
        actor,
        req.app_data::<web::Data<AcceptServiceScopes>>()
            .map(|d| d.get_ref()),
    )
}

fn unauthorized(req: &HttpRequest, message: &str) -> ApiError {
    tracing::warn!(path = %req.path(), reason = message, "authentication failed");
    ApiError::unauthorized(message.to_string())
        .with_details(serde_json::json!({ "scheme": "Bearer" }))
}

#[cfg(test)]
mod tests;
