//! Walk-in visit log (来访登记): a visitor is logged on arrival, so that supervision can find
//! visits that were never registered as petitions (应登记不登记).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{PgPool, Row};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use xinfang_contracts::{events::VisitLoggedV1, Envelope};
use xinfang_messaging::OutboxWaker;
use xinfang_messaging::UnitOfWork;
use xinfang_platform::audit::AuditExt;
use xinfang_platform::{audit::AuditEntry, error::ErrorBody, Actor, ApiError, Permission};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogVisitRequest {
    /// 来访人数
    pub visitor_count: u32,
    /// 备注 (no identity data)
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct VisitView {
    pub id: Uuid,
    pub unit: String,
    pub arrived_at: DateTime<Utc>,
    pub visitor_count: i32,
    pub note: Option<String>,
    /// The petition registered for this visit, if any.
    pub petition_id: Option<Uuid>,
}

/// Log a visitor on arrival (来访登记).
#[utoipa::path(
    post, path = "/api/v1/visits", tag = "来访登记",
    request_body = LogVisitRequest,
    responses((status = 201, body = VisitView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "log_visit", skip_all, fields(user = %actor.user_id, unit = %actor.unit))]
pub async fn log_visit(
    actor: Actor,
    body: web::Json<LogVisitRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::RegisterPetition)?;
    let mut errors = Vec::new();
    if body.visitor_count == 0 || body.visitor_count > 100_000 {
        errors.push((
            "visitor_count".to_string(),
            "来访人数应在 1 至 100000 之间".to_string(),
        ));
    }
    let note = body
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        errors.push(("note".to_string(), "备注不能超过 500 个字".to_string()));
    }
    if !errors.is_empty() {
        return Err(ApiError::validation_many(errors));
    }
    let id = Uuid::now_v7();
    let arrived_at = Utc::now();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    sqlx::query(
        "INSERT INTO visits (id, unit, arrived_at, visitor_count, note, logged_by) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(&actor.unit)
    .bind(arrived_at)
    .bind(body.visitor_count as i32)
    .bind(note)
    .bind(&actor.user_id)
    .execute(uow.conn())
    .await?;
    let event = VisitLoggedV1 {
        visit_id: id,
        unit: actor.unit.clone(),
        arrived_at,
        visitor_count: body.visitor_count,
    };
    uow.enqueue(&Envelope::new(&event, None, None, None))
        .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "visit.log",
        None,
        json!({ "visit_id": id, "visitor_count": body.visitor_count }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(VisitView {
        id,
        unit: actor.unit,
        arrived_at,
        visitor_count: body.visitor_count as i32,
        note: note.map(str::to_string),
        petition_id: None,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VisitQuery {
    /// Only visits never registered as petitions (应登记不登记).
    pub unregistered: Option<bool>,
    pub after: Option<Uuid>,
    pub limit: Option<i64>,
}

/// List logged visits of the caller's unit (county-wide roles: all), newest first.
#[utoipa::path(
    get, path = "/api/v1/visits", tag = "来访登记",
    params(VisitQuery),
    responses((status = 200, body = Vec<VisitView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_visits(
    actor: Actor,
    query: web::Query<VisitQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::validation("limit", "每页条数应在 1 至 200 之间"));
    }
    let rows = sqlx::query(
        "SELECT id, unit, arrived_at, visitor_count, note, petition_id FROM visits
         WHERE ($1 OR unit = $2) AND (NOT $3 OR petition_id IS NULL) AND ($4::uuid IS NULL OR id < $4)
         ORDER BY id DESC LIMIT $5",
    )
    .bind(actor.county_wide())
    .bind(&actor.unit)
    .bind(query.unregistered.unwrap_or(false))
    .bind(query.after)
    .bind(limit)
    .fetch_all(pool.get_ref())
    .await?;
    let mut out = Vec::new();
    for r in rows {
        out.push(VisitView {
            id: r.try_get("id")?,
            unit: r.try_get("unit")?,
            arrived_at: r.try_get("arrived_at")?,
            visitor_count: r.try_get("visitor_count")?,
            note: r.try_get("note")?,
            petition_id: r.try_get("petition_id")?,
        });
    }
    Ok(HttpResponse::Ok().json(out))
}
