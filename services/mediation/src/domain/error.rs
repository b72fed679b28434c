//! Mediation's failures (调解环节的错误), each with a Chinese message; only `api/error.rs` turns
//! them into the platform's HTTP error shape.

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum MediationError {
    /// A field failed its check (字段校验失败).
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// The thing does not exist or the caller may not see it: both answer alike.
    #[error("{0}")]
    NotFound(&'static str),
    /// The caller holds the right but not for this body, unit or case (查阅、办理范围).
    #[error("{0}")]
    OutOfScope(String),
    /// The step does not fit the mediation's state, or a rule refuses it (回避, double booking):
    /// `code` names the rule, `details` the conflict.
    #[error("{message}")]
    Conflict {
        code: &'static str,
        message: String,
        details: Option<Value>,
    },
    /// The store failed (kept opaque: the domain knows no database; `store` converts the driver's
    /// error into it and `api` recovers it to tell an outage from a bug).
    #[error("database: {0}")]
    Database(Box<dyn std::error::Error + Send + Sync>),
}

impl MediationError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> MediationError {
        MediationError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> MediationError {
        MediationError::Conflict {
            code,
            message: message.into(),
            details: None,
        }
    }

    /// The mediation's state does not allow the step.
    pub fn state(status_zh: &str, step: &str) -> MediationError {
        MediationError::conflict(
            "invalid_state",
            format!("调解当前状态为“{status_zh}”，不能{step}"),
        )
    }
}

pub type Result<T> = std::result::Result<T, MediationError>;
