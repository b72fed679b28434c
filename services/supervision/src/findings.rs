//! Assessment findings (考核发现): the five questions the county judges units by.

use uuid::Uuid;
use xinfang_contracts::{events::FindingRaisedV1, Envelope};
use xinfang_messaging::Outbox;

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

/// Raise a finding once per (question, subject) inside the caller's transaction, and publish
/// `supervision.finding.raised.v1`. Returns whether it was new.
pub async fn raise(
    conn: &mut sqlx::PgConnection,
    question: Question,
    case_id: Option<Uuid>,
    unit: &str,
    subject_ref: &str,
    detail: &str,
) -> Result<bool, sqlx::Error> {
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "INSERT INTO findings (id, question, case_id, unit_code, subject_ref, detail) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (question, subject_ref) DO NOTHING",
    )
    .bind(id)
    .bind(question.as_str())
    .bind(case_id)
    .bind(unit)
    .bind(subject_ref)
    .bind(detail)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if inserted {
        let event = FindingRaisedV1 {
            finding_id: id,
            petition_id: case_id,
            unit: unit.to_string(),
            question: question.as_str().to_string(),
            detail: detail.to_string(),
        };
        Outbox::enqueue(conn, &Envelope::new(&event, case_id, None, None)).await?;
        tracing::info!(question = question.label_zh(), unit, subject_ref, "finding raised");
    }
    Ok(inserted)
}
