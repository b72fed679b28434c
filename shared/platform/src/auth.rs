//! Authentication and rights (身份认证与权限).
//!
//! Every API except health, metrics and public law lookups needs a bearer token: a JWT signed with
//! HMAC-SHA256 (the only accepted algorithm), carrying the user id, the unit code and the roles.
//! Handlers take an [`Actor`] argument; a missing or invalid token answers 401, a missing right 403.

use std::{
    future::{ready, Ready},
    str::FromStr,
};

use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::{error::ApiError, settings::AuthSettings};

type HmacSha256 = Hmac<Sha256>;

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
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::Clerk,
        Role::Handler,
        Role::UnitHead,
        Role::Mediator,
        Role::Supervisor,
        Role::Leader,
        Role::Auditor,
        Role::Admin,
        Role::PiiViewer,
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
}

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
        }
    }

    /// The roles that hold this right.
    pub fn roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Permission::RegisterPetition => &[Clerk, Admin],
            Permission::DecidePetition => &[Clerk, UnitHead, Admin],
            Permission::HandleCase => &[Handler, UnitHead],
            Permission::ReadCases => &[
                Clerk, Handler, UnitHead, Mediator, Supervisor, Leader, Auditor, Admin,
            ],
            Permission::ViewPersonalData => &[PiiViewer],
            Permission::Mediate => &[Mediator, UnitHead],
            Permission::Supervise => &[Supervisor, Leader, Admin],
            Permission::ReadStatistics => &[Supervisor, Leader, UnitHead, Auditor, Admin],
            Permission::ReadAudit => &[Auditor, Admin],
            Permission::Administer => &[Admin],
        }
    }
}

/// The claims of a token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Unit code (单位代码).
    pub unit: String,
    pub roles: Vec<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
}

/// The authenticated caller (当前用户).
#[derive(Debug, Clone, PartialEq)]
pub struct Actor {
    pub user_id: String,
    pub unit: String,
    pub roles: Vec<Role>,
    /// True when the caller belongs to the county bureau, whose staff see the whole county.
    pub bureau: bool,
}

impl Actor {
    pub fn has(&self, p: Permission) -> bool {
        p.roles().iter().any(|r| self.roles.contains(r))
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
        self.bureau
            || self.roles.iter().any(|r| {
                matches!(
                    r,
                    Role::Leader | Role::Supervisor | Role::Auditor | Role::Admin
                )
            })
    }

    /// May this caller see data that belongs to `unit`?
    pub fn can_see_unit(&self, unit: &str) -> bool {
        self.county_wide() || self.unit == unit
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TokenError {
    #[error("令牌格式不正确")]
    Malformed,
    #[error("令牌算法不被接受")]
    Algorithm,
    #[error("令牌签名无效")]
    Signature,
    #[error("令牌已过期")]
    Expired,
    #[error("令牌尚未生效")]
    NotYetValid,
    #[error("令牌签发方或受众不符")]
    WrongIssuerOrAudience,
    #[error("令牌中的角色无效：{0}")]
    Role(String),
}

/// Signs and verifies tokens.
#[derive(Clone)]
pub struct TokenKeys {
    secret: SecretString,
    pub issuer: String,
    pub audience: String,
    pub bureau_unit: String,
    pub leeway_secs: i64,
}

impl TokenKeys {
    pub fn new(settings: &AuthSettings) -> anyhow::Result<TokenKeys> {
        if settings.jwt_secret.expose_secret().len() < 32 {
            anyhow::bail!("auth.jwt_secret must be at least 32 bytes (令牌密钥至少 32 字节)");
        }
        Ok(TokenKeys {
            secret: settings.jwt_secret.clone(),
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            bureau_unit: settings.bureau_unit.clone(),
            leeway_secs: 30,
        })
    }

    // Cannot fail: HMAC takes a key of any length.
    #[allow(clippy::expect_used)]
    fn mac(&self) -> HmacSha256 {
        HmacSha256::new_from_slice(self.secret.expose_secret().as_bytes())
            .expect("HMAC takes any key length")
    }

    /// Issue a token valid for `ttl_secs`.
    pub fn issue(&self, user: &str, unit: &str, roles: &[Role], ttl_secs: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user.to_string(),
            unit: unit.to_string(),
            roles: roles.iter().map(|r| r.as_str().to_string()).collect(),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + ttl_secs,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        self.sign(&claims)
    }

    // Cannot fail: the claims are strings and integers.
    #[allow(clippy::expect_used)]
    pub fn sign(&self, claims: &Claims) -> String {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).expect("claims serialize"));
        let signing_input = format!("{header}.{body}");
        let mut mac = self.mac();
        mac.update(signing_input.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{signing_input}.{sig}")
    }

    pub fn verify(&self, token: &str) -> Result<Actor, TokenError> {
        let mut parts = token.split('.');
        let (Some(h), Some(b), Some(s), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: serde_json::Value = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(h)
                .map_err(|_| TokenError::Malformed)?,
        )
        .map_err(|_| TokenError::Malformed)?;
        if header.get("alg").and_then(|a| a.as_str()) != Some("HS256") {
            return Err(TokenError::Algorithm);
        }
        let sig = URL_SAFE_NO_PAD
            .decode(s)
            .map_err(|_| TokenError::Malformed)?;
        let mut mac = self.mac();
        mac.update(h.as_bytes());
        mac.update(b".");
        mac.update(b.as_bytes());
        mac.verify_slice(&sig).map_err(|_| TokenError::Signature)?;
        let claims: Claims = serde_json::from_slice(
            &URL_SAFE_NO_PAD
                .decode(b)
                .map_err(|_| TokenError::Malformed)?,
        )
        .map_err(|_| TokenError::Malformed)?;
        let now = chrono::Utc::now().timestamp();
        if claims.exp + self.leeway_secs < now {
            return Err(TokenError::Expired);
        }
        if claims.nbf - self.leeway_secs > now {
            return Err(TokenError::NotYetValid);
        }
        if claims.iss != self.issuer || claims.aud != self.audience {
            return Err(TokenError::WrongIssuerOrAudience);
        }
        let roles = claims
            .roles
            .iter()
            .map(|r| r.parse::<Role>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(TokenError::Role)?;
        if claims.sub.is_empty() || claims.unit.is_empty() {
            return Err(TokenError::Malformed);
        }
        Ok(Actor {
            bureau: claims.unit == self.bureau_unit,
            user_id: claims.sub,
            unit: claims.unit,
            roles,
        })
    }
}

impl FromRequest for Actor {
    type Error = ApiError;
    type Future = Ready<Result<Actor, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Actor, ApiError> {
    let keys = req
        .app_data::<web::Data<TokenKeys>>()
        .ok_or_else(|| ApiError::internal("TokenKeys not configured"))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| unauthorized(req, "缺少身份令牌，请先登录"))?;
    let value = header
        .to_str()
        .map_err(|_| unauthorized(req, "身份令牌格式不正确"))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| unauthorized(req, "身份令牌必须以 Bearer 方式提供"))?;
    keys.verify(token.trim())
        .map_err(|e| unauthorized(req, &e.to_string()))
}

fn unauthorized(req: &HttpRequest, message: &str) -> ApiError {
    tracing::warn!(path = %req.path(), reason = message, "authentication failed");
    ApiError::unauthorized(message.to_string())
        .with_details(serde_json::json!({ "scheme": "Bearer" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&AuthSettings {
            jwt_secret: SecretString::from("0123456789abcdef0123456789abcdef"),
            issuer: "xinfang".into(),
            audience: "xinfang".into(),
            bureau_unit: "140423-XFJ".into(),
        })
        .unwrap()
    }

    #[test]
    fn issued_tokens_verify() {
        let k = keys();
        let t = k.issue("u1", "140423-XFJ", &[Role::Clerk], 60);
        let a = k.verify(&t).unwrap();
        assert_eq!(a.user_id, "u1");
        assert!(a.bureau);
        assert!(a.has(Permission::RegisterPetition));
        assert!(!a.has(Permission::Administer));
    }

    #[test]
    fn tampered_expired_and_foreign_tokens_fail() {
        let k = keys();
        let t = k.issue("u1", "u", &[Role::Clerk], 60);
        let mut parts: Vec<&str> = t.split('.').collect();
        let forged_body = URL_SAFE_NO_PAD.encode(br#"{"sub":"u1","unit":"u","roles":["admin"],"iss":"xinfang","aud":"xinfang","iat":0,"nbf":0,"exp":9999999999,"jti":"x"}"#);
        parts[1] = &forged_body;
        assert_eq!(k.verify(&parts.join(".")), Err(TokenError::Signature));
        let expired = k.issue("u1", "u", &[Role::Clerk], -3600);
        assert_eq!(k.verify(&expired), Err(TokenError::Expired));
        let none_alg = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#),
            forged_body
        );
        assert_eq!(k.verify(&none_alg), Err(TokenError::Algorithm));
        let mut other = keys();
        other.secret = SecretString::from("another-secret-another-secret-xx");
        assert_eq!(other.verify(&t), Err(TokenError::Signature));
        assert_eq!(k.verify("abc"), Err(TokenError::Malformed));
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(TokenKeys::new(&AuthSettings {
            jwt_secret: SecretString::from("short"),
            issuer: "x".into(),
            audience: "x".into(),
            bureau_unit: "b".into(),
        })
        .is_err());
    }
}
