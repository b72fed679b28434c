//! Deadlines (法定期限): created from events, computed by the shared calendar, read over HTTP.

use std::sync::{Arc, RwLock};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool, Row};
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_calendar::{compute_due, CalendarError, DeadlineSpec, HolidayCalendar, PeriodUnit};

/// The loaded holiday calendars, replaceable at run time when a new year is published.
pub type SharedCalendar = Arc<RwLock<Arc<HolidayCalendar>>>;

pub fn current(calendar: &SharedCalendar) -> Arc<HolidayCalendar> {
    calendar.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Kinds of deadline this service tracks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadlineKind {
    /// 受理期限: register and transfer/assign within 15 日 of receipt (art 22).
    Acceptance,
}

impl DeadlineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::Acceptance => "acceptance",
        }
    }
    pub fn basis(self) -> &'static str {
        match self {
            DeadlineKind::Acceptance => {
                "《信访工作条例》第二十二条：自收到信访事项之日起15日内登记并转送、交办或告知"
            }
        }
    }
}

/// A deadline as stored and shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeadlineView {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    /// e.g. `acceptance`
    pub kind: String,
    /// 法律依据
    pub basis: String,
    /// 责任单位
    pub unit_code: String,
    pub start_date: NaiveDate,
    pub period: i32,
    /// `calendar_days` or `working_days`
    pub period_unit: String,
    /// 届满日; null while the holiday calendar does not cover the dates needed.
    pub due_date: Option<NaiveDate>,
    /// How the due date was computed (计算过程).
    pub explanation: Vec<String>,
    pub status: String,
}

/// Compute `spec`; a date outside the loaded calendars leaves the due date open with the reason.
pub fn project(
    calendar: &HolidayCalendar,
    spec: &DeadlineSpec,
) -> (Option<NaiveDate>, Vec<String>) {
    match compute_due(calendar, spec) {
        Ok(d) => (Some(d.due), d.explanation),
        Err(e @ CalendarError::OutsideCalendar { .. }) => (
            None,
            vec![e.message_zh(), "待发布相应年度节假日安排后自动计算".into()],
        ),
        Err(e) => (None, vec![e.message_zh()]),
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn open_deadline(
    conn: &mut PgConnection,
    calendar: &HolidayCalendar,
    case_id: Uuid,
    case_number: &str,
    kind: DeadlineKind,
    unit_code: &str,
    spec: &DeadlineSpec,
    source_event_id: Uuid,
) -> Result<(), sqlx::Error> {
    let (due, explanation) = project(calendar, spec);
    sqlx::query(
        "INSERT INTO deadlines (id, case_id, case_number, kind, basis, unit_code, start_date, period, period_unit,
                                stops, extensions, due_date, explanation, status, source_event_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'open', $14)
         ON CONFLICT (case_id, kind) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(case_id)
    .bind(case_number)
    .bind(kind.as_str())
    .bind(kind.basis())
    .bind(unit_code)
    .bind(spec.start)
    .bind(spec.period as i32)
    .bind(spec.unit.as_str())
    .bind(serde_json::to_value(&spec.stops).unwrap_or_default())
    .bind(serde_json::to_value(&spec.extensions).unwrap_or_default())
    .bind(due)
    .bind(serde_json::json!(explanation))
    .bind(source_event_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub fn acceptance_spec(received_on: NaiveDate, days: u32) -> DeadlineSpec {
    DeadlineSpec::new(received_on, days, PeriodUnit::CalendarDays)
}

pub async fn for_case(pool: &PgPool, case_id: Uuid) -> Result<Vec<DeadlineView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, case_id, case_number, kind, basis, unit_code, start_date, period, period_unit, due_date, explanation, status
         FROM deadlines WHERE case_id = $1 ORDER BY created_at",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let explanation: serde_json::Value = r.try_get("explanation")?;
            Ok(DeadlineView {
                id: r.try_get("id")?,
                case_id: r.try_get("case_id")?,
                case_number: r.try_get("case_number")?,
                kind: r.try_get("kind")?,
                basis: r.try_get("basis")?,
                unit_code: r.try_get("unit_code")?,
                start_date: r.try_get("start_date")?,
                period: r.try_get("period")?,
                period_unit: r.try_get("period_unit")?,
                due_date: r.try_get("due_date")?,
                explanation: serde_json::from_value(explanation).unwrap_or_default(),
                status: r.try_get("status")?,
            })
        })
        .collect()
}
