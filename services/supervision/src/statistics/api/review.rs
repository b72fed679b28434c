//! Administrative review's ladder in figures over HTTP (行政三级办理指标).

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::IntoParams;
use xinfang_platform::{error::ErrorBody, Actor, ApiError, Permission};

use crate::statistics::{
    api::scope::scope_of,
    domain::review::{ladder_from, ReviewLadderReport},
    store::review,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LadderQuery {
    /// First day, YYYY-MM-DD (by the date of each fact: issue, delivery, request, finality)
    pub from: NaiveDate,
    /// Last day, inclusive
    pub to: NaiveDate,
}

/// Handling, review and re-review by period, scoped to the caller: opinions issued and delivered,
/// requests and late refusals, 维持 / 撤销 / 变更 counts and rates, cases final per level.
#[utoipa::path(
    get, path = "/api/v1/statistics/review-ladder", tag = "统计",
    params(LadderQuery),
    responses((status = 200, body = ReviewLadderReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn review_ladder(
    actor: Actor,
    query: xinfang_platform::http::Query<LadderQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadStatistics)?;
    if query.to < query.from {
        return Err(ApiError::validation("to", "结束日期不能早于开始日期"));
    }
    let scope = scope_of(&actor);
    let rows = review::counts(&pool, scope.unit(), query.from, query.to).await?;
    let rows: Vec<_> = rows
        .into_iter()
        .map(|r| (r.fact, r.level, r.outcome, r.n))
        .collect();
    let label = scope.unit().unwrap_or("county").to_string();
    Ok(HttpResponse::Ok().json(ladder_from(query.from, query.to, label, &rows)))
}
