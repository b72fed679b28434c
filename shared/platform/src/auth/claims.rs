//! The claims of an access token (访问令牌声明), as the console signs them.

use serde::{Deserialize, Serialize};

/// Whose token it is (令牌类型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenType {
    /// A person's token (人员令牌): carries a unit, roles and the server-side session id.
    User,
    /// A service identity token (服务身份令牌): carries scopes, no unit, no session.
    Service,
}

/// Claims of every token the console signs (an external OpenID Connect issuer's tokens are read
/// into this shape by [`super::verify`] with the configured claim names).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// User id (account UUID), or `service:<client_id>`.
    pub sub: String,
    pub typ: TokenType,
    /// Unit code (单位代码) of a person; absent for services.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Roles of a person (`clerk`, `handler`, ...), empty for services.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Scopes of a service (e.g. `intake.contact.read`), empty for people.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Server-side session id (会话) of a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: String,
}
