//! The supervision service's one domain error (督查督办业务错误). Messages are Chinese and name the
//! field where one is at fault; `api::error` maps each variant to the platform's error shape.

/// Why a supervision request or step was refused.
#[derive(Debug, thiserror::Error)]
pub enum SupervisionError {
    /// A deadline (期限) that does not exist or that the caller may not see.
    #[error("期限不存在或无权查看")]
    DeadlineNotFound,
    #[error("该期限已{0}，不能再变更")]
    DeadlineNotLive(String),
    #[error("{0}不适用延期")]
    NotExtendable(&'static str),
    #[error("{kind}最多延期 {max} 次，已延期 {used} 次")]
    TooManyExtensions {
        kind: &'static str,
        max: u32,
        used: usize,
    },
    /// Field `days`.
    #[error("延长期间应在 1 至 {max} 日之间")]
    ExtensionTooLong { max: u32 },
    #[error("交办机关确定日期的期限不适用中止计时")]
    FixedDate,
    /// No law stops this clock (中止计时须有法律依据: e.g. 复核听证, art 36).
    #[error("{0}没有法定的中止计时事由（仅复核听证等法律明定的情形可以中止计时）")]
    NotStoppable(&'static str),
    /// Extensions and stops are decided by the unit head of the unit the deadline binds.
    #[error("延期、中止计时须由承办该件的单位负责人批准")]
    NotDeadlineUnitHead,
    /// Field `to` (中止计时).
    #[error("{0}")]
    InvalidStop(String),
    #[error("该期限当前未中止计时")]
    NotPaused,
    #[error("该期限已处于中止计时状态")]
    AlreadyPaused,
    /// A holiday arrangement (节假日安排) for a year already loaded with other content.
    #[error("{year} 年的节假日安排已加载且内容不同；如需更正，请修改日历文件并重启服务")]
    CalendarConflict { year: i32 },
    /// A case (信访件) that does not exist or that the caller may not see.
    #[error("信访件不存在或无权查看")]
    CaseNotFound,
    /// A case id the read model does not know (纳入攻坚, 立案追责).
    #[error("信访件不存在")]
    CaseUnknown,
    /// Supervision order (督办令).
    #[error("督办令不存在或无权查看")]
    OrderNotFound,
    #[error("该督办令已书面答复")]
    OrderAnswered,
    #[error("该督办令已逾期升级，请答复升级后的督办令")]
    OrderEscalated,
    /// Case-owning leader (包案领导).
    #[error("包案记录不存在")]
    LeaderAssignmentNotFound,
    #[error("该领导已包案此信访件")]
    AlreadyAssigned,
    /// Backlog campaign (专项攻坚).
    #[error("专项攻坚不存在")]
    CampaignNotFound,
    /// Recommendation (三项建议).
    #[error("建议不存在或无权查看")]
    RecommendationNotFound,
    #[error("该建议已书面反馈")]
    FeedbackGiven,
    /// Accountability case (追责案件).
    #[error("追责案件不存在")]
    AccountabilityNotFound,
    #[error("该追责案件已办结")]
    AccountabilityConcluded,
    /// Misconduct report (问题反映).
    #[error("问题反映不存在")]
    MisconductNotFound,
    #[error("该反映已有追责案件调查")]
    AlreadyInvestigated,
    /// The store failed (kept opaque here: the domain knows no database; `store` converts
    /// the database driver's error into it and `api` recovers it to tell an outage from a bug).
    #[error("database: {0}")]
    Database(Box<dyn std::error::Error + Send + Sync>),
}
