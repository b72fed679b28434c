//! Deadlines (法定期限): created from events, computed by the shared calendar, read over HTTP.
//!
//! A deadline is stored as what the law says (start, period, unit, clock stops, approved
//! extensions, or a date fixed by another body) plus its projection (`due_date`, `explanation`),
//! so that a newly published holiday calendar can re-project it. The clocks that open and close
//! deadlines are in [`crate::clocks`], their timers in [`crate::timers`].

use std::sync::{Arc, RwLock};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{postgres::PgRow, PgConnection, PgPool, Row};
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_calendar::{
    compute_due, CalendarError, ClockStop, DeadlineSpec, Extension, HolidayCalendar, PeriodUnit,
};

use crate::findings::Question;

/// The loaded holiday calendars, replaceable at run time when a new year is published.
pub type SharedCalendar = Arc<RwLock<Arc<HolidayCalendar>>>;

pub fn current(calendar: &SharedCalendar) -> Arc<HolidayCalendar> {
    calendar.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Replace the loaded calendars (a year was published).
pub fn replace(calendar: &SharedCalendar, next: HolidayCalendar) {
    *calendar.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(next);
}

/// Kinds of deadline (期限种类), one per row of the domain brief's table of statutory clocks.
/// Adding a clock is local: a variant here, its limit in [`crate::clocks::period_of`], and the
/// events that open and close it in [`crate::clocks::on_event`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeadlineKind {
    /// 受理期限: register and transfer/assign within 15 日 of receipt (art 22).
    Acceptance,
    /// 上级交办期限: a matter assigned in from above, due on the date the assigning body set.
    UpstreamAssignment,
    /// 受理告知期限: the receiving organ's acceptance notice, 15 日 (art 23 ¶3).
    ReceiptNotice,
    /// 异议期限: the receiving organ may object within 5 个工作日 (art 23 ¶3).
    ObjectionWindow,
    /// 交办期限: result and 办结报告 by the date the assigning body set (art 22).
    Assignment,
    /// 办理期限: 信访处理意见书 within 60 日 of 受理, one extension ≤ 30 日 (art 34).
    Handling,
    /// 简易办理受理期限: accept within 3 个工作日.
    SimpleAcceptance,
    /// 简易办理答复期限: opinion within 10 个工作日.
    SimpleOpinion,
}

impl DeadlineKind {
    pub const ALL: [DeadlineKind; 8] = [
        DeadlineKind::Acceptance,
        DeadlineKind::UpstreamAssignment,
        DeadlineKind::ReceiptNotice,
        DeadlineKind::ObjectionWindow,
        DeadlineKind::Assignment,
        DeadlineKind::Handling,
        DeadlineKind::SimpleAcceptance,
        DeadlineKind::SimpleOpinion,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DeadlineKind::Acceptance => "acceptance",
            DeadlineKind::UpstreamAssignment => "upstream_assignment",
            DeadlineKind::ReceiptNotice => "receipt_notice",
            DeadlineKind::ObjectionWindow => "objection_window",
            DeadlineKind::Assignment => "assignment",
            DeadlineKind::Handling => "handling",
            DeadlineKind::SimpleAcceptance => "simple_acceptance",
            DeadlineKind::SimpleOpinion => "simple_opinion",
        }
    }

    pub fn parse(s: &str) -> Option<DeadlineKind> {
        DeadlineKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            DeadlineKind::Acceptance => "受理期限",
            DeadlineKind::UpstreamAssignment => "上级交办期限",
            DeadlineKind::ReceiptNotice => "受理告知期限",
            DeadlineKind::ObjectionWindow => "异议期限",
            DeadlineKind::Assignment => "交办期限",
            DeadlineKind::Handling => "办理期限",
            DeadlineKind::SimpleAcceptance => "简易办理受理期限",
            DeadlineKind::SimpleOpinion => "简易办理答复期限",
        }
    }

    pub fn basis(self) -> &'static str {
        match self {
            DeadlineKind::Acceptance => {
                "《信访工作条例》第二十二条：自收到信访事项之日起15日内登记并转送、交办或告知"
            }
            DeadlineKind::UpstreamAssignment => {
                "《信访工作条例》第二十二条：上级机关交办的信访事项，在交办机关确定的期限内办结并报告结果"
            }
            DeadlineKind::ReceiptNotice => {
                "《信访工作条例》第二十三条第三款：收到转送、交办的信访事项，属于本机关职权范围的，自收到之日起15日内书面告知信访人接收情况"
            }
            DeadlineKind::ObjectionWindow => {
                "《信访工作条例》第二十三条第三款：不属于本机关职权范围的，自收到之日起5个工作日内提出异议并详细说明理由"
            }
            DeadlineKind::Assignment => {
                "《信访工作条例》第二十二条：交办的信访事项，在交办机关确定的期限内办结并报告结果"
            }
            DeadlineKind::Handling => {
                "《信访工作条例》第三十四条：自受理之日起60日内办结；情况复杂的，经本机关负责人批准可适当延长，延长期限不得超过30日"
            }
            DeadlineKind::SimpleAcceptance => {
                "国家信访局《关于进一步加强初信初访办理工作的办法》简易办理：自收到之日起3个工作日内受理"
            }
            DeadlineKind::SimpleOpinion => {
                "国家信访局简易办理规定：自受理之日起10个工作日内作出处理意见"
            }
        }
    }

    /// The assessment question an overdue deadline of this kind answers, if any.
    pub fn overdue_finding(self) -> Option<Question> {
        match self {
            DeadlineKind::Acceptance
            | DeadlineKind::ReceiptNotice
            | DeadlineKind::SimpleAcceptance => Some(Question::Unaccepted),
            DeadlineKind::UpstreamAssignment
            | DeadlineKind::Assignment
            | DeadlineKind::Handling
            | DeadlineKind::SimpleOpinion => Some(Question::Unhandled),
            // A right of the receiving organ, not a duty: its lapse is no finding.
            DeadlineKind::ObjectionWindow => None,
        }
    }
}

/// One timer step as shown (期限提醒).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StepView {
    /// `warning` (临期预警), `due` (到期), `overdue` (超期), `long_overdue` (严重超期)
    pub step: String,
    /// The day it fires (or fired); null while the calendar does not cover it.
    pub fire_on: Option<NaiveDate>,
    /// `pending`, `fired` or `cancelled`
    pub state: String,
    pub fired_at: Option<DateTime<Utc>>,
}

/// A deadline as stored and shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeadlineView {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    /// e.g. `acceptance`, `handling`
    pub kind: String,
    /// 期限名称
    pub kind_label: String,
    /// 法律依据
    pub basis: String,
    /// 责任单位
    pub unit_code: String,
    pub start_date: NaiveDate,
    pub period: i32,
    /// `calendar_days`, `working_days` or `fixed_date`
    pub period_unit: String,
    /// 中止计时
    #[schema(value_type = Vec<Object>)]
    pub stops: Vec<ClockStop>,
    /// 延期
    #[schema(value_type = Vec<Object>)]
    pub extensions: Vec<Extension>,
    /// 届满日; null while the holiday calendar does not cover the dates needed.
    pub due_date: Option<NaiveDate>,
    /// How the due date was computed (计算过程).
    pub explanation: Vec<String>,
    /// `open`, `met`, `cancelled` or `paused`
    pub status: String,
    /// First stopped day of a clock stop still running (status `paused`).
    pub paused_since: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    /// Met after the due date (逾期办结).
    pub closed_late: Option<bool>,
    /// Timer steps (期限提醒).
    pub steps: Vec<StepView>,
}

/// A stored deadline, enough to re-project it.
#[derive(Debug, Clone)]
pub struct StoredDeadline {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    pub kind: DeadlineKind,
    pub unit_code: String,
    pub start_date: NaiveDate,
    pub period: i32,
    pub period_unit: String,
    pub fixed_due: Option<NaiveDate>,
    pub stops: Vec<ClockStop>,
    pub extensions: Vec<Extension>,
    pub due_date: Option<NaiveDate>,
    pub explanation: Vec<String>,
    pub status: String,
    pub paused_since: Option<NaiveDate>,
    pub paused_reason: Option<String>,
}

/// A JSON column (explanation, stops, extensions) read leniently: a value that does not decode
/// reads as empty.
pub fn json_column<T: serde::de::DeserializeOwned + Default>(
    r: &PgRow,
    column: &str,
) -> Result<T, sqlx::Error> {
    let value: serde_json::Value = r.try_get(column)?;
    Ok(serde_json::from_value(value).unwrap_or_default())
}

/// Columns read into a [`StoredDeadline`].
pub const STORED_COLUMNS: &str =
    "id, case_id, case_number, kind, unit_code, start_date, period, period_unit, fixed_due, \
     stops, extensions, due_date, explanation, status, paused_since, paused_reason";

impl StoredDeadline {
    pub fn from_row(r: &PgRow) -> Result<StoredDeadline, sqlx::Error> {
        let kind: String = r.try_get("kind")?;
        Ok(StoredDeadline {
            id: r.try_get("id")?,
            case_id: r.try_get("case_id")?,
            case_number: r.try_get("case_number")?,
            kind: DeadlineKind::parse(&kind).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown deadline kind {kind}").into())
            })?,
            unit_code: r.try_get("unit_code")?,
            start_date: r.try_get("start_date")?,
            period: r.try_get("period")?,
            period_unit: r.try_get("period_unit")?,
            fixed_due: r.try_get("fixed_due")?,
            stops: json_column(r, "stops")?,
            extensions: json_column(r, "extensions")?,
            due_date: r.try_get("due_date")?,
            explanation: json_column(r, "explanation")?,
            status: r.try_get("status")?,
            paused_since: r.try_get("paused_since")?,
            paused_reason: r.try_get("paused_reason")?,
        })
    }

    /// The calendar computation this deadline stands for (None for a date fixed by another body).
    pub fn spec(&self) -> Option<DeadlineSpec> {
        if self.fixed_due.is_some() {
            return None;
        }
        let unit = self
            .period_unit
            .parse::<PeriodUnit>()
            .unwrap_or(PeriodUnit::CalendarDays);
        Some(DeadlineSpec {
            start: self.start_date,
            period: self.period.max(0) as u32,
            unit,
            stops: self.stops.clone(),
            extensions: self.extensions.clone(),
        })
    }

    /// Compute the due date and its explanation with the given calendar.
    pub fn project(&self, calendar: &HolidayCalendar) -> (Option<NaiveDate>, Vec<String>) {
        match (self.fixed_due, self.spec()) {
            (Some(fixed), _) => (Some(fixed), fixed_explanation(self.start_date, fixed)),
            (None, Some(spec)) => project(calendar, &spec),
            (None, None) => (None, vec![]),
        }
    }
}

/// The explanation of a date fixed by another body (交办机关确定的期限).
pub fn fixed_explanation(start: NaiveDate, fixed: NaiveDate) -> Vec<String> {
    vec![
        format!("{start} 交办（或转入），交办机关确定的期限为 {fixed}"),
        format!("届满日：{fixed}（以交办机关确定的日期为准，不另行顺延）"),
    ]
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

/// Load one deadline, locked for update.
pub async fn load_for_update(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<StoredDeadline>, sqlx::Error> {
    let sql = format!("SELECT {STORED_COLUMNS} FROM deadlines WHERE id = $1 FOR UPDATE");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(StoredDeadline::from_row).transpose()
}

pub async fn for_case(pool: &PgPool, case_id: Uuid) -> Result<Vec<DeadlineView>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, case_id, case_number, kind, basis, unit_code, start_date, period, period_unit, stops, extensions,
                due_date, explanation, status, paused_since, closed_on, closed_late
         FROM deadlines WHERE case_id = $1 ORDER BY created_at, id",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    let steps = sqlx::query(
        "SELECT s.deadline_id, s.step, s.fire_on, s.fired_at, s.cancelled_at FROM deadline_steps s
         JOIN deadlines d ON d.id = s.deadline_id WHERE d.case_id = $1 ORDER BY s.deadline_id, s.seq",
    )
    .bind(case_id)
    .fetch_all(pool)
    .await?;
    let mut views = rows
        .into_iter()
        .map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(DeadlineView {
                id: r.try_get("id")?,
                case_id: r.try_get("case_id")?,
                case_number: r.try_get("case_number")?,
                kind_label: DeadlineKind::parse(&kind)
                    .map(|k| k.label_zh().to_string())
                    .unwrap_or_default(),
                kind,
                basis: r.try_get("basis")?,
                unit_code: r.try_get("unit_code")?,
                start_date: r.try_get("start_date")?,
                period: r.try_get("period")?,
                period_unit: r.try_get("period_unit")?,
                stops: json_column(&r, "stops")?,
                extensions: json_column(&r, "extensions")?,
                due_date: r.try_get("due_date")?,
                explanation: json_column(&r, "explanation")?,
                status: r.try_get("status")?,
                paused_since: r.try_get("paused_since")?,
                closed_on: r.try_get("closed_on")?,
                closed_late: r.try_get("closed_late")?,
                steps: Vec::new(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    for s in steps {
        let deadline_id: Uuid = s.try_get("deadline_id")?;
        let fired_at: Option<DateTime<Utc>> = s.try_get("fired_at")?;
        let cancelled_at: Option<DateTime<Utc>> = s.try_get("cancelled_at")?;
        let state = match (fired_at, cancelled_at) {
            (Some(_), _) => "fired",
            (None, Some(_)) => "cancelled",
            (None, None) => "pending",
        };
        if let Some(v) = views.iter_mut().find(|v| v.id == deadline_id) {
            v.steps.push(StepView {
                step: s.try_get("step")?,
                fire_on: s.try_get("fire_on")?,
                state: state.to_string(),
                fired_at,
            });
        }
    }
    Ok(views)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_has_a_basis() {
        for k in DeadlineKind::ALL {
            assert_eq!(DeadlineKind::parse(k.as_str()), Some(k));
            assert!(k.basis().contains('《') || k.basis().contains("国家信访局"));
            assert!(!k.label_zh().is_empty());
        }
        assert_eq!(DeadlineKind::parse("nope"), None);
    }

    #[test]
    fn a_fixed_date_is_not_rolled() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let stored = StoredDeadline {
            id: Uuid::nil(),
            case_id: Uuid::nil(),
            case_number: "x".into(),
            kind: DeadlineKind::Assignment,
            unit_code: "u".into(),
            start_date: d("2025-09-01"),
            period: 0,
            period_unit: "fixed_date".into(),
            fixed_due: Some(d("2025-10-04")),
            stops: vec![],
            extensions: vec![],
            due_date: None,
            explanation: vec![],
            status: "open".into(),
            paused_since: None,
            paused_reason: None,
        };
        let (due, why) = stored.project(&HolidayCalendar::new());
        assert_eq!(due, Some(d("2025-10-04")));
        assert!(why[0].contains("交办"));
    }
}
