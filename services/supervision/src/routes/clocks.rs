//! Moving a deadline: approved extensions (延期) and clock stops (中止计时), scoped to the deadline's
//! unit. Each re-projects the due date and moves the timers in one transaction.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::OutboxWaker;
use xinfang_messaging::UnitOfWork;
use xinfang_platform::audit::AuditExt;
use xinfang_platform::{audit::AuditEntry, error::ErrorBody, Actor, ApiError, Permission, Role};

use crate::{
    clocks::{self, ClockError},
    deadlines::{self, DeadlineView, StoredDeadline},
    timers::Engine,
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionBody {
    /// 延长期间（日）, at most the kind's limit (办理期限: 30)
    pub days: u32,
    /// 延期理由 (told to the petitioner in the 延期告知书)
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StopBody {
    /// 中止首日
    pub from: NaiveDate,
    /// 中止末日 (inclusive); omitted = stopped until resumed
    pub to: Option<NaiveDate>,
    /// 中止事由, e.g. 听证
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResumeBody {
    /// 中止末日 (the last stopped day, inclusive)
    pub to: NaiveDate,
}

fn clock_error(e: ClockError) -> ApiError {
    match e {
        ClockError::NotFound => ApiError::not_found("期限不存在或无权查看"),
        ClockError::Db(e) => ApiError::from(e),
        ClockError::ExtensionTooLong { .. } => ApiError::validation("days", e.to_string()),
        ClockError::InvalidStop(_) => ApiError::validation("to", e.to_string()),
        other => ApiError::conflict("deadline_state", other.to_string()),
    }
}

/// Load the deadline for update and check the caller may act on it (other units: 404).
async fn load(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<StoredDeadline, ApiError> {
    let d = deadlines::load_for_update(conn, id)
        .await?
        .ok_or_else(|| clock_error(ClockError::NotFound))?;
    if !actor.can_see_unit(&d.unit_code) {
        return Err(clock_error(ClockError::NotFound));
    }
    Ok(d)
}

async fn view(pool: &PgPool, case_id: Uuid, id: Uuid) -> Result<HttpResponse, ApiError> {
    let v: Option<DeadlineView> = deadlines::for_case(pool, case_id)
        .await?
        .into_iter()
        .find(|d| d.id == id);
    Ok(HttpResponse::Ok().json(v))
}

/// Audit the change to deadline `id`, commit, and answer with the deadline as it now stands.
async fn finish(
    mut uow: UnitOfWork<'static>,
    pool: &PgPool,
    actor: &Actor,
    action: &str,
    case_id: Uuid,
    id: Uuid,
    details: serde_json::Value,
) -> Result<HttpResponse, ApiError> {
    uow.audit(AuditEntry::by(actor, action, Some(case_id), details))
        .await?;
    uow.commit().await?;
    view(pool, case_id, id).await
}

/// Approve an extension (批准延期, 《信访工作条例》第三十四条): unit heads only; the due date and
/// the reminders move.
#[utoipa::path(
    post, path = "/api/v1/deadlines/{deadline_id}/extensions", tag = "期限",
    params(("deadline_id" = Uuid, Path)), request_body = ExtensionBody,
    responses((status = 200, body = DeadlineView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn extend(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ExtensionBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    if !actor.roles.contains(&Role::UnitHead) {
        return Err(ApiError::forbidden("延期须经本机关负责人批准"));
    }
    let body = body.into_inner();
    if body.reason.trim().is_empty() {
        return Err(ApiError::validation("reason", "请填写延期理由"));
    }
    let id = path.into_inner();
    let calendar = deadlines::current(&engine.calendar);
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let d = load(uow.conn(), &actor, id).await?;
    let case_id = d.case_id;
    let (due, _) = clocks::extend(
        uow.conn(),
        &calendar,
        &engine.limits,
        d,
        body.days,
        body.reason.trim(),
    )
    .await
    .map_err(clock_error)?;
    finish(uow, &pool, &actor, "deadline.extend", case_id, id, serde_json::json!({ "deadline_id": id, "days": body.days, "reason": body.reason, "due": due })).await
}

/// Stop a deadline's clock (中止计时), for a known interval or until resumed.
#[utoipa::path(
    post, path = "/api/v1/deadlines/{deadline_id}/stops", tag = "期限",
    params(("deadline_id" = Uuid, Path)), request_body = StopBody,
    responses((status = 200, body = DeadlineView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn stop(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<StopBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let body = body.into_inner();
    if body.reason.trim().is_empty() {
        return Err(ApiError::validation("reason", "请填写中止计时的事由"));
    }
    let id = path.into_inner();
    let calendar = deadlines::current(&engine.calendar);
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let d = load(uow.conn(), &actor, id).await?;
    let case_id = d.case_id;
    let (due, _) = clocks::stop(
        uow.conn(),
        &calendar,
        &engine.limits,
        d,
        body.from,
        body.to,
        body.reason.trim(),
    )
    .await
    .map_err(clock_error)?;
    finish(uow, &pool, &actor, "deadline.stop", case_id, id, serde_json::json!({ "deadline_id": id, "from": body.from, "to": body.to, "reason": body.reason, "due": due })).await
}

/// Resume a stopped clock (恢复计时): the stop ends on `to`.
#[utoipa::path(
    post, path = "/api/v1/deadlines/{deadline_id}/stops/resume", tag = "期限",
    params(("deadline_id" = Uuid, Path)), request_body = ResumeBody,
    responses((status = 200, body = DeadlineView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn resume(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ResumeBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let id = path.into_inner();
    let calendar = deadlines::current(&engine.calendar);
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let d = load(uow.conn(), &actor, id).await?;
    let case_id = d.case_id;
    let (due, _) = clocks::resume(uow.conn(), &calendar, &engine.limits, d, body.to)
        .await
        .map_err(clock_error)?;
    finish(
        uow,
        &pool,
        &actor,
        "deadline.resume",
        case_id,
        id,
        serde_json::json!({ "deadline_id": id, "to": body.to, "due": due }),
    )
    .await
}
