//! Walk-in visit log (来访登记): a visitor is logged on arrival, so that supervision can find
//! visits that were never registered as petitions (应登记不登记).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use xinfang_contracts::events::VisitLoggedV1;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    Actor, ApiError, Permission,
};

use crate::{
    domain::{FieldError, IntakeError},
    events::publish,
    store::visits::{self, VisitRecord},
};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LogVisitRequest {
    /// 来访人数
    #[schema(minimum = 1, maximum = 2000)]
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

impl From<VisitRecord> for VisitView {
    fn from(v: VisitRecord) -> VisitView {
        VisitView {
            id: v.id,
            unit: v.unit,
            arrived_at: v.arrived_at,
            visitor_count: v.visitor_count,
            note: v.note,
            petition_id: v.petition_id,
        }
    }
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
    let max = crate::domain::petition::MAX_PETITIONER_COUNT;
    if body.visitor_count == 0 || body.visitor_count > max {
        errors.push(FieldError::new(
            "visitor_count",
            format!("来访人数应在 1 至 {max} 之间，请核对是否多输了数字"),
        ));
    }
    let note = body
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    if note.is_some_and(|n| n.chars().count() > 500) {
        errors.push(FieldError::new("note", "备注不能超过 500 个字"));
    }
    if !errors.is_empty() {
        return Err(IntakeError::Invalid(errors).into());
    }
    let visit = VisitRecord {
        id: Uuid::now_v7(),
        unit: actor.unit.clone(),
        arrived_at: Utc::now(),
        visitor_count: body.visitor_count as i32,
        note: note.map(str::to_string),
        petition_id: None,
    };
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    visits::insert(uow.conn(), &actor, &visit).await?;
    uow.enqueue(&publish::visit_logged(&VisitLoggedV1 {
        visit_id: visit.id,
        unit: actor.unit.clone(),
        arrived_at: visit.arrived_at,
        visitor_count: body.visitor_count,
    }))
    .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "visit.log",
        None,
        json!({ "visit_id": visit.id, "visitor_count": body.visitor_count }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(VisitView::from(visit)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct VisitQuery {
    /// Only visits never registered as petitions (应登记不登记).
    pub unregistered: Option<bool>,
    pub after: Option<Uuid>,
    /// 1–200, default 50
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

/// List logged visits of the caller's unit (county-wide roles: all), newest first.
#[utoipa::path(
    get, path = "/api/v1/visits", tag = "来访登记",
    params(VisitQuery),
    responses((status = 200, body = Vec<VisitView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody, description = "每页条数超出范围")),
    security(("bearer" = []))
)]
pub async fn list_visits(
    actor: Actor,
    query: xinfang_platform::http::Query<VisitQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(IntakeError::PageSizeOutOfRange.into());
    }
    let visits: Vec<VisitView> = visits::list(
        pool.get_ref(),
        &actor,
        query.unregistered.unwrap_or(false),
        query.after,
        limit,
    )
    .await?
    .into_iter()
    .map(VisitView::from)
    .collect();
    Ok(HttpResponse::Ok().json(visits))
}
