//! The receiving unit's answer to a transfer or assignment: acceptance (签收) or objection (异议).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    time::today_in_china,
    Actor, ApiError, Permission,
};

use crate::{
    domain::decision::{ensure_objection_in_time, required},
    events::publish,
    store::decisions,
};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionRequest {
    /// 异议理由 (why the matter is outside this unit's remit)
    pub reasons: String,
}

/// The receiving unit accepts a transfer or assignment (签收, art 23 ¶3).
#[utoipa::path(
    post, path = "/api/v1/petitions/{id}/assignment/accept", tag = "分类处理",
    params(("id" = Uuid, Path, description = "信访件 id")),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "accept_assignment", skip_all, fields(user = %actor.user_id, unit = %actor.unit, case_id = %path))]
pub async fn accept_assignment(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = decisions::load_case(uow.conn(), &actor, id).await?;
    let pending = decisions::pending_hand_off(uow.conn(), &actor, id).await?;
    let today = today_in_china();
    decisions::accept_hand_off(uow.conn(), &actor, pending.id, id).await?;
    uow.enqueue(&publish::assignment_accepted(&case, &actor.unit, today))
        .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "assignment.accept",
        Some(id),
        json!({ "hand_off_id": pending.id, "kind": pending.kind }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "petition_id": id, "status": "in_handling", "accepted_on": today })))
}

/// The receiving unit objects with reasons within 5 working days (art 23 ¶3); the case returns to
/// the bureau for re-routing, its history kept.
#[utoipa::path(
    post, path = "/api/v1/petitions/{id}/assignment/objection", tag = "分类处理",
    request_body = ObjectionRequest,
    params(("id" = Uuid, Path, description = "信访件 id")),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody, description = "超过异议期限或理由为空")),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "object_assignment", skip_all, fields(user = %actor.user_id, unit = %actor.unit, case_id = %path))]
pub async fn object_assignment(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ObjectionRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let id = path.into_inner();
    let reasons = required("reasons", "异议理由", &body.reasons, 2000)?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = decisions::load_case(uow.conn(), &actor, id).await?;
    let pending = decisions::pending_hand_off(uow.conn(), &actor, id).await?;
    let today = today_in_china();
    ensure_objection_in_time(pending.object_by, today)?;
    decisions::object_to_hand_off(uow.conn(), &actor, pending.id, id, &reasons).await?;
    uow.enqueue(&publish::assignment_objected(
        &case,
        &actor.unit,
        today,
        &reasons,
    ))
    .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "assignment.object",
        Some(id),
        json!({ "hand_off_id": pending.id, "kind": pending.kind, "reasons": reasons }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "petition_id": id, "status": "returned", "objected_on": today })))
}
