//! The handler's queue (待办, due date first with how it was computed) and one case with everything
//! recorded on it.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use xinfang_platform::{error::ErrorBody, http::Query, Actor, ApiError, Permission};

use crate::{
    api::support::can_see,
    domain::ReviewError,
    store::{
        cases,
        clocks::{self, ClockRow},
        records::{
            self, EntryRow, ExtensionRow, FollowUpRow, HearingRow, OpinionRow, ReviewRequestRow,
        },
    },
};

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// 单位代码: the county-wide may ask for one unit's queue; others always get their own.
    pub unit: Option<String>,
    /// At most this many (1-500, default 100).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItem {
    pub case_id: Uuid,
    pub case_number: String,
    /// `handling` | `review` | `re_review`
    pub level: String,
    /// `in_progress` | `issued`
    pub step: String,
    pub unit: String,
    pub version: i32,
    /// The clock the due date belongs to (办理期限, 复查期限, 复核期限, 送达期限).
    pub clock: Option<String>,
    pub due_on: Option<NaiveDate>,
    /// How the due date was computed (supervision's explanation).
    pub explanation: Vec<String>,
}

/// The queue of the caller's unit (待办案件): cases in progress or awaiting delivery at a level the
/// unit is responsible for, the earliest due first.
#[utoipa::path(
    get, path = "/api/v1/handling/queue", tag = "办理", params(QueueQuery),
    responses((status = 200, body = [QueueItem]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "查询参数有误")),
    security(("bearer" = []))
)]
pub async fn queue(
    actor: Actor,
    query: Query<QueueQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::validation("limit", "条数应在 1 至 500 之间"));
    }
    let unit = match (&query.unit, actor.county_wide()) {
        (Some(u), true) => Some(u.clone()),
        (None, true) => None,
        _ => Some(actor.unit.clone()),
    };
    let rows = cases::queue(&pool, unit.as_deref(), limit).await?;
    let items: Vec<QueueItem> = rows
        .into_iter()
        .map(|r| QueueItem {
            case_id: r.case_id,
            case_number: r.case_number,
            level: r.level,
            step: r.step,
            unit: r.level_unit,
            version: r.version,
            clock: r.clock_kind,
            due_on: r.due_on,
            explanation: r
                .explanation
                .and_then(|v| serde_json::from_value(v).ok())
                .unwrap_or_default(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(items))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CaseDetail {
    pub case_id: Uuid,
    pub case_number: String,
    /// 办理单位
    pub unit: String,
    pub origin: String,
    pub assigned_by_unit: Option<String>,
    pub upstream_reference: Option<String>,
    pub started_on: NaiveDate,
    pub level: String,
    pub step: String,
    /// The organ responsible for the current level.
    pub level_unit: String,
    /// `substantive` (实体性办结) | `procedural` (程序性办结)
    pub closure_kind: Option<String>,
    pub closure_ground: Option<String>,
    pub closure_reason: Option<String>,
    pub closed_on: Option<NaiveDate>,
    pub final_level: Option<String>,
    pub final_opinion_id: Option<Uuid>,
    pub finalized_on: Option<NaiveDate>,
    pub version: i32,
    pub units: Vec<String>,
    pub updated_at: DateTime<Utc>,
    pub clocks: Vec<ClockRow>,
    pub entries: Vec<EntryRow>,
    pub extensions: Vec<ExtensionRow>,
    pub opinions: Vec<OpinionRow>,
    pub review_requests: Vec<ReviewRequestRow>,
    pub hearings: Vec<HearingRow>,
    pub follow_ups: Vec<FollowUpRow>,
}

/// One handled case with its clocks, entries, extensions, opinions, requests, hearings and
/// follow-up; another unit's case answers 404.
#[utoipa::path(
    get, path = "/api/v1/handling/cases/{case_id}", tag = "办理",
    params(("case_id" = Uuid, Path)),
    responses((status = 200, body = CaseDetail), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_case(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let id = path.into_inner();
    let (c, units) = cases::find(&pool, id, can_see(&actor))
        .await?
        .ok_or(ReviewError::CaseHidden)?;
    let detail = CaseDetail {
        case_id: c.case_id,
        case_number: c.case_number,
        unit: c.unit_code,
        origin: c.origin,
        assigned_by_unit: c.assigned_by_unit,
        upstream_reference: c.upstream_reference,
        started_on: c.started_on,
        level: c.level,
        step: c.step,
        level_unit: c.level_unit,
        closure_kind: c.closure_kind,
        closure_ground: c.closure_ground,
        closure_reason: c.closure_reason,
        closed_on: c.closed_on,
        final_level: c.final_level,
        final_opinion_id: c.final_opinion_id,
        finalized_on: c.finalized_on,
        version: c.version,
        units,
        updated_at: c.updated_at,
        clocks: clocks::of_case(&pool, id).await?,
        entries: records::entries(&pool, id).await?,
        extensions: records::extensions(&pool, id).await?,
        opinions: records::opinions(&pool, id).await?,
        review_requests: records::review_requests(&pool, id).await?,
        hearings: records::hearings(&pool, id).await?,
        follow_ups: records::follow_ups(&pool, id).await?,
    };
    Ok(HttpResponse::Ok().json(detail))
}
