//! Mediation's figures and warnings over HTTP (调解统计、调解临近办理期限预警).

use actix_web::{web, HttpResponse};
use chrono::{Days, NaiveDate};
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::IntoParams;
use xinfang_platform::{error::ErrorBody, time::today_in_china, Actor, ApiError, Permission};

use crate::{
    api::support::{require_any, Problems},
    mediation::{
        domain::{
            Counts, DisputeFigures, HandlingWarning, MediationDim, MediationFigures,
            MediationGroup, MediationReport,
        },
        store,
    },
    statistics::api::scope::scope_of,
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MediationQuery {
    /// First day of referral (引调日期), YYYY-MM-DD
    pub from: NaiveDate,
    /// Last day, inclusive
    pub to: NaiveDate,
    /// body | mediator | field | township
    pub group_by: Option<String>,
}

/// Mediation figures by period (调解统计): referrals, success rate, time to agreement, performance
/// rate, by body, mediator, field or township; and the disputes resolved before they became
/// petitions. County-wide staff see the county; a unit sees its own bodies.
#[utoipa::path(
    get, path = "/api/v1/statistics/mediation", tag = "统计", params(MediationQuery),
    responses((status = 200, body = MediationReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn figures(
    actor: Actor,
    query: xinfang_platform::http::Query<MediationQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadStatistics)?;
    let mut p = Problems::default();
    if query.to < query.from {
        p.push("to", "结束日期不能早于开始日期");
    }
    let dim = match query.group_by.as_deref() {
        None => None,
        Some(s) => {
            let d = MediationDim::parse(s);
            if d.is_none() {
                p.push("group_by", "只能是 body、mediator、field 或 township");
            }
            d
        }
    };
    p.finish()?;
    let scope = scope_of(&actor);
    let unit = scope.unit();
    let total_rows = store::counts(&pool, unit, query.from, query.to, None).await?;
    let total = total_rows
        .first()
        .map(|(_, c)| c.clone())
        .unwrap_or_default();
    let groups = match dim {
        None => vec![],
        Some(d) => store::counts(&pool, unit, query.from, query.to, Some(d))
            .await?
            .iter()
            .map(|(key, c)| MediationGroup {
                key: key.clone(),
                figures: MediationFigures::from(c),
            })
            .collect(),
    };
    let (registered, resolved) = store::disputes(&pool, unit, query.from, query.to).await?;
    Ok(HttpResponse::Ok().json(MediationReport {
        from: query.from,
        to: query.to,
        scope: unit.unwrap_or("county").to_string(),
        group_by: query.group_by.clone(),
        total: MediationFigures::from(&Counts { ..total }),
        groups,
        disputes: DisputeFigures {
            registered,
            resolved_before_petition: resolved,
        },
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WarningQuery {
    /// Warn when the handling period ends within this many days (default 10, at most 60)
    pub within_days: Option<u64>,
}

/// Mediations still running whose case's handling period (办理期限) ends within `within_days`, or
/// has ended (调解临近办理期限预警): the handling clock keeps running during mediation.
#[utoipa::path(
    get, path = "/api/v1/mediation/handling-warnings", tag = "督查", params(WarningQuery),
    responses((status = 200, body = Vec<HandlingWarning>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn handling_warnings(
    actor: Actor,
    query: xinfang_platform::http::Query<WarningQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    require_any(
        &actor,
        &[
            Permission::Supervise,
            Permission::ReadStatistics,
            Permission::Mediate,
        ],
    )?;
    let within = query.within_days.unwrap_or(10);
    if within > 60 {
        return Err(ApiError::validation("within_days", "预警天数不能超过 60"));
    }
    let today = today_in_china();
    let horizon = today
        .checked_add_days(Days::new(within))
        .ok_or_else(|| ApiError::validation("within_days", "日期超出范围"))?;
    let scope = scope_of(&actor);
    let rows = store::near_handling_due(&pool, scope.unit(), horizon).await?;
    let warnings: Vec<HandlingWarning> = rows.into_iter().map(|r| r.warning(today)).collect();
    Ok(HttpResponse::Ok().json(warnings))
}

/// The routes, inside supervision's `/api/v1` scope.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/statistics/mediation", web::get().to(figures))
        .route(
            "/mediation/handling-warnings",
            web::get().to(handling_warnings),
        );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(figures, handling_warnings),
    components(schemas(
        MediationReport,
        MediationFigures,
        MediationGroup,
        DisputeFigures,
        HandlingWarning
    ))
)]
pub struct MediationApiDoc;
