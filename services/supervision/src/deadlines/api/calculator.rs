//! The public deadline calculator (期限计算器): anyone can check the arithmetic of the law.

use actix_web::{http::StatusCode, web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use xinfang_calendar::{compute_due, CalendarError, DeadlineSpec, PeriodUnit};
use xinfang_platform::{error::ErrorBody, ApiError};

use crate::deadlines::domain::calendar::{current, SharedCalendar};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DueQuery {
    /// 起算日 (the day of receipt, delivery, …), YYYY-MM-DD; not itself counted.
    pub start: NaiveDate,
    /// 期间, 1–3650
    #[param(minimum = 1, maximum = 3650)]
    pub days: u32,
    /// `calendar` (日) or `working` (工作日); default `calendar`
    pub unit: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DueAnswer {
    pub start: NaiveDate,
    pub days: u32,
    pub unit: String,
    /// 届满日
    pub due: NaiveDate,
    /// 计算过程
    pub explanation: Vec<String>,
    /// 暂定: a year the period touches has no published holiday arrangement yet; the date is
    /// computed from the statutory holidays and weekends (the explanation says so).
    pub provisional: bool,
}

/// Compute a statutory due date (计算法定期限届满日). Public: no token needed.
#[utoipa::path(
    get, path = "/api/v1/calendar/due", tag = "期限",
    params(DueQuery),
    responses(
        (status = 200, body = DueAnswer),
        (status = 400, body = ErrorBody, description = "参数有误"),
        (status = 422, body = ErrorBody, description = "日期超出已加载的节假日日历"),
    )
)]
pub async fn due(
    query: xinfang_platform::http::Query<DueQuery>,
    calendar: web::Data<SharedCalendar>,
) -> Result<HttpResponse, ApiError> {
    let q = query.into_inner();
    let unit = match q.unit.as_deref() {
        None => PeriodUnit::CalendarDays,
        Some(u) => u.parse::<PeriodUnit>().map_err(|_| {
            ApiError::bad_request(
                "invalid_unit",
                "unit 只能是 calendar（日）或 working（工作日）",
            )
        })?,
    };
    if q.days == 0 || q.days > 3650 {
        return Err(ApiError::bad_request(
            "invalid_days",
            "days 应在 1 至 3650 之间",
        ));
    }
    let cal = current(calendar.get_ref());
    let spec = DeadlineSpec::new(q.start, q.days, unit);
    match compute_due(&cal, &spec) {
        Ok(d) => Ok(HttpResponse::Ok().json(DueAnswer {
            start: q.start,
            days: q.days,
            unit: unit.as_str().to_string(),
            due: d.due,
            explanation: d.explanation,
            provisional: d.provisional,
        })),
        Err(e @ CalendarError::OutsideCalendar { .. }) => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "outside_calendar",
            e.message_zh(),
        )
        .with_details(serde_json::json!({ "loaded_years": cal.years() }))),
        Err(e) => Err(ApiError::bad_request("invalid_period", e.message_zh())),
    }
}
