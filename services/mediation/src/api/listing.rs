//! Lists for the mediator's pages (调解员工作台): the mediations a caller may see — with `mine`,
//! those assigned to the caller as mediator and those of the caller's unit's bodies still waiting
//! for one — and the sessions of a period (调解日程).

use actix_web::{web, HttpResponse};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::IntoParams;
use xinfang_platform::{error::ErrorBody, Actor, ApiError, Permission};

use crate::store::{
    mediations::{self, ListFilter, MediationRow},
    sessions::{self, SessionRow},
};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MediationListQuery {
    /// Only the caller's own: assigned to the mediator whose 登录账号 is the caller, or waiting for
    /// a mediator at a body of the caller's unit.
    pub mine: Option<bool>,
    /// Only those not yet ended (在办).
    pub open: Option<bool>,
    /// At most this many (1-200, default 100).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

fn may_list(actor: &Actor) -> Result<(), ApiError> {
    if !actor.has(Permission::Mediate) {
        actor.require(Permission::ReadCases)?;
    }
    Ok(())
}

/// The mediations the caller may see (调解列表), the latest referral first: the caller's unit's
/// (as the body's unit or the unit the matter belongs to), the county for the county-wide.
#[utoipa::path(
    get, path = "/api/v1/mediations", tag = "调解", params(MediationListQuery),
    responses((status = 200, body = Vec<MediationRow>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "查询参数有误")),
    security(("bearer" = []))
)]
pub async fn list(
    actor: Actor,
    query: xinfang_platform::http::Query<MediationListQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    may_list(&actor)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::validation("limit", "条数应在 1 至 200 之间"));
    }
    let mut conn = pool.acquire().await?;
    let rows = mediations::list(
        &mut conn,
        &ListFilter {
            county_wide: actor.county_wide(),
            unit: &actor.unit,
            mine_account: query
                .mine
                .unwrap_or(false)
                .then_some(actor.user_id.as_str()),
            open_only: query.open.unwrap_or(false),
            limit,
        },
    )
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SessionListQuery {
    /// First day (China time), YYYY-MM-DD.
    pub from: NaiveDate,
    /// Last day (China time, inclusive), at most 62 days after `from`.
    pub to: NaiveDate,
    /// Only the sessions of the mediator whose 登录账号 is the caller.
    pub mine: Option<bool>,
}

/// The sessions of a period (调解日程), the earliest first: those of the caller's unit's bodies
/// (the county for the county-wide), or with `mine` the caller's own as mediator.
#[utoipa::path(
    get, path = "/api/v1/sessions", tag = "调解", params(SessionListQuery),
    responses((status = 200, body = Vec<SessionRow>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody, description = "日期范围有误")),
    security(("bearer" = []))
)]
pub async fn sessions(
    actor: Actor,
    query: xinfang_platform::http::Query<SessionListQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    may_list(&actor)?;
    if query.to < query.from {
        return Err(ApiError::validation("to", "结束日期不能早于开始日期"));
    }
    if (query.to - query.from).num_days() > 62 {
        return Err(ApiError::validation("to", "日期范围不能超过 62 天"));
    }
    // China time (UTC+8): the day starts at 16:00 UTC the day before.
    let start_of = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map(|t| Utc.from_utc_datetime(&t) - Duration::hours(8))
    };
    let (Some(from), Some(to)) = (start_of(query.from), query.to.succ_opt().and_then(start_of))
    else {
        return Err(ApiError::validation("to", "日期超出范围"));
    };
    let mut conn = pool.acquire().await?;
    let rows: Vec<SessionRow> = sessions::in_period(
        &mut conn,
        actor.county_wide(),
        &actor.unit,
        query
            .mine
            .unwrap_or(false)
            .then_some(actor.user_id.as_str()),
        from,
        to,
    )
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}
