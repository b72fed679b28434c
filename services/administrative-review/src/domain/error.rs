//! Administrative review's failures (行政三级办理的错误), each with a Chinese message naming the rule
//! or the field. Only `api/error.rs` turns them into the platform's HTTP shape.

use chrono::NaiveDate;

#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    /// One field failed validation.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// The case does not exist or the caller's unit may not see it: both answer alike.
    #[error("案件不存在或无权查看")]
    CaseHidden,
    #[error("意见书不存在或无权查看")]
    OpinionHidden,
    #[error("记录不存在或无权查看")]
    RecordHidden,
    /// Optimistic versioning (乐观并发): someone changed the case since the caller read it.
    #[error("案件已被他人修改（当前版本 {current}），请刷新后重试")]
    VersionConflict { current: i32 },
    /// The case's state does not allow the step.
    #[error("{0}")]
    NotAllowed(String),
    /// Only the unit responsible for the level may do this.
    #[error("只有当前层级的办理机关可以办理该事项")]
    NotResponsibleUnit,
    #[error("{0}")]
    Forbidden(String),
    /// 第三十四条: one extension only.
    #[error("办理期限已延长过一次，不得再次延期（《信访工作条例》第三十四条）")]
    SecondExtension,
    #[error("延长期限不得超过 {max} 日（《信访工作条例》第三十四条）")]
    ExtensionTooLong { max: u32 },
    #[error("办理期限已于 {due} 届满，届满后不得申请延期（《信访工作条例》第三十四条）")]
    ExtensionAfterDue { due: NaiveDate },
    #[error(
        "延期须经本机关负责人批准，申请人不得批准本人的延期申请（《信访工作条例》第三十四条）"
    )]
    SelfApproval,
    #[error("延期须经本单位负责人批准（《信访工作条例》第三十四条）")]
    NotUnitHead,
    /// The clock's due date is not known yet (supervision has not projected it).
    #[error("{what}尚未确定，请稍后再试")]
    ClockPending { what: &'static str },
    /// A review or re-review request after the window closed (art 35, 36).
    #[error("{level_zh}请求期限已于 {window_closed_on} 届满，{requested_on} 提出的请求不予受理（《信访工作条例》第{article}条）")]
    LateRequest {
        level_zh: &'static str,
        article: &'static str,
        window_closed_on: NaiveDate,
        requested_on: NaiveDate,
    },
    #[error("单位目录中没有“{unit}”的上一级机关，无法确定{level_zh}机关")]
    NoOrganAbove {
        unit: String,
        level_zh: &'static str,
    },
    #[error("数据库暂不可用")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ReviewError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> ReviewError {
        ReviewError::Invalid {
            field,
            message: message.into(),
        }
    }

    pub fn not_allowed(message: impl Into<String>) -> ReviewError {
        ReviewError::NotAllowed(message.into())
    }
}
