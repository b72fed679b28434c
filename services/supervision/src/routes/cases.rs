//! Deadlines and timeline of one case, scoped to the caller's unit.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_platform::{error::ErrorBody, Actor, ApiError, Permission};

use crate::deadlines::{self, DeadlineView};

/// Whether the caller may see the case: county-wide staff, or a unit the case was handed to.
async fn ensure_visible(pool: &PgPool, actor: &Actor, case_id: Uuid) -> Result<(), ApiError> {
    actor.require(Permission::ReadCases)?;
    let units: Vec<String> =
        sqlx::query_scalar("SELECT unit_code FROM case_units WHERE case_id = $1")
            .bind(case_id)
            .fetch_all(pool)
            .await?;
    if units.is_empty() || !(actor.county_wide() || units.iter().any(|u| actor.can_see_unit(u))) {
        return Err(ApiError::not_found("信访件不存在或无权查看"));
    }
    Ok(())
}

/// The statutory deadlines of a case (法定期限).
#[utoipa::path(
    get, path = "/api/v1/cases/{case_id}/deadlines", tag = "期限",
    params(("case_id" = Uuid, Path)),
    responses((status = 200, body = [DeadlineView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn deadlines(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let case_id = path.into_inner();
    ensure_visible(&pool, &actor, case_id).await?;
    Ok(HttpResponse::Ok().json(deadlines::for_case(&pool, case_id).await?))
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TimelineEntry {
    pub event_id: Uuid,
    /// `<producer>.<aggregate>.<event>.v<N>`
    pub event_type: String,
    pub producer: String,
    pub occurred_at: DateTime<Utc>,
    pub unit_code: Option<String>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
}

/// Every event of a case across services, in order (办理轨迹).
#[utoipa::path(
    get, path = "/api/v1/cases/{case_id}/timeline", tag = "轨迹",
    params(("case_id" = Uuid, Path)),
    responses((status = 200, body = [TimelineEntry]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn timeline(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let case_id = path.into_inner();
    ensure_visible(&pool, &actor, case_id).await?;
    let rows = sqlx::query(
        "SELECT event_id, routing_key, producer, occurred_at, unit_code, payload FROM case_events
         WHERE case_id = $1 ORDER BY occurred_at, event_id",
    )
    .bind(case_id)
    .fetch_all(pool.get_ref())
    .await?;
    let entries = rows
        .into_iter()
        .map(|r| {
            Ok(TimelineEntry {
                event_id: r.try_get("event_id")?,
                event_type: r.try_get("routing_key")?,
                producer: r.try_get("producer")?,
                occurred_at: r.try_get("occurred_at")?,
                unit_code: r.try_get("unit_code")?,
                payload: r.try_get("payload")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(HttpResponse::Ok().json(entries))
}
