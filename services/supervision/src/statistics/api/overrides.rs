//! Legal-channel overrides over HTTP (偏离法定途径建议统计).

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::IntoParams;
use xinfang_platform::{directory::Directory, error::ErrorBody, Actor, ApiError, Permission};

use crate::statistics::{
    api::scope::scope_of,
    domain::overrides::{report_from, OverrideReport},
    store::overrides,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OverrideQuery {
    /// First day of the period (by the date of the decision), YYYY-MM-DD
    pub from: NaiveDate,
    /// Last day, inclusive
    pub to: NaiveDate,
}

/// Decisions that went against a legal-channel suggestion (偏离法定途径建议), by month, unit and
/// channel, scoped to the caller; each was made with a recorded reason (its case timeline shows it).
#[utoipa::path(
    get, path = "/api/v1/statistics/legal-channel-overrides", tag = "统计",
    params(OverrideQuery),
    responses((status = 200, body = OverrideReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn legal_channel_overrides(
    actor: Actor,
    query: xinfang_platform::http::Query<OverrideQuery>,
    pool: web::Data<PgPool>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadStatistics)?;
    if query.to < query.from {
        return Err(ApiError::validation("to", "结束日期不能早于开始日期"));
    }
    let scope = scope_of(&actor);
    let rows = overrides::by_month_unit_channel(&pool, scope.unit(), query.from, query.to)
        .await?
        .into_iter()
        .map(|r| (r.month, r.unit_code, r.suggested_channel, r.n))
        .collect();
    let label = scope.unit().unwrap_or("county").to_string();
    Ok(
        HttpResponse::Ok().json(report_from(query.from, query.to, label, rows, |u| {
            directory.name_of(u)
        })),
    )
}
