//! Intake's failures (受理环节的错误), each with the field it concerns and a Chinese message for the
//! clerk. Only `api/error.rs` turns them into the platform's HTTP error shape.

use chrono::NaiveDate;

/// One field that failed validation (字段校验失败): the field's path and a Chinese message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    /// Several fields failed at once (a registration, a rule set, a visit).
    #[error("提交的内容有误")]
    Invalid(Vec<FieldError>),
    /// One field failed a domain type's own check (identity number, phone, legal channel …).
    #[error("{0}")]
    InvalidField(FieldError),
    #[error("{label}不能为空")]
    Required {
        field: &'static str,
        label: &'static str,
    },
    #[error("{label}不能超过 {max} 个字")]
    TooLong {
        field: &'static str,
        label: &'static str,
        max: usize,
    },
    #[error("单位代码不能为空、不能含空白、不能超过 50 个字符")]
    InvalidUnitCode { field: &'static str },
    #[error("每页条数应在 1 至 200 之间")]
    PageSizeOutOfRange,
    #[error("搜索词不能超过 100 个字")]
    SearchTextTooLong,

    /// The case does not exist or the caller may not see it (查阅范围): both answer alike.
    #[error("信访件不存在或无权查看")]
    CaseHidden,
    /// A case referenced in a field does not exist or the caller may not see it.
    #[error("所引前案不存在或无权查看")]
    ReferencedCaseHidden { field: &'static str },
    #[error("分类规则版本不存在")]
    RuleVersionNotFound,

    #[error("来访登记不存在")]
    VisitNotFound,
    #[error("该来访已经登记为信访件")]
    VisitAlreadyRegistered,

    #[error("只有登记单位或信访局可以对该信访件作出受理、转送、交办等决定")]
    NotDecidingUnit,
    #[error("该信访件当前状态为“{status_zh}”，不能再作出此决定")]
    DecisionNotAllowed { status_zh: &'static str },
    #[error("检举控告材料不得转送、交办给被检举控告的单位（《信访工作条例》第三十条）")]
    AccusationToAccused { field: &'static str },
    #[error("简易办理仅适用于首次提出的信访事项，该件已认定为重复信访")]
    SimpleTrackForRepeat,
    #[error("简易办理应在收到之日起 {working_days} 个工作日内受理（截止 {accept_by}），已超期，请按普通程序受理")]
    SimpleTrackTooLate {
        working_days: u32,
        accept_by: NaiveDate,
    },
    #[error(
        "不予受理须告知信访人应当通过的途径：请填写法定途径（legal_channel）或告知内容（guidance）"
    )]
    GuidanceMissing,
    #[error("交办期限须晚于交办之日")]
    DueOnNotAfterToday,
    #[error("作出决定的日期不能晚于今天")]
    ActDateInFuture,
    #[error("作出决定的日期不能早于收到信访事项之日或前一步骤之日（{earliest}）")]
    ActDateBeforeStep { earliest: NaiveDate },
    #[error("前案不能是本件自身")]
    PriorIsThisCase,
    #[error("所引前案 {case_number} 状态为“{status_zh}”，既未办理终结也不在办理期限内，不能据此不再受理")]
    PriorDoesNotBar {
        case_number: String,
        status_zh: &'static str,
    },

    #[error("分类规则建议导入法定途径（{channel_zh}），如仍作为信访事项受理、转送或交办，须填写偏离建议的理由（override_reason）")]
    LegalChannelOverrideMissing { channel_zh: &'static str },

    #[error("不能认定为自身的重复信访")]
    EarlierIsThisCase,
    #[error("所引前案须早于本件登记")]
    EarlierNotBefore,
    #[error("认定重复信访须指明前案")]
    EarlierMissing,
    #[error("认定结果无效，应为 repeat（重复信访）或 new（新的信访事项）")]
    InvalidRepeatDecision,
    #[error("该件已作出重复信访认定")]
    RepeatAlreadyDecided,

    #[error("该信访件没有待签收的转送或交办")]
    NoPendingHandOff,
    #[error("只有接收转送、交办的单位可以签收或提出异议")]
    NotReceivingUnit,
    #[error("该信访件没有待核实的异议")]
    NoObjectionPending,
    #[error("只有作出转送、交办的信访部门或上级机关可以核实异议")]
    NotTransferringOrgan,
    #[error(
        "该信访件不是本单位作为上级转送、交办件登记的，也没有待签收的转送、交办，不能提出异议"
    )]
    NoObjectionRoute,
    #[error(
        "已超过 5 个工作日的异议期限（截止 {object_by}，《信访工作条例》第二十三条），请签收办理"
    )]
    ObjectionTooLate { object_by: NaiveDate },

    /// The holiday calendar cannot count the working days (节假日日历未覆盖).
    #[error("{0}")]
    Calendar(String),
    /// Personal data could not be sealed or opened (密钥或密文有误).
    #[error("personal data: {0}")]
    PersonalData(#[from] xinfang_platform::pii::PiiError),
    /// Stored JSON that no longer reads (routing rules).
    #[error("stored data: {0}")]
    StoredData(#[from] serde_json::Error),
    /// Numbering wrote fewer rows than it numbered: the batch must not commit.
    #[error("numbered {numbered} petitions of {expected}")]
    NumberingIncomplete { numbered: i64, expected: i64 },
    /// The store failed (kept opaque here: the domain knows no database; `store` converts
    /// the database driver's error into it and `api` recovers it to tell an outage from a bug).
    #[error("database: {0}")]
    Database(Box<dyn std::error::Error + Send + Sync>),
}

impl IntakeError {
    /// The field a validation failure concerns, if it concerns one.
    pub fn field(&self) -> Option<&str> {
        use IntakeError::*;
        match self {
            InvalidField(e) => Some(&e.field),
            Required { field, .. }
            | TooLong { field, .. }
            | InvalidUnitCode { field }
            | ReferencedCaseHidden { field }
            | AccusationToAccused { field } => Some(field),
            PageSizeOutOfRange => Some("limit"),
            SearchTextTooLong => Some("q"),
            VisitNotFound => Some("visit_id"),
            SimpleTrackForRepeat | SimpleTrackTooLate { .. } => Some("simple_track"),
            GuidanceMissing => Some("guidance"),
            DueOnNotAfterToday => Some("due_on"),
            ActDateInFuture | ActDateBeforeStep { .. } => Some("decided_on"),
            PriorIsThisCase | PriorDoesNotBar { .. } => Some("prior_petition_id"),
            LegalChannelOverrideMissing { .. } => Some("override_reason"),
            EarlierIsThisCase | EarlierNotBefore | EarlierMissing => Some("earlier_petition_id"),
            InvalidRepeatDecision => Some("decision"),
            ObjectionTooLate { .. } => Some("reasons"),
            _ => None,
        }
    }
}

impl From<FieldError> for IntakeError {
    fn from(e: FieldError) -> Self {
        IntakeError::InvalidField(e)
    }
}

impl From<xinfang_calendar::CalendarError> for IntakeError {
    fn from(e: xinfang_calendar::CalendarError) -> Self {
        IntakeError::Calendar(e.message_zh())
    }
}
