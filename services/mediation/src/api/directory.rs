//! The directory over HTTP (调解组织与调解员名录): administrators, bureau staff and the bodies'
//! heads maintain it; anyone who reads cases or mediates may read it.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    directory::Directory,
    error::ErrorBody,
    idempotency,
    time::today_in_china,
    Actor, ApiError, Permission,
};

use super::support::{begin, ok, Begun};
use crate::{
    domain::{
        access,
        directory::{BodyDraft, MediatorDraft, NewBody, NewMediator},
        MediationError,
    },
    events::publish,
    store::directory::{self, BodyRow, MediatorRow},
};

/// A unit code must name an active unit of the units directory (单位目录).
fn unit_known(units: &Directory, field: &str, code: Option<&str>) -> Result<(), ApiError> {
    match code.map(|c| units.require_active(field, c)) {
        Some(Err(refused)) => {
            let field = refused.field().to_string();
            Err(ApiError::validation(&field, refused.to_string()))
        }
        _ => Ok(()),
    }
}

fn may_read(actor: &Actor) -> Result<(), ApiError> {
    if actor.has(Permission::ReadCases) || actor.has(Permission::Mediate) {
        Ok(())
    } else {
        actor.require(Permission::ReadCases)
    }
}

/// Add a mediation body (新增调解组织).
#[utoipa::path(
    post, path = "/api/v1/mediation-bodies", tag = "调解名录", request_body = BodyDraft,
    params(("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 201, body = BodyRow), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create_body(
    req: HttpRequest,
    actor: Actor,
    body: web::Json<BodyDraft>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    units: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.into_inner();
    let new = NewBody::parse(&draft)?;
    unit_known(&units, "unit_code", Some(&new.unit_code))?;
    access::may_maintain(&actor, &new.unit_code)?;
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &draft).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(r) => return Ok(r),
    };
    let row = match directory::insert_body(uow.conn(), Uuid::now_v7(), &new).await {
        Ok(row) => row,
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            return Err(MediationError::conflict("duplicate_body", "该单位已有同名调解组织").into())
        }
        Err(e) => return Err(e.into()),
    };
    uow.enqueue(&publish::body_changed(
        &row,
        "created",
        &ALL_BODY_FIELDS,
        today_in_china(),
        &actor.user_id,
    ))
    .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "mediation.body.create",
        None,
        json!({ "body_id": row.id, "name": row.name, "unit_code": row.unit_code }),
    ))
    .await?;
    idempotency::created(uow, &actor, key.as_deref(), &row).await
}

const ALL_BODY_FIELDS: [&str; 7] = [
    "name",
    "kind",
    "township",
    "fields",
    "contact",
    "unit_code",
    "active",
];

/// Change or deactivate a mediation body (修改、停用调解组织): the whole body as it should be, with
/// `active: false` to deactivate it (refused while mediations of it are under way). Administrators,
/// bureau staff with the mediation right, and the head of the unit that runs it (of both units
/// when it moves to another unit).
#[utoipa::path(
    put, path = "/api/v1/mediation-bodies/{id}", tag = "调解名录", request_body = BodyDraft,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 200, body = BodyRow), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody),
              (status = 409, body = ErrorBody, description = "同名调解组织，或尚有进行中的调解不能停用"),
              (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, body = %path))]
pub async fn update_body(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<BodyDraft>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    units: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let draft = body.into_inner();
    let new = NewBody::parse(&draft)?;
    unit_known(&units, "unit_code", Some(&new.unit_code))?;
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &(id, &draft)).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(r) => return Ok(r),
    };
    let old_row = directory::find_body_for_update(uow.conn(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("调解组织不存在"))?;
    access::may_maintain(&actor, &old_row.unit_code)?;
    access::may_maintain(&actor, &new.unit_code)?;
    let old = old_row.as_new();
    let changes = new.changes(&old);
    if changes.is_empty() {
        return ok(uow, &actor, key.as_deref(), &old_row).await;
    }
    let live = if old.active && !new.active {
        directory::live_mediations_of_body(uow.conn(), id).await?
    } else {
        0
    };
    new.may_take_effect(&old, live)?;
    let row = match directory::update_body(uow.conn(), id, &new).await {
        Ok(row) => row,
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            return Err(MediationError::conflict("duplicate_body", "该单位已有同名调解组织").into())
        }
        Err(e) => return Err(e.into()),
    };
    let change = match (old.active, new.active) {
        (true, false) => "deactivated",
        (false, true) => "reactivated",
        _ => "updated",
    };
    uow.enqueue(&publish::body_changed(
        &row,
        change,
        &changes,
        today_in_china(),
        &actor.user_id,
    ))
    .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "mediation.body.update",
        None,
        json!({ "body_id": id, "change": change, "changes": changes,
                "unit_code": { "from": old.unit_code, "to": row.unit_code }, "active": row.active }),
    ))
    .await?;
    tracing::info!(body = %id, change, "mediation body changed");
    ok(uow, &actor, key.as_deref(), &row).await
}

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BodyQuery {
    pub township: Option<String>,
    pub field: Option<String>,
}

/// The bodies (调解组织名录), by township and field.
#[utoipa::path(
    get, path = "/api/v1/mediation-bodies", tag = "调解名录", params(BodyQuery),
    responses((status = 200, body = Vec<BodyRow>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_bodies(
    actor: Actor,
    query: xinfang_platform::http::Query<BodyQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    may_read(&actor)?;
    let mut conn = pool.acquire().await?;
    let rows = directory::list_bodies(&mut conn, query.township.as_deref(), query.field.as_deref())
        .await?;
    Ok(HttpResponse::Ok().json(rows))
}

async fn body_unit(conn: &mut sqlx::PgConnection, body_id: Uuid) -> Result<String, ApiError> {
    directory::find_body(conn, body_id)
        .await?
        .map(|b| b.unit_code)
        .ok_or_else(|| ApiError::validation("body_id", "调解组织不存在"))
}

/// Add a mediator (新增调解员) to a body.
#[utoipa::path(
    post, path = "/api/v1/mediators", tag = "调解名录", request_body = MediatorDraft,
    params(("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 201, body = MediatorRow), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn create_mediator(
    req: HttpRequest,
    actor: Actor,
    body: web::Json<MediatorDraft>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    units: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.into_inner();
    let new = NewMediator::parse(&draft)?;
    unit_known(&units, "employer_unit", new.employer_unit.as_deref())?;
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &draft).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(r) => return Ok(r),
    };
    let unit = body_unit(uow.conn(), new.body_id).await?;
    access::may_maintain(&actor, &unit)?;
    let id = Uuid::now_v7();
    directory::insert_mediator(uow.conn(), id, &new).await?;
    let row = directory::find_mediator(uow.conn(), id)
        .await?
        .ok_or_else(|| ApiError::internal("mediator vanished"))?;
    uow.audit(AuditEntry::by(
        &actor,
        "mediation.mediator.create",
        None,
        json!({ "mediator_id": id, "name": row.name, "body_id": row.body_id }),
    ))
    .await?;
    idempotency::created(uow, &actor, key.as_deref(), &row).await
}

/// Change a mediator (修改调解员): fields, townships, body, employer, active.
#[utoipa::path(
    put, path = "/api/v1/mediators/{id}", tag = "调解名录", request_body = MediatorDraft,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 200, body = MediatorRow), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, mediator = %path))]
pub async fn update_mediator(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<MediatorDraft>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    units: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let draft = body.into_inner();
    let new = NewMediator::parse(&draft)?;
    unit_known(&units, "employer_unit", new.employer_unit.as_deref())?;
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &(id, &draft)).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(r) => return Ok(r),
    };
    let old = directory::find_mediator(uow.conn(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("调解员不存在"))?;
    access::may_maintain(&actor, &old.body_unit)?;
    let unit = body_unit(uow.conn(), new.body_id).await?;
    access::may_maintain(&actor, &unit)?;
    directory::update_mediator(uow.conn(), id, &new).await?;
    let row = directory::find_mediator(uow.conn(), id)
        .await?
        .ok_or_else(|| ApiError::internal("mediator vanished"))?;
    uow.audit(AuditEntry::by(
        &actor,
        "mediation.mediator.update",
        None,
        json!({ "mediator_id": id, "active": row.active, "body_id": row.body_id }),
    ))
    .await?;
    ok(uow, &actor, key.as_deref(), &row).await
}

#[derive(Debug, Deserialize, Serialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MediatorQuery {
    pub body_id: Option<Uuid>,
    pub field: Option<String>,
    pub township: Option<String>,
}

/// The mediators (调解员名录), with their current load.
#[utoipa::path(
    get, path = "/api/v1/mediators", tag = "调解名录", params(MediatorQuery),
    responses((status = 200, body = Vec<MediatorRow>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_mediators(
    actor: Actor,
    query: xinfang_platform::http::Query<MediatorQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    may_read(&actor)?;
    let mut conn = pool.acquire().await?;
    let rows = directory::list_mediators(
        &mut conn,
        query.body_id,
        query.field.as_deref(),
        query.township.as_deref(),
    )
    .await?;
    Ok(HttpResponse::Ok().json(rows))
}
