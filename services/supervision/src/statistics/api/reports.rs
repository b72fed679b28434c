//! Reports over HTTP (年度报告, 月度通报), as Markdown or HTML.

use actix_web::{web, HttpResponse};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::IntoParams;
use xinfang_platform::directory::Directory;
use xinfang_platform::time::today_in_china;
use xinfang_platform::{error::ErrorBody, Actor, ApiError, Permission};

use crate::statistics::{
    api::scope::scope_of,
    domain::reports::{self, Document},
    store::queries,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    /// md (default) | html
    pub format: Option<String>,
}

fn render(doc: &Document, format: Option<&str>) -> Result<HttpResponse, ApiError> {
    match format.unwrap_or("md") {
        "md" => Ok(HttpResponse::Ok()
            .content_type("text/markdown; charset=utf-8")
            .body(reports::to_markdown(doc))),
        "html" => Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(reports::to_html(doc))),
        _ => Err(ApiError::validation("format", "只能是 md 或 html")),
    }
}

/// The annual report (信访情况年度报告, 第四十一条) for a year, scoped to the caller.
#[utoipa::path(
    get, path = "/api/v1/reports/annual/{year}", tag = "报告",
    params(("year" = i32, Path), FormatQuery),
    responses((status = 200, content_type = "text/markdown", body = String), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn annual(
    actor: Actor,
    path: web::Path<i32>,
    query: xinfang_platform::http::Query<FormatQuery>,
    pool: web::Data<PgPool>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadStatistics)?;
    let year = path.into_inner();
    let (Some(from), Some(to)) = (
        NaiveDate::from_ymd_opt(year, 1, 1),
        NaiveDate::from_ymd_opt(year, 12, 31),
    ) else {
        return Err(ApiError::validation("year", "年份无效"));
    };
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::validation("year", "年份应在 2000 至 2100 之间"));
    }
    let mut f = queries::figures(&pool, &scope_of(&actor), from, to, today_in_china()).await?;
    f.name_units(&directory);
    render(&reports::annual(year, &f), query.format.as_deref())
}

/// The monthly 通报 for `yyyy-mm`, scoped to the caller.
#[utoipa::path(
    get, path = "/api/v1/reports/monthly/{month}", tag = "报告",
    params(("month" = String, Path, description = "yyyy-mm"), FormatQuery),
    responses((status = 200, content_type = "text/markdown", body = String), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn monthly(
    actor: Actor,
    path: web::Path<String>,
    query: xinfang_platform::http::Query<FormatQuery>,
    pool: web::Data<PgPool>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadStatistics)?;
    let from = NaiveDate::parse_from_str(&format!("{}-01", path.as_str()), "%Y-%m-%d")
        .map_err(|_| ApiError::validation("month", "月份格式应为 yyyy-mm"))?;
    let next = if from.month() == 12 {
        NaiveDate::from_ymd_opt(from.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(from.year(), from.month() + 1, 1)
    }
    .ok_or_else(|| ApiError::validation("month", "月份无效"))?;
    let to = next
        .pred_opt()
        .ok_or_else(|| ApiError::validation("month", "月份无效"))?;
    let mut f = queries::figures(&pool, &scope_of(&actor), from, to, today_in_china()).await?;
    f.name_units(&directory);
    render(&reports::monthly(from, &f), query.format.as_deref())
}
