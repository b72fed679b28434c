//! The five assessment questions (五个应当) and the subjects findings are raised about.

use uuid::Uuid;

/// The five assessment questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Question {
    /// 应登记不登记: a logged visit not registered in time.
    UnregisteredVisit,
    /// 应受理不受理: no acceptance decision within the limit.
    Unaccepted,
    /// 应办理不办理: handling overdue.
    Unhandled,
    /// 应追责不追责: past the long-overdue line with no accountability action.
    Unaccounted,
    /// 应查处不查处: misconduct reported with no investigation record.
    Uninvestigated,
}

impl Question {
    pub const ALL: [Question; 5] = [
        Question::UnregisteredVisit,
        Question::Unaccepted,
        Question::Unhandled,
        Question::Unaccounted,
        Question::Uninvestigated,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Question::UnregisteredVisit => "unregistered_visit",
            Question::Unaccepted => "unaccepted",
            Question::Unhandled => "unhandled",
            Question::Unaccounted => "unaccounted",
            Question::Uninvestigated => "uninvestigated",
        }
    }
    pub fn parse(s: &str) -> Option<Question> {
        Question::ALL.into_iter().find(|q| q.as_str() == s)
    }
    pub fn label_zh(self) -> &'static str {
        match self {
            Question::UnregisteredVisit => "应登记不登记",
            Question::Unaccepted => "应受理不受理",
            Question::Unhandled => "应办理不办理",
            Question::Unaccounted => "应追责不追责",
            Question::Uninvestigated => "应查处不查处",
        }
    }
}

/// The subject of a finding about a deadline (期限).
pub fn deadline_ref(deadline_id: Uuid) -> String {
    format!("deadline:{deadline_id}")
}

/// The subject of a finding about a logged visit (来访).
pub fn visit_ref(visit_id: Uuid) -> String {
    format!("visit:{visit_id}")
}

/// The subject of a finding about a misconduct report (问题反映).
pub fn misconduct_ref(report_id: Uuid) -> String {
    format!("misconduct:{report_id}")
}

/// A finding to raise once per (question, subject).
#[derive(Debug, Clone)]
pub struct NewFinding {
    pub question: Question,
    pub case_id: Option<Uuid>,
    pub unit: String,
    pub subject_ref: String,
    pub detail: String,
}

impl NewFinding {
    /// 应登记不登记: a visit logged on `arrived` and still unregistered on `today`, past `register_by`.
    pub fn unregistered_visit(
        visit_id: Uuid,
        unit: String,
        arrived: chrono::NaiveDate,
        register_by: chrono::NaiveDate,
        today: chrono::NaiveDate,
    ) -> NewFinding {
        NewFinding {
            question: Question::UnregisteredVisit,
            case_id: None,
            unit,
            subject_ref: visit_ref(visit_id),
            detail: format!(
                "{arrived} 来访已登记到访，应于 {register_by} 前登记为信访事项，至 {today} 仍未登记"
            ),
        }
    }

    /// 应追责不追责: a deadline long overdue since `since` with no accountability case within the
    /// grace period.
    pub fn unaccounted(
        deadline_id: Uuid,
        case_id: Uuid,
        case_number: &str,
        unit: String,
        kind_label: &str,
        since: chrono::NaiveDate,
        grace_days: u32,
    ) -> NewFinding {
        NewFinding {
            question: Question::Unaccounted,
            case_id: Some(case_id),
            unit,
            subject_ref: deadline_ref(deadline_id),
            detail: format!(
                "{case_number} {kind_label}自 {since} 起严重超期，{grace_days} 日内未启动追责问责"
            ),
        }
    }

    /// 应查处不查处: misconduct reported on `reported` with no accountability case in time.
    pub fn uninvestigated(
        report_id: Uuid,
        case_id: Option<Uuid>,
        unit: String,
        reported: chrono::NaiveDate,
        investigation_days: u32,
    ) -> NewFinding {
        NewFinding {
            question: Question::Uninvestigated,
            case_id,
            unit,
            subject_ref: misconduct_ref(report_id),
            detail: format!(
                "{reported} 反映的工作人员违规问题，{investigation_days} 日内未立案查处"
            ),
        }
    }
}

/// Filters of the findings list; `after` is the keyset cursor (the last id of the previous page).
#[derive(Debug, Clone, Default)]
pub struct FindingFilter {
    pub unit: Option<String>,
    pub question: Option<Question>,
    pub from: Option<chrono::NaiveDate>,
    pub to: Option<chrono::NaiveDate>,
    pub after: Option<Uuid>,
    pub limit: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_round_trip() {
        for q in Question::ALL {
            assert_eq!(Question::parse(q.as_str()), Some(q));
            assert!(q.label_zh().starts_with('应'));
        }
        assert_eq!(Question::parse("nope"), None);
        assert_eq!(
            deadline_ref(Uuid::nil()),
            format!("deadline:{}", Uuid::nil())
        );
    }
}
