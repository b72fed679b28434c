//! Handling (办理): entries (调查核实、会商、约谈、证据、征求意见), the extension (延期, art 34) and
//! closure by hand (办结: 和解, or 程序性办结 with its ground).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_contracts::review::{ExtensionDecidedV1, ExtensionRequestedV1};
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::AuditExt, directory::Directory, error::ErrorBody, idempotency, time::today_in_china,
    Actor, ApiError, Permission,
};

use crate::{
    api::support::{can_see, ensure_head_of, ensure_level_unit, Changed},
    domain::{
        inputs::{act_date, text, Attachment, ManualClosure, NewEntry},
        ladder::check_extension_request,
        ReviewError,
    },
    events::{
        publish::envelope,
        steps::{self, Closing, Who},
    },
    store::{cases, clocks, records},
};

/// Most days one extension may add (art 34).
pub const MAX_EXTENSION_DAYS: u32 = 30;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryBody {
    /// The case version the caller read.
    pub version: i32,
    /// `investigation` (调查核实) | `meeting` (会商) | `talk` (约谈信访人) | `evidence` (证据) |
    /// `consultation` (征求相关单位意见)
    pub kind: String,
    pub occurred_on: NaiveDate,
    pub summary: String,
    /// For a consultation: the unit consulted.
    pub consulted_unit: Option<String>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
}

/// Record an entry (办理记录): timestamped, attributed, audited.
#[utoipa::path(
    post, path = "/api/v1/handling/cases/{case_id}/entries", tag = "办理",
    params(("case_id" = Uuid, Path)), request_body = EntryBody,
    responses((status = 201, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, case_id = %path))]
pub async fn add_entry(
    actor: Actor,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: web::Json<EntryBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let key = idempotency::key_of(&req)?;
    if let Some(unit) = body
        .consulted_unit
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
    {
        directory.require_active("consulted_unit", unit)?;
    }
    let today = today_in_china();
    let entry = NewEntry::parse(
        &body.kind,
        body.occurred_on,
        &body.summary,
        body.consulted_unit.as_deref(),
        body.attachments.clone(),
        today,
    )?;
    let case_id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    if let Some(replay) =
        idempotency::begin_request(uow.conn(), &actor, key.as_deref(), &*body).await?
    {
        return Ok(replay);
    }
    let case = cases::lock_at_version(uow.conn(), case_id, body.version, can_see(&actor)).await?;
    ensure_level_unit(&actor, &case)?;
    case.position()?.ensure_in_progress()?;
    let id = Uuid::now_v7();
    records::insert_entry(uow.conn(), id, case_id, &entry, &actor.user_id, &actor.unit).await?;
    let version = cases::touch(uow.conn(), case_id).await?;
    uow.audit(Who::Person(&actor).entry(
        "handling.entry",
        case_id,
        serde_json::json!({ "entry_id": id, "kind": entry.kind, "occurred_on": entry.occurred_on,
                            "attachments": entry.attachments.len() }),
    ))
    .await?;
    idempotency::created(
        uow,
        &actor,
        key.as_deref(),
        &Changed {
            id: Some(id),
            case_id,
            version,
        },
    )
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionBody {
    pub version: i32,
    /// 延长日数 (at most 30)
    pub days: u32,
    /// 延期理由 (told to the petitioner)
    pub reason: String,
    /// 申请日期 (date of the act), when entered later than it was made: not in the future, not
    /// before handling began; default today. "After the due date" is judged on it.
    #[serde(default)]
    pub requested_on: Option<NaiveDate>,
}

/// Request the one extension (申请延期, art 34): at most 30 days, before the handling clock is due.
#[utoipa::path(
    post, path = "/api/v1/handling/cases/{case_id}/extensions", tag = "办理",
    params(("case_id" = Uuid, Path)), request_body = ExtensionBody,
    responses((status = 201, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, case_id = %path))]
pub async fn request_extension(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ExtensionBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let reason = text("reason", "延期理由", &body.reason, 2000)?;
    let case_id = path.into_inner();
    let today = today_in_china();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = cases::lock_at_version(uow.conn(), case_id, body.version, can_see(&actor)).await?;
    ensure_level_unit(&actor, &case)?;
    case.position()?.ensure_handling()?;
    let requested_on = act_date(
        "requested_on",
        "延期申请日期",
        body.requested_on,
        today,
        case.started_on,
        "开始办理之日",
    )?;
    let earlier = records::live_extensions(uow.conn(), case_id).await?;
    let due = clocks::get(uow.conn(), case_id, "handling")
        .await?
        .and_then(|c| c.due_on);
    check_extension_request(body.days, MAX_EXTENSION_DAYS, earlier, requested_on, due)?;
    let id = Uuid::now_v7();
    records::insert_extension(
        uow.conn(),
        id,
        case_id,
        body.days,
        &reason,
        &actor.user_id,
        requested_on,
        due,
    )
    .await?;
    let version = cases::touch(uow.conn(), case_id).await?;
    let event = ExtensionRequestedV1 {
        extension_id: id,
        petition_id: case_id,
        case_number: case.case_number.clone(),
        unit: case.unit_code.clone(),
        days: body.days,
        reason: reason.clone(),
        requested_on,
    };
    uow.enqueue(&envelope(&event, case_id, None)).await?;
    uow.audit(Who::Person(&actor).entry(
        "extension.request",
        case_id,
        serde_json::json!({ "extension_id": id, "days": body.days, "reason": reason, "due_on": due,
                            "requested_on": requested_on, "entered_by": actor.user_id,
                            "entered_on": today, "entered_late": requested_on < today }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(Changed {
        id: Some(id),
        case_id,
        version,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtensionDecisionBody {
    pub version: i32,
    pub approve: bool,
    /// 审批意见
    pub note: Option<String>,
    /// 审批日期 (date of the act), when entered later than it was made: not in the future, not
    /// before the request; default today.
    #[serde(default)]
    pub decided_on: Option<NaiveDate>,
}

/// Approve or reject an extension (批准 / 不批准延期): the head of the handling unit, never the one
/// who asked. On approval supervision moves the handling clock and the 延期告知书 follows.
#[utoipa::path(
    post, path = "/api/v1/handling/cases/{case_id}/extensions/{extension_id}/decision", tag = "办理",
    params(("case_id" = Uuid, Path), ("extension_id" = Uuid, Path)), request_body = ExtensionDecisionBody,
    responses((status = 200, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn decide_extension(
    actor: Actor,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<ExtensionDecisionBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let (case_id, extension_id) = path.into_inner();
    let today = today_in_china();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = cases::lock_at_version(uow.conn(), case_id, body.version, can_see(&actor)).await?;
    let ext = records::extension(uow.conn(), extension_id)
        .await?
        .filter(|e| e.case_id == case_id)
        .ok_or(ReviewError::RecordHidden)?;
    ensure_head_of(&actor, &case.unit_code)?;
    if ext.requested_by == actor.user_id {
        return Err(ReviewError::SelfApproval.into());
    }
    if ext.status != "requested" {
        return Err(ReviewError::not_allowed("该延期申请已经审批").into());
    }
    case.position()?.ensure_handling()?;
    let decided_on = act_date(
        "decided_on",
        "延期审批日期",
        body.decided_on,
        today,
        ext.requested_on,
        "延期申请之日",
    )?;
    let note = body
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    records::decide_extension(
        uow.conn(),
        extension_id,
        body.approve,
        &actor.user_id,
        decided_on,
        note,
    )
    .await?;
    let version = cases::touch(uow.conn(), case_id).await?;
    let event = ExtensionDecidedV1 {
        extension_id,
        petition_id: case_id,
        case_number: case.case_number.clone(),
        unit: case.unit_code.clone(),
        approved: body.approve,
        days: ext.days.max(0) as u32,
        reason: ext.reason.clone(),
        decided_on,
    };
    uow.enqueue(&envelope(&event, case_id, None)).await?;
    uow.audit(Who::Person(&actor).entry(
        if body.approve {
            "extension.approve"
        } else {
            "extension.reject"
        },
        case_id,
        serde_json::json!({ "extension_id": extension_id, "days": ext.days, "note": note,
                            "decided_on": decided_on, "entered_by": actor.user_id,
                            "entered_on": today, "entered_late": decided_on < today }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(Changed {
        id: Some(extension_id),
        case_id,
        version,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureBody {
    pub version: i32,
    /// `settlement` (和解, 实体性办结) | `declined` | `withdrawn` | `referred` | `unreachable`
    /// (程序性办结)
    pub ground: String,
    pub reason: String,
}

/// Close handling without an opinion (办结): by settlement (实体性), or on procedure only (程序性:
/// declined, withdrawn, referred, unreachable), with the reason. Supervision counts each kind.
#[utoipa::path(
    post, path = "/api/v1/handling/cases/{case_id}/closure", tag = "办理",
    params(("case_id" = Uuid, Path)), request_body = ClosureBody,
    responses((status = 200, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, case_id = %path))]
pub async fn close(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ClosureBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let closure = ManualClosure::parse(&body.ground, &body.reason)?;
    let case_id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = cases::lock_at_version(uow.conn(), case_id, body.version, can_see(&actor)).await?;
    ensure_level_unit(&actor, &case)?;
    case.position()?.ensure_handling()?;
    let version = steps::close_handling(
        &mut uow,
        Who::Person(&actor),
        &case,
        Closing {
            closure: closure.closure,
            ground: closure.ground,
            reason: &closure.reason,
            on: today_in_china(),
            outcome: None,
            close_case: true,
        },
        None,
    )
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(Changed {
        id: None,
        case_id,
        version,
    }))
}
