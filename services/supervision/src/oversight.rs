//! Common pieces of the oversight features (督查督办, 监督追责, 维护秩序, 统计): settings, the clock,
//! validation, keyset pages, idempotent POSTs, working-day due dates and case lookup.

use actix_web::{http::StatusCode, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::{postgres::PgRow, PgPool, Row};
use utoipa::IntoParams;
use uuid::Uuid;
use xinfang_calendar::{compute_due, CalendarError, DeadlineSpec, HolidayCalendar, PeriodUnit};
use xinfang_platform::{Actor, ApiError, Permission};

/// Settings of the oversight features, under `supervision.limits.oversight`; every value has a
/// default so that existing configurations keep working.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OversightSettings {
    /// Working days (工作日) a unit has to answer an order in writing, per kind.
    #[serde(default)]
    pub order_response_days: OrderResponseDays,
    /// Working days a unit has to give written feedback on a recommendation (第四十条第四款).
    #[serde(default = "default_feedback_days")]
    pub recommendation_feedback_days: u32,
    /// How often the escalation worker looks for unanswered orders.
    #[serde(default = "default_escalation_interval")]
    pub escalation_interval_secs: u64,
    /// Hot-spot early warning (源头预防预警).
    #[serde(default)]
    pub hotspot: HotspotSettings,
}

impl Default for OversightSettings {
    fn default() -> Self {
        OversightSettings {
            order_response_days: OrderResponseDays::default(),
            recommendation_feedback_days: default_feedback_days(),
            escalation_interval_secs: default_escalation_interval(),
            hotspot: HotspotSettings::default(),
        }
    }
}

fn default_feedback_days() -> u32 {
    20
}
fn default_escalation_interval() -> u64 {
    60
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct OrderResponseDays {
    #[serde(default = "d5")]
    pub reminder: u32,
    #[serde(default = "d10")]
    pub supervision: u32,
    #[serde(default = "d5")]
    pub listed: u32,
    #[serde(default = "d10")]
    pub interview: u32,
    #[serde(default = "d10")]
    pub circular: u32,
}

fn d5() -> u32 {
    5
}
fn d10() -> u32 {
    10
}

impl Default for OrderResponseDays {
    fn default() -> Self {
        OrderResponseDays {
            reminder: 5,
            supervision: 10,
            listed: 5,
            interview: 10,
            circular: 10,
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct HotspotSettings {
    /// The period's volume must reach this multiple of the mean of the baseline periods.
    #[serde(default = "default_ratio")]
    pub ratio: f64,
    /// …and at least this many cases.
    #[serde(default = "default_min_count")]
    pub min_count: i64,
    /// Number of preceding periods of the same length that form the baseline.
    #[serde(default = "default_baseline_periods")]
    pub baseline_periods: i64,
}

fn default_ratio() -> f64 {
    2.0
}
fn default_min_count() -> i64 {
    5
}
fn default_baseline_periods() -> i64 {
    3
}

impl Default for HotspotSettings {
    fn default() -> Self {
        HotspotSettings {
            ratio: default_ratio(),
            min_count: default_min_count(),
            baseline_periods: default_baseline_periods(),
        }
    }
}

/// The caller needs one of these rights.
pub fn require_any(actor: &Actor, rights: &[Permission]) -> Result<(), ApiError> {
    if rights.iter().any(|p| actor.has(*p)) {
        Ok(())
    } else {
        actor.require(rights[0])
    }
}

/// Failures collected while validating a request: (field, Chinese message).
#[derive(Debug, Default)]
pub struct Problems(pub Vec<(String, String)>);

impl Problems {
    pub fn push(&mut self, field: &str, message: impl Into<String>) {
        self.0.push((field.to_string(), message.into()));
    }
    /// A required text of 1..=max characters, trimmed.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() {
            self.push(field, "不能为空");
        } else if v.chars().count() > max {
            self.push(field, format!("不能超过 {max} 个字符"));
        }
        v.to_string()
    }
    pub fn finish(self) -> Result<(), ApiError> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation_many(self.0))
        }
    }
}

/// Keyset page (`after` = last id of the previous page; ids are time-ordered UUIDv7).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 上一页最后一条的 id
    pub after: Option<Uuid>,
    /// 每页条数 1–200, 默认 50
    pub limit: Option<i64>,
}

impl PageQuery {
    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(50).clamp(1, 200)
    }
    /// The lower bound of ids (exclusive): nil when starting.
    pub fn after(&self) -> Uuid {
        self.after.unwrap_or(Uuid::nil())
    }
}

/// A page of items and the cursor of the next page.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `after` to get the next page; null on the last page.
    pub next_after: Option<Uuid>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, limit: i64, id: impl Fn(&T) -> Uuid) -> Page<T> {
        let next_after = if items.len() as i64 == limit {
            items.last().map(id)
        } else {
            None
        };
        Page { items, next_after }
    }
}

/// Answer 200 with a keyset page: `rows` (fetched with `LIMIT page.limit()`) mapped by `view`,
/// the next cursor taken from each view's `id`.
pub fn page_response<T: Serialize>(
    rows: &[PgRow],
    page: &PageQuery,
    view: impl FnMut(&PgRow) -> Result<T, sqlx::Error>,
    id: impl Fn(&T) -> Uuid,
) -> Result<HttpResponse, ApiError> {
    let items = rows.iter().map(view).collect::<Result<Vec<_>, _>>()?;
    Ok(HttpResponse::Ok().json(Page::new(items, page.limit(), id)))
}

/// The unit a caller's lists are limited to: none for county-wide staff (全县), else its own.
pub fn scoped_unit(actor: &Actor) -> Option<String> {
    (!actor.county_wide()).then(|| actor.unit.clone())
}

/// A record the caller may see by its `unit`, else 404 with `message`: another unit's record
/// answers like a missing one, so that its existence does not leak.
pub fn visible_to<T>(
    actor: &Actor,
    record: Option<T>,
    unit: impl Fn(&T) -> &str,
    message: &str,
) -> Result<T, ApiError> {
    match record {
        Some(r) if actor.can_see_unit(unit(&r)) => Ok(r),
        _ => Err(ApiError::not_found(message)),
    }
}

/// `start` + `days` working days by the shared calendar, with its explanation. A date outside the
/// loaded calendars is a 422, never a guess.
pub fn working_due(
    calendar: &HolidayCalendar,
    start: NaiveDate,
    days: u32,
) -> Result<(NaiveDate, Vec<String>), CalendarError> {
    let d = compute_due(
        calendar,
        &DeadlineSpec::new(start, days, PeriodUnit::WorkingDays),
    )?;
    Ok((d.due, d.explanation))
}

pub fn calendar_error(field: &str, e: CalendarError) -> ApiError {
    match e {
        e @ CalendarError::OutsideCalendar { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "outside_calendar",
            format!("{}；请在 {field} 中直接指定日期", e.message_zh()),
        )
        .with_details(serde_json::json!({ "field": field })),
        e => ApiError::validation(field, e.message_zh()),
    }
}

/// A case as the read model knows it.
#[derive(Debug, Clone)]
pub struct CaseRef {
    pub case_id: Uuid,
    pub case_number: String,
    pub unit_code: String,
}

/// The case, if it exists and the caller may see it (county-wide, or a unit it was handed to);
/// otherwise 404 like a case that does not exist.
pub async fn visible_case(
    pool: &PgPool,
    actor: &Actor,
    case_id: Uuid,
) -> Result<CaseRef, ApiError> {
    let row = sqlx::query(
        "SELECT f.case_number, f.unit_code,
                EXISTS (SELECT 1 FROM case_units u WHERE u.case_id = f.case_id AND u.unit_code = $2) AS handed
         FROM case_facts f WHERE f.case_id = $1",
    )
    .bind(case_id)
    .bind(&actor.unit)
    .fetch_optional(pool)
    .await?;
    let Some(r) = row else {
        return Err(ApiError::not_found("信访件不存在或无权查看"));
    };
    let unit_code: String = r.try_get("unit_code")?;
    let handed: bool = r.try_get("handed")?;
    if !(actor.county_wide() || handed || actor.unit == unit_code) {
        return Err(ApiError::not_found("信访件不存在或无权查看"));
    }
    Ok(CaseRef {
        case_id,
        case_number: r.try_get("case_number")?,
        unit_code,
    })
}

/// HTML escaping for generated documents.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_collect_field_errors() {
        let mut p = Problems::default();
        assert_eq!(p.text("summary", "  ok ", 10), "ok");
        p.text("content", "   ", 10);
        p.text("note", "一二三四五六", 5);
        let e = p.finish().unwrap_err();
        assert_eq!(e.status.as_u16(), 422);
        assert!(e.body.message.contains("content"));
        assert!(e.body.message.contains("note"));
    }

    #[test]
    fn page_limits_are_clamped() {
        let q = PageQuery {
            after: None,
            limit: Some(10_000),
        };
        assert_eq!(q.limit(), 200);
        assert_eq!(q.after(), Uuid::nil());
    }

    #[test]
    fn the_shipped_configuration_carries_the_oversight_settings() {
        let s = crate::configuration::Settings::load().expect("base.yaml loads");
        let o = &s.supervision.limits.oversight;
        assert_eq!(o.order_response_days.supervision, 10);
        assert_eq!(o.recommendation_feedback_days, 20);
        assert_eq!(o.hotspot.baseline_periods, 3);
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(html_escape("<a&b>"), "&lt;a&amp;b&gt;");
    }
}
