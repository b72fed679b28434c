//! The dispute register over HTTP (矛盾纠纷排查登记, 源头预防).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use utoipa::IntoParams;
use uuid::Uuid;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    idempotency,
    time::today_in_china,
    Actor, ApiError, Permission,
};

use super::support::{begin, Begun};
use crate::{
    domain::{
        access,
        dispute::{DisputeDraft, NewDispute},
    },
    events::publish,
    store::disputes::{self, DisputeRow},
};

/// Register a dispute found before it became a petition (矛盾纠纷登记), in the caller's unit.
#[utoipa::path(
    post, path = "/api/v1/disputes", tag = "矛盾纠纷排查", request_body = DisputeDraft,
    params(("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 201, body = DisputeRow), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn register(
    req: HttpRequest,
    actor: Actor,
    body: web::Json<DisputeDraft>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.into_inner();
    let new = NewDispute::parse(&draft)?;
    access::may_refer(&actor, &actor.unit)?;
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &draft).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(resp) => return Ok(resp),
    };
    let row = disputes::insert(
        uow.conn(),
        Uuid::now_v7(),
        &actor.unit,
        &new,
        today_in_china(),
        &actor.user_id,
    )
    .await?;
    uow.enqueue(&publish::dispute_registered(&row)).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "mediation.dispute.register",
        None,
        json!({ "dispute_id": row.id, "township": row.township, "field": row.field }),
    ))
    .await?;
    idempotency::created(uow, &actor, key.as_deref(), &row).await
}

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DisputeQuery {
    pub township: Option<String>,
    pub field: Option<String>,
    /// `open` | `in_mediation` | `resolved` | `unresolved`
    pub status: Option<String>,
}

/// The register by township and field (矛盾纠纷台账): the caller's unit, or the county for bureau
/// staff and supervisors.
#[utoipa::path(
    get, path = "/api/v1/disputes", tag = "矛盾纠纷排查", params(DisputeQuery),
    responses((status = 200, body = Vec<DisputeRow>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    actor: Actor,
    query: xinfang_platform::http::Query<DisputeQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    if !actor.has(Permission::Mediate) {
        actor.require(Permission::ReadCases)?;
    }
    let unit = (!actor.county_wide()).then_some(actor.unit.as_str());
    let mut conn = pool.acquire().await?;
    let rows = disputes::list(
        &mut conn,
        unit,
        query.township.as_deref(),
        query.field.as_deref(),
        query.status.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}
