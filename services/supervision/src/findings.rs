//! Assessment findings (考核发现): the five questions the county judges units by.

use uuid::Uuid;
use xinfang_contracts::{events::FindingRaisedV1, Envelope};
use xinfang_messaging::UnitOfWork;

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
    uow: &mut UnitOfWork<'_>,
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
    .execute(uow.conn())
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
        uow.enqueue(&Envelope::new(&event, case_id, None, None))
            .await?;
        tracing::info!(
            question = question.label_zh(),
            unit,
            subject_ref,
            "finding raised"
        );
    }
    Ok(inserted)
}

impl Question {
    pub fn parse(s: &str) -> Option<Question> {
        Question::ALL.into_iter().find(|q| q.as_str() == s)
    }
}

/// The subject of a finding about a deadline.
pub fn deadline_ref(deadline_id: Uuid) -> String {
    format!("deadline:{deadline_id}")
}

const SWEEP_BATCH: i64 = 500;

/// Look for the findings no event announces: visits not registered in time (应登记不登记), long
/// overdue deadlines with no accountability case after the grace period (应追责不追责), and
/// misconduct reports with no accountability case in time (应查处不查处). Returns how many were
/// raised. `today` is the China date.
#[tracing::instrument(skip(pool, limits))]
pub async fn sweep(
    pool: &sqlx::PgPool,
    limits: &crate::clocks::EngineLimits,
    today: chrono::NaiveDate,
) -> Result<u64, sqlx::Error> {
    use sqlx::Row;
    let mut raised = sweep_batches(
        pool,
        "SELECT v.visit_id, v.unit_code, v.arrived_at, v.register_by FROM visits v
             WHERE v.registered_case IS NULL AND v.unit_code IS NOT NULL AND v.register_by < $1
               AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.question = 'unregistered_visit'
                               AND f.subject_ref = 'visit:' || v.visit_id::text)
             LIMIT $2",
        today,
        None,
        |r| {
            let visit_id: Uuid = r.try_get("visit_id")?;
            let unit: String = r.try_get("unit_code")?;
            let arrived: chrono::DateTime<chrono::Utc> = r.try_get("arrived_at")?;
            let by: chrono::NaiveDate = r.try_get("register_by")?;
            let arrived = xinfang_platform::time::china_date(arrived);
            Ok(Candidate {
                question: Question::UnregisteredVisit,
                case_id: None,
                unit,
                subject_ref: format!("visit:{visit_id}"),
                detail: format!(
                    "{arrived} 来访已登记到访，应于 {by} 前登记为信访事项，至 {today} 仍未登记"
                ),
            })
        },
    )
    .await?;
    raised += sweep_batches(
        pool,
        "SELECT d.id, d.case_id, d.case_number, d.unit_code, d.kind, s.fire_on
             FROM deadline_steps s JOIN deadlines d ON d.id = s.deadline_id
             WHERE s.step = 'long_overdue' AND s.fired_at IS NOT NULL AND s.fire_on + $2::int < $1
               AND NOT EXISTS (SELECT 1 FROM accountability_cases a WHERE a.case_id = d.case_id)
               AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.question = 'unaccounted'
                               AND f.subject_ref = 'deadline:' || d.id::text)
             LIMIT $3",
        today,
        Some(limits.accountability_grace_days as i32),
        |r| {
            let id: Uuid = r.try_get("id")?;
            let case_id: Uuid = r.try_get("case_id")?;
            let case_number: String = r.try_get("case_number")?;
            let unit: String = r.try_get("unit_code")?;
            let kind: String = r.try_get("kind")?;
            let since: chrono::NaiveDate = r.try_get("fire_on")?;
            let label = crate::deadlines::DeadlineKind::parse(&kind)
                .map(|k| k.label_zh())
                .unwrap_or("期限");
            Ok(Candidate {
                question: Question::Unaccounted,
                case_id: Some(case_id),
                unit,
                subject_ref: deadline_ref(id),
                detail: format!(
                    "{case_number} {label}自 {since} 起严重超期，{} 日内未启动追责问责",
                    limits.accountability_grace_days
                ),
            })
        },
    )
    .await?;
    raised += sweep_batches(
        pool,
        "SELECT m.id, m.case_id, m.unit_code, (m.reported_at AT TIME ZONE 'Asia/Shanghai')::date AS reported_on
             FROM misconduct_reports m
             WHERE m.accountability_id IS NULL
               AND (m.reported_at AT TIME ZONE 'Asia/Shanghai')::date + $2::int < $1
               AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.question = 'uninvestigated'
                               AND f.subject_ref = 'misconduct:' || m.id::text)
             LIMIT $3",
        today,
        Some(limits.investigation_days as i32),
        |r| {
            let id: Uuid = r.try_get("id")?;
            let case_id: Option<Uuid> = r.try_get("case_id")?;
            let unit: String = r.try_get("unit_code")?;
            let reported: chrono::NaiveDate = r.try_get("reported_on")?;
            Ok(Candidate {
                question: Question::Uninvestigated,
                case_id,
                unit,
                subject_ref: format!("misconduct:{id}"),
                detail: format!(
                    "{reported} 反映的工作人员违规问题，{} 日内未立案查处",
                    limits.investigation_days
                ),
            })
        },
    )
    .await?;
    Ok(raised)
}

/// A finding a sweep row calls for.
struct Candidate {
    question: Question,
    case_id: Option<Uuid>,
    unit: String,
    subject_ref: String,
    detail: String,
}

/// Run one sweep query in transactions of [`SWEEP_BATCH`] rows until it comes back short, raising
/// the finding each row calls for. The query binds `$1` = `today`, then `days` when given, then the
/// batch size. Returns how many findings were new.
async fn sweep_batches(
    pool: &sqlx::PgPool,
    sql: &'static str,
    today: chrono::NaiveDate,
    days: Option<i32>,
    candidate: impl Fn(&sqlx::postgres::PgRow) -> Result<Candidate, sqlx::Error>,
) -> Result<u64, sqlx::Error> {
    let mut raised = 0;
    loop {
        let mut uow = UnitOfWork::begin_without_waker(pool).await?;
        let mut query = sqlx::query(sql).bind(today);
        if let Some(days) = days {
            query = query.bind(days);
        }
        let rows = query.bind(SWEEP_BATCH).fetch_all(uow.conn()).await?;
        let n = rows.len();
        for r in rows {
            let c = candidate(&r)?;
            if raise(
                &mut uow,
                c.question,
                c.case_id,
                &c.unit,
                &c.subject_ref,
                &c.detail,
            )
            .await?
            {
                raised += 1;
            }
        }
        uow.commit().await?;
        if (n as i64) < SWEEP_BATCH {
            break;
        }
    }
    Ok(raised)
}

/// A finding as listed.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FindingView {
    pub id: Uuid,
    /// `unregistered_visit`, `unaccepted`, `unhandled`, `unaccounted`, `uninvestigated`
    pub question: String,
    /// 应登记不登记 …
    pub question_label: String,
    pub case_id: Option<Uuid>,
    pub unit_code: String,
    /// `deadline:<id>`, `visit:<id>` or `misconduct:<id>`
    pub subject_ref: String,
    pub detail: String,
    pub raised_at: chrono::DateTime<chrono::Utc>,
    pub resolved_at: Option<chrono::DateTime<chrono::Utc>>,
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

/// Newest first, keyset-paginated by id (UUIDv7, time-ordered).
pub async fn list(pool: &sqlx::PgPool, f: &FindingFilter) -> Result<Vec<FindingView>, sqlx::Error> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT id, question, case_id, unit_code, subject_ref, detail, raised_at, resolved_at FROM findings
         WHERE ($1::text IS NULL OR unit_code = $1)
           AND ($2::text IS NULL OR question = $2)
           AND ($3::date IS NULL OR raised_at >= ($3::date::timestamp AT TIME ZONE 'Asia/Shanghai'))
           AND ($4::date IS NULL OR raised_at < (($4::date + 1)::timestamp AT TIME ZONE 'Asia/Shanghai'))
           AND ($5::uuid IS NULL OR id < $5)
         ORDER BY id DESC LIMIT $6",
    )
    .bind(&f.unit)
    .bind(f.question.map(|q| q.as_str()))
    .bind(f.from)
    .bind(f.to)
    .bind(f.after)
    .bind(f.limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let question: String = r.try_get("question")?;
            Ok(FindingView {
                id: r.try_get("id")?,
                question_label: Question::parse(&question)
                    .map(|q| q.label_zh().to_string())
                    .unwrap_or_default(),
                question,
                case_id: r.try_get("case_id")?,
                unit_code: r.try_get("unit_code")?,
                subject_ref: r.try_get("subject_ref")?,
                detail: r.try_get("detail")?,
                raised_at: r.try_get("raised_at")?,
                resolved_at: r.try_get("resolved_at")?,
            })
        })
        .collect()
}
