//! Indicators and hot-spot warning over HTTP (统计指标, 源头预防预警).

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::IntoParams;
use xinfang_platform::directory::Directory;
use xinfang_platform::{error::ErrorBody, Actor, ApiError, Permission};

use crate::{
    api::support::Problems,
    configuration::OversightSettings,
    statistics::{
        api::scope::scope_of,
        domain::indicators::{Dim, HotspotReport, IndicatorReport},
        store::queries,
    },
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IndicatorQuery {
    /// First day (收到日期) of the period, YYYY-MM-DD
    pub from: NaiveDate,
    /// Last day, inclusive
    pub to: NaiveDate,
    /// unit | township | field | channel
    pub group_by: Option<String>,
}

fn period(from: NaiveDate, to: NaiveDate, p: &mut Problems) {
    if to < from {
        p.push("to", "结束日期不能早于开始日期");
    } else if (to - from).num_days() > 3 * 366 {
        p.push("to", "统计区间不能超过三年");
    }
}

/// Indicators by period, scoped to the caller (统计指标): volumes, on-time acceptance and closure,
/// satisfaction, repeat petitions, mediation, hot fields, closure kinds, transfers/assignments and
/// the five assessment findings. Figures not measured yet are null with `not_yet_measured`.
#[utoipa::path(
    get, path = "/api/v1/statistics/indicators", tag = "统计",
    params(IndicatorQuery),
    responses((status = 200, body = IndicatorReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn indicators(
    actor: Actor,
    query: xinfang_platform::http::Query<IndicatorQuery>,
    pool: web::Data<PgPool>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadStatistics)?;
    let mut p = Problems::default();
    period(query.from, query.to, &mut p);
    let dim = match query.group_by.as_deref() {
        None => None,
        Some(s) => {
            let d = Dim::parse(s);
            if d.is_none() {
                p.push("group_by", "只能是 unit、township、field 或 channel");
            }
            d
        }
    };
    p.finish()?;
    let mut report =
        queries::indicators(&pool, &scope_of(&actor), query.from, query.to, dim).await?;
    report.name_units(&directory);
    Ok(HttpResponse::Ok().json(report))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HotspotQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Hot-spot early warning (源头预防预警): field × township whose volume in the period jumps
/// against the mean of the preceding periods of the same length (thresholds in configuration).
#[utoipa::path(
    get, path = "/api/v1/statistics/hotspots", tag = "统计",
    params(HotspotQuery),
    responses((status = 200, body = HotspotReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn hotspots(
    actor: Actor,
    query: xinfang_platform::http::Query<HotspotQuery>,
    pool: web::Data<PgPool>,
    settings: web::Data<OversightSettings>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadStatistics)?;
    let mut p = Problems::default();
    period(query.from, query.to, &mut p);
    p.finish()?;
    let report = queries::hotspots(
        &pool,
        &scope_of(&actor),
        query.from,
        query.to,
        &settings.hotspot,
    )
    .await?;
    Ok(HttpResponse::Ok().json(report))
}
