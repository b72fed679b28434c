//! The timeline of one case over HTTP (办理轨迹), scoped to the caller's unit.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_platform::{error::ErrorBody, Actor, ApiError};

use crate::{api::support::ensure_case_readable, timeline::store};

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
    ensure_case_readable(&pool, &actor, case_id).await?;
    let entries: Vec<TimelineEntry> = store::events_of(&pool, case_id)
        .await?
        .into_iter()
        .map(|r| TimelineEntry {
            event_id: r.event_id,
            event_type: r.routing_key,
            producer: r.producer,
            occurred_at: r.occurred_at,
            unit_code: r.unit_code,
            payload: r.payload,
        })
        .collect();
    Ok(HttpResponse::Ok().json(entries))
}
