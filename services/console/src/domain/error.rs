//! The console's one domain error (领域错误). `api::error` maps it to the platform's HTTP error
//! shape; nothing else here knows about HTTP.

/// Everything that can go wrong in the console, in the terms of its domain.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// A field failed validation: `field` is its JSON name, `message` names it in Chinese.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("单位 {0} 不存在")]
    UnitNotFound(String),
    #[error("账号不存在")]
    AccountNotFound,
    #[error("会话不存在")]
    SessionNotFound,
    /// A uniqueness or state conflict (`code` for programs).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// The caller may not do this (message says what, in Chinese).
    #[error("{0}")]
    Forbidden(String),
    /// No valid credentials (the answer is the same whether or not the account exists).
    #[error("用户名或密码错误")]
    InvalidCredentials,
    /// Too many failures: login refused until the lockout ends.
    #[error("登录失败次数过多，账号或来源地址已临时锁定，请稍后再试")]
    LockedOut { retry_after_secs: i64 },
    #[error("该账号须输入动态验证码")]
    TotpRequired,
    #[error("动态验证码错误或已使用")]
    TotpInvalid,
    #[error("该账号须先绑定动态验证码（TOTP）")]
    TotpEnrolmentRequired,
    #[error("缺少或无效的身份令牌：{0}")]
    Unauthenticated(String),
    #[error("会话已结束，请重新登录")]
    SessionEnded,
    #[error("服务客户端身份无效")]
    InvalidClient,
    /// The store failed (the database error, boxed so that the domain does not name it).
    #[error("storage: {0}")]
    Storage(Box<dyn std::error::Error + Send + Sync>),
    #[error("internal: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn invalid(field: &str, message: impl Into<String>) -> DomainError {
        DomainError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }
}
