/// Why notification refused a request (通知送达的业务错误).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotificationError {
    /// The inbox's page size is out of range.
    #[error("limit 应在 {min} 至 {max} 之间")]
    InvalidLimit { min: i64, max: i64 },
    /// A keyset cursor needs both of its halves.
    #[error("before_at 与 before_id 须同时提供")]
    PartialCursor,
    /// The case is unknown, or nothing of it is the caller's to see: both answer alike so that a
    /// unit cannot learn that another unit's case exists.
    #[error("信访件不存在或无权查看")]
    CaseNotFound,
    /// The delivery, notice or template is unknown, or not the caller's to see.
    #[error("记录不存在或无权查看")]
    NotFound,
    /// An operator's change that the delivery's state does not allow.
    #[error("送达渠道 {channel} 当前状态为 {status}，不能执行该操作")]
    InvalidTransition { channel: String, status: String },
    /// A template text refused when saved.
    #[error("{0}")]
    Template(#[from] crate::domain::template::TemplateError),
    /// A field of a request body.
    #[error("{message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Self-service: the case number and query code do not match a case (the same answer as a
    /// case that does not exist).
    #[error("信访件编号或查询码不正确")]
    NoSuchCase,
    /// Self-service: too many attempts from this client.
    #[error("查询过于频繁，请稍后再试")]
    TooManyAttempts,
    /// Self-service: a rating before the case has ended.
    #[error("信访事项办结后方可评价")]
    NotYetClosed,
    /// Self-service: the case was rated already.
    #[error("该信访事项已评价，不能重复评价")]
    AlreadyRated,
    /// A collaborator (intake) did not answer.
    #[error("服务暂不可用，请稍后再试")]
    Unavailable,
}
