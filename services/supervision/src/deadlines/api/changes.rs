//! Moving a deadline: approved extensions (延期) and clock stops (中止计时), scoped to the deadline's
//! unit. Each re-projects the due date and moves the timers in one transaction.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_contracts::{deadline_changes::DeadlineChangedV1, Envelope};
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    Actor, ApiError, Permission, Role,
};

use crate::{
    deadlines::{
        api::case_deadlines::{views_of, DeadlineView},
        domain::{
            calendar::{current, Engine},
            deadline::StoredDeadline,
        },
        store::deadlines,
    },
    domain::error::SupervisionError,
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

/// A change to one deadline, as the audit records it.
enum Change<'a> {
    Extend(&'a ExtensionBody),
    Stop(&'a StopBody),
    Resume(&'a ResumeBody),
}

impl Change<'_> {
    fn action(&self) -> &'static str {
        match self {
            Change::Extend(_) => "deadline.extend",
            Change::Stop(_) => "deadline.stop",
            Change::Resume(_) => "deadline.resume",
        }
    }

    fn apply(&self, d: &mut StoredDeadline, engine: &Engine) -> Result<(), SupervisionError> {
        match self {
            Change::Extend(b) => d.extend(&engine.limits, b.days, b.reason.trim()),
            Change::Stop(b) => {
                d.ensure_stoppable()?;
                d.stop(b.from, b.to, b.reason.trim())
            }
            Change::Resume(b) => d.resume(b.to),
        }
    }

    /// The event that puts the change on the case timeline (who, what, why).
    fn event(
        &self,
        d: &StoredDeadline,
        due: Option<NaiveDate>,
        actor: &Actor,
    ) -> DeadlineChangedV1 {
        let (change, days, from, to, reason) = match self {
            Change::Extend(b) => (
                "extend",
                Some(b.days),
                None,
                None,
                Some(b.reason.trim().to_string()),
            ),
            Change::Stop(b) => (
                "stop",
                None,
                Some(b.from),
                b.to,
                Some(b.reason.trim().to_string()),
            ),
            Change::Resume(b) => ("resume", None, None, Some(b.to), None),
        };
        DeadlineChangedV1 {
            deadline_id: d.id,
            case_id: d.case_id,
            case_number: d.case_number.clone(),
            kind: d.kind.as_str().to_string(),
            change: change.to_string(),
            days,
            from,
            to,
            reason,
            due_date: due,
            unit: d.unit_code.clone(),
            by_user: actor.user_id.clone(),
            by_unit: actor.unit.clone(),
        }
    }

    fn details(&self, id: Uuid, due: Option<NaiveDate>) -> serde_json::Value {
        match self {
            Change::Extend(b) => {
                serde_json::json!({ "deadline_id": id, "days": b.days, "reason": b.reason, "due": due })
            }
            Change::Stop(b) => {
                serde_json::json!({ "deadline_id": id, "from": b.from, "to": b.to, "reason": b.reason, "due": due })
            }
            Change::Resume(b) => serde_json::json!({ "deadline_id": id, "to": b.to, "due": due }),
        }
    }
}

/// Lock the deadline, check the caller may act on it (other units: 404), apply the change,
/// re-project, audit and commit; answer with the deadline as it now stands.
#[tracing::instrument(skip_all, fields(deadline_id = %id, action = change.action()))]
async fn change_deadline(
    actor: &Actor,
    id: Uuid,
    change: Change<'_>,
    pool: &PgPool,
    waker: &OutboxWaker,
    engine: &Engine,
) -> Result<HttpResponse, ApiError> {
    let calendar = current(&engine.calendar);
    let mut uow = UnitOfWork::begin(pool, waker).await?;
    let mut d = deadlines::load_for_update(uow.conn(), id)
        .await?
        .filter(|d| actor.can_see_unit(&d.unit_code))
        .ok_or(SupervisionError::DeadlineNotFound)?;
    // Approved by the unit head of the unit that handles the case (本机关负责人, art 34), not by
    // another unit's head, however county-wide its view.
    if !(actor.roles.contains(&Role::UnitHead) && actor.unit == d.unit_code) {
        return Err(SupervisionError::NotDeadlineUnitHead.into());
    }
    change.apply(&mut d, engine)?;
    let (due, _) =
        deadlines::save_projection(uow.conn(), &calendar, &engine.limits.engine, &d, None).await?;
    let event = change.event(&d, due, actor);
    uow.enqueue(&Envelope::new(&event, Some(d.case_id), None, None))
        .await?;
    uow.audit(AuditEntry::by(
        actor,
        change.action(),
        Some(d.case_id),
        change.details(id, due),
    ))
    .await?;
    uow.commit().await?;
    let view: Option<DeadlineView> = views_of(pool, d.case_id)
        .await?
        .into_iter()
        .find(|v| v.id == id);
    Ok(HttpResponse::Ok().json(view))
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
    if body.reason.trim().is_empty() {
        return Err(ApiError::validation("reason", "请填写延期理由"));
    }
    change_deadline(
        &actor,
        path.into_inner(),
        Change::Extend(&body),
        &pool,
        &waker,
        &engine,
    )
    .await
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
    if !actor.roles.contains(&Role::UnitHead) {
        return Err(ApiError::forbidden("中止计时须经本机关负责人批准"));
    }
    if body.reason.trim().is_empty() {
        return Err(ApiError::validation("reason", "请填写中止计时的事由"));
    }
    change_deadline(
        &actor,
        path.into_inner(),
        Change::Stop(&body),
        &pool,
        &waker,
        &engine,
    )
    .await
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
    change_deadline(
        &actor,
        path.into_inner(),
        Change::Resume(&body),
        &pool,
        &waker,
        &engine,
    )
    .await
}
