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
}
