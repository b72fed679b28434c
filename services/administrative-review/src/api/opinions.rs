//! Opinions (意见书): drafted by the handler, approved by the unit head, issued (then immutable: a
//! correction is a new opinion linked to it), delivered (送达) with method and proof, and for a 支持
//! opinion implemented (落实). An organ outside the deployment's decision is recorded as it comes back.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_contracts::review::ImplementationCompletedV1;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::AuditExt, directory::Directory, error::ErrorBody, idempotency, time::today_in_china,
    Actor, ApiError, Permission,
};

use crate::{
    api::support::{can_see, ensure_head_of, ensure_level_unit, Changed},
    domain::{
        inputs::{optional_text, past_date, text, Delivery, OpinionDraft},
        ladder::{Level, Step},
        ReviewError,
    },
    events::{
        publish::envelope,
        steps::{self, Who},
    },
    store::{
        cases::{self, CaseRow},
        records::{self, OpinionRow},
    },
};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftBody {
    pub version: i32,
    /// handling: `support` (支持) | `explain` (解释说明) | `reject` (不予支持); review and
    /// re-review: `uphold` (维持) | `revoke` (撤销) | `modify` (变更)
    pub outcome: String,
    /// 事实
    pub facts: String,
    /// 理由
    pub reasons: String,
    /// 法律法规依据
    pub legal_basis: String,
    /// 落实事项 (支持 / 变更 only), with its unit and date
    pub implementation_task: Option<String>,
    pub implementing_unit: Option<String>,
    pub implement_by: Option<NaiveDate>,
    /// The issued opinion this one corrects (更正).
    pub corrects: Option<Uuid>,
}

/// Draft the current level's opinion (起草意见书), or a correction of an issued one.
#[utoipa::path(
    post, path = "/api/v1/handling/cases/{case_id}/opinions", tag = "意见书",
    params(("case_id" = Uuid, Path)), request_body = DraftBody,
    responses((status = 201, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, case_id = %path))]
pub async fn draft(
    actor: Actor,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: web::Json<DraftBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let key = idempotency::key_of(&req)?;
    if let Some(unit) = body.implementing_unit.as_deref() {
        directory.require_active("implementing_unit", unit.trim())?;
    }
    let case_id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    if let Some(replay) =
        idempotency::begin_request(uow.conn(), &actor, key.as_deref(), &*body).await?
    {
        return Ok(replay);
    }
    let case = cases::lock_at_version(uow.conn(), case_id, body.version, can_see(&actor)).await?;
    ensure_level_unit(&actor, &case)?;
    let level = match body.corrects {
        None => {
            case.position()?.ensure_in_progress()?;
            case.current_level()
        }
        Some(corrected) => {
            let original = records::opinion(uow.conn(), corrected)
                .await?
                .filter(|o| o.case_id == case_id && o.status == "issued")
                .ok_or_else(|| {
                    ReviewError::invalid("corrects", "被更正的意见书不存在或尚未出具")
                })?;
            if case.position()?.step == Step::Final || original.issuing_unit != actor.unit {
                return Err(ReviewError::not_allowed("只有出具机关可以在终结前更正意见书").into());
            }
            Level::parse(&original.level).unwrap_or(Level::Handling)
        }
    };
    let d = OpinionDraft::parse(
        level,
        &body.outcome,
        &body.facts,
        &body.reasons,
        &body.legal_basis,
        body.implementation_task.as_deref(),
        body.implementing_unit.as_deref(),
        body.implement_by,
        today_in_china(),
    )?;
    if records::open_draft(uow.conn(), case_id, level.as_str())
        .await?
        .is_some()
    {
        return Err(
            ReviewError::not_allowed("本级已有未出具的意见书草稿，请先出具或修改该草稿").into(),
        );
    }
    let id = Uuid::now_v7();
    records::insert_opinion(
        uow.conn(),
        id,
        case_id,
        &d,
        &actor.unit,
        &actor.user_id,
        body.corrects,
        false,
    )
    .await?;
    let version = cases::touch(uow.conn(), case_id).await?;
    uow.audit(Who::Person(&actor).entry(
        "opinion.draft",
        case_id,
        serde_json::json!({ "opinion_id": id, "level": level.as_str(), "outcome": d.outcome, "corrects": body.corrects }),
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

/// Load an opinion and its case for a change at `version`.
async fn locked(
    uow: &mut UnitOfWork<'_>,
    actor: &Actor,
    opinion_id: Uuid,
    version: i32,
) -> Result<(CaseRow, OpinionRow), ReviewError> {
    // The opinion's case, locked with its units in one statement; the opinion read under the lock.
    let case = cases::lock_for_change(
        uow.conn(),
        cases::CaseOf::Opinion(opinion_id),
        version,
        can_see(actor),
    )
    .await
    .map_err(|e| match e {
        ReviewError::CaseHidden => ReviewError::OpinionHidden,
        other => other,
    })?;
    let opinion = records::opinion(uow.conn(), opinion_id)
        .await?
        .ok_or(ReviewError::OpinionHidden)?;
    Ok((case, opinion))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditBody {
    pub version: i32,
    /// As when drafted: the outcomes of the opinion's level
    pub outcome: String,
    /// 事实
    pub facts: String,
    /// 理由
    pub reasons: String,
    /// 法律法规依据
    pub legal_basis: String,
    /// 落实事项 (支持 / 变更 only), with its unit and date
    pub implementation_task: Option<String>,
    pub implementing_unit: Option<String>,
    pub implement_by: Option<NaiveDate>,
}

/// Edit a draft opinion before it is issued (修改意见书草稿): the issuing unit's handler; an
/// approved draft needs approving again. An issued opinion never changes (409: correct it with a
/// new, linked opinion).
#[utoipa::path(
    put, path = "/api/v1/handling/opinions/{opinion_id}", tag = "意见书",
    params(("opinion_id" = Uuid, Path)), request_body = EditBody,
    responses((status = 200, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "意见书已出具或已撤回，或版本已变"),
              (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, opinion_id = %path))]
pub async fn edit(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<EditBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    if let Some(unit) = body.implementing_unit.as_deref() {
        directory.require_active("implementing_unit", unit.trim())?;
    }
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let (case, opinion) = locked(&mut uow, &actor, path.into_inner(), body.version).await?;
    if opinion.issuing_unit != actor.unit {
        return Err(ReviewError::NotResponsibleUnit.into());
    }
    ensure_unissued(&opinion)?;
    let level = Level::parse(&opinion.level).unwrap_or(Level::Handling);
    let d = OpinionDraft::parse(
        level,
        &body.outcome,
        &body.facts,
        &body.reasons,
        &body.legal_basis,
        body.implementation_task.as_deref(),
        body.implementing_unit.as_deref(),
        body.implement_by,
        today_in_china(),
    )?;
    if !records::edit_opinion(uow.conn(), opinion.id, &d).await? {
        return Err(ReviewError::not_allowed(
            "意见书已出具，不能修改；如需更正，请出具新的更正意见书",
        )
        .into());
    }
    let version = cases::touch(uow.conn(), case.case_id).await?;
    uow.audit(Who::Person(&actor).entry(
        "opinion.edit",
        case.case_id,
        serde_json::json!({ "opinion_id": opinion.id, "level": level.as_str(), "outcome": d.outcome,
                            "was": { "status": opinion.status, "outcome": opinion.outcome },
                            "approval_reset": opinion.status == "approved" }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(Changed {
        id: Some(opinion.id),
        case_id: case.case_id,
        version,
    }))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    pub version: i32,
    /// 撤回理由
    pub reason: String,
}

/// Withdraw a draft opinion before it is issued (撤回意见书草稿): kept on record; a new draft may
/// follow. An issued opinion cannot be withdrawn (409).
#[utoipa::path(
    post, path = "/api/v1/handling/opinions/{opinion_id}/withdrawal", tag = "意见书",
    params(("opinion_id" = Uuid, Path)), request_body = WithdrawBody,
    responses((status = 200, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "意见书已出具或已撤回，或版本已变"),
              (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, opinion_id = %path))]
pub async fn withdraw(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<WithdrawBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let (case, opinion) = locked(&mut uow, &actor, path.into_inner(), body.version).await?;
    if opinion.issuing_unit != actor.unit {
        return Err(ReviewError::NotResponsibleUnit.into());
    }
    ensure_unissued(&opinion)?;
    let reason = text("reason", "撤回理由", &body.reason, 2000)?;
    if !records::withdraw_opinion(uow.conn(), opinion.id, &actor.user_id, &reason).await? {
        return Err(ReviewError::not_allowed("意见书已出具，不能撤回").into());
    }
    let version = cases::touch(uow.conn(), case.case_id).await?;
    uow.audit(Who::Person(&actor).entry(
        "opinion.withdraw",
        case.case_id,
        serde_json::json!({ "opinion_id": opinion.id, "level": opinion.level, "was": opinion.status, "reason": reason }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(Changed {
        id: Some(opinion.id),
        case_id: case.case_id,
        version,
    }))
}

/// Only an opinion not yet issued (草稿或已审批) may be edited or withdrawn.
fn ensure_unissued(opinion: &OpinionRow) -> Result<(), ReviewError> {
    match opinion.status.as_str() {
        "draft" | "approved" => Ok(()),
        "withdrawn" => Err(ReviewError::not_allowed("该意见书草稿已撤回")),
        _ => Err(ReviewError::not_allowed(
            "意见书已出具，不能修改或撤回；如需更正，请出具新的更正意见书",
        )),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VersionBody {
    pub version: i32,
}

/// Approve a draft (审批意见书): the head of the issuing unit.
#[utoipa::path(
    post, path = "/api/v1/handling/opinions/{opinion_id}/approval", tag = "意见书",
    params(("opinion_id" = Uuid, Path)), request_body = VersionBody,
    responses((status = 200, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, opinion_id = %path))]
pub async fn approve(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<VersionBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let (case, opinion) = locked(&mut uow, &actor, path.into_inner(), body.version).await?;
    ensure_head_of(&actor, &opinion.issuing_unit)?;
    if opinion.status != "draft" {
        return Err(ReviewError::not_allowed("只能审批草稿状态的意见书").into());
    }
    records::approve_opinion(uow.conn(), opinion.id, &actor.user_id).await?;
    let version = cases::touch(uow.conn(), case.case_id).await?;
    uow.audit(Who::Person(&actor).entry(
        "opinion.approve",
        case.case_id,
        serde_json::json!({ "opinion_id": opinion.id }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(Changed {
        id: Some(opinion.id),
        case_id: case.case_id,
        version,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueBody {
    pub version: i32,
    /// 成文日期 (default today; not in the future)
    pub issued_on: Option<NaiveDate>,
    /// 文号
    pub document_number: Option<String>,
}

/// Issue an approved opinion (出具): immutable from now on; the document goes to the petitioner
/// through notification; a handling opinion closes handling substantively (实体性办结).
#[utoipa::path(
    post, path = "/api/v1/handling/opinions/{opinion_id}/issue", tag = "意见书",
    params(("opinion_id" = Uuid, Path)), request_body = IssueBody,
    responses((status = 200, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, opinion_id = %path))]
pub async fn issue(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<IssueBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let today = today_in_china();
    let issued_on = past_date(
        "issued_on",
        "成文日期",
        body.issued_on.unwrap_or(today),
        today,
    )?;
    let document_number = optional_text(
        "document_number",
        "文号",
        body.document_number.as_deref(),
        100,
    )?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let (case, opinion) = locked(&mut uow, &actor, path.into_inner(), body.version).await?;
    if actor.unit != opinion.issuing_unit {
        return Err(ReviewError::NotResponsibleUnit.into());
    }
    match opinion.status.as_str() {
        "approved" => {}
        "draft" => {
            return Err(ReviewError::not_allowed("意见书须经单位负责人审批后方可出具").into())
        }
        _ => {
            return Err(ReviewError::not_allowed(
                "意见书已出具，不得修改；如需更正请另行出具更正意见书",
            )
            .into())
        }
    }
    if issued_on < case.started_on {
        return Err(ReviewError::invalid(
            "issued_on",
            format!("成文日期不能早于受理日期 {}", case.started_on),
        )
        .into());
    }
    let version = if opinion.corrects.is_some() {
        issue_correction(
            &mut uow,
            &directory,
            &actor,
            &case,
            &opinion,
            issued_on,
            document_number.as_deref(),
        )
        .await?
    } else {
        steps::issue_opinion(
            &mut uow,
            &directory,
            Who::Person(&actor),
            &case,
            &opinion,
            issued_on,
            document_number.as_deref(),
        )
        .await?
    };
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(Changed {
        id: Some(opinion.id),
        case_id: case.case_id,
        version,
    }))
}

/// A correction (更正意见书) is issued and sent like the original, without moving the case.
async fn issue_correction(
    uow: &mut UnitOfWork<'_>,
    directory: &Directory,
    actor: &Actor,
    case: &CaseRow,
    opinion: &OpinionRow,
    issued_on: NaiveDate,
    document_number: Option<&str>,
) -> Result<i32, ReviewError> {
    // Issue it as if the level were at "in progress", then put the case back where it was.
    let mut as_in_progress = case.clone();
    as_in_progress.level = opinion.level.clone();
    as_in_progress.step = "in_progress".into();
    steps::issue_opinion(
        uow,
        directory,
        Who::Person(actor),
        &as_in_progress,
        opinion,
        issued_on,
        document_number,
    )
    .await?;
    let position = case.position()?;
    Ok(cases::move_to(uow.conn(), case.case_id, position, &case.level_unit).await?)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryBody {
    pub version: i32,
    /// The day the petitioner received it (收到之日): the window runs from here.
    pub delivered_on: NaiveDate,
    /// `in_person` | `post` | `electronic` | `left_at_address` | `public_announcement`
    pub method: String,
    /// 送达回证: who signed and when, the post tracking number, or the electronic receipt.
    pub proof: Option<String>,
}

/// Record delivery by hand (送达): method, date and proof. The re-review opinion's delivery makes
/// the case final.
#[utoipa::path(
    post, path = "/api/v1/handling/opinions/{opinion_id}/delivery", tag = "意见书",
    params(("opinion_id" = Uuid, Path)), request_body = DeliveryBody,
    responses((status = 200, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, opinion_id = %path))]
pub async fn deliver(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<DeliveryBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let (case, opinion) = locked(&mut uow, &actor, path.into_inner(), body.version).await?;
    // The issuing organ records it; for an outside organ's decision, the unit that recorded it.
    if actor.unit != opinion.issuing_unit
        && !(opinion.external && (actor.bureau || actor.unit == case.unit_code))
    {
        return Err(ReviewError::NotResponsibleUnit.into());
    }
    let Some(issued_on) = opinion.issued_on else {
        return Err(ReviewError::not_allowed("意见书尚未出具，不能送达").into());
    };
    if opinion.delivered_on.is_some() {
        return Err(ReviewError::not_allowed("该意见书的送达已经登记").into());
    }
    let delivery = Delivery::parse(
        body.delivered_on,
        &body.method,
        body.proof.as_deref(),
        issued_on,
        today_in_china(),
    )?;
    let version = steps::record_delivery(
        &mut uow,
        Who::Person(&actor),
        &case,
        &opinion,
        &delivery,
        "handler",
        None,
    )
    .await?
    .ok_or_else(|| ReviewError::not_allowed("该意见书的送达已经登记"))?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(Changed {
        id: Some(opinion.id),
        case_id: case.case_id,
        version,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImplementationBody {
    pub version: i32,
    pub completed_on: NaiveDate,
    /// 落实情况
    pub note: String,
}

/// Record that a 支持 opinion was carried out (落实完毕): the implementation clock is met.
#[utoipa::path(
    post, path = "/api/v1/handling/opinions/{opinion_id}/implementation", tag = "意见书",
    params(("opinion_id" = Uuid, Path)), request_body = ImplementationBody,
    responses((status = 200, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, opinion_id = %path))]
pub async fn implemented(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ImplementationBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let note = text("note", "落实情况", &body.note, 4000)?;
    let completed_on = past_date(
        "completed_on",
        "落实日期",
        body.completed_on,
        today_in_china(),
    )?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let (case, opinion) = locked(&mut uow, &actor, path.into_inner(), body.version).await?;
    let unit = opinion.implementing_unit.clone().unwrap_or_default();
    if actor.unit != unit && actor.unit != opinion.issuing_unit {
        return Err(ReviewError::NotResponsibleUnit.into());
    }
    if !records::complete_implementation(uow.conn(), opinion.id, completed_on, &note).await? {
        return Err(ReviewError::not_allowed("该意见书没有待落实的事项，或已登记落实").into());
    }
    let version = cases::touch(uow.conn(), case.case_id).await?;
    let event = ImplementationCompletedV1 {
        opinion_id: opinion.id,
        petition_id: case.case_id,
        case_number: case.case_number.clone(),
        unit,
        completed_on,
    };
    uow.enqueue(&envelope(&event, case.case_id, None)).await?;
    uow.audit(Who::Person(&actor).entry(
        "opinion.implemented",
        case.case_id,
        serde_json::json!({ "opinion_id": opinion.id, "completed_on": completed_on }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(Changed {
        id: Some(opinion.id),
        case_id: case.case_id,
        version,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExternalDecisionBody {
    pub version: i32,
    /// `uphold` (维持) | `revoke` (撤销) | `modify` (变更)
    pub outcome: String,
    pub facts: String,
    pub reasons: String,
    pub legal_basis: String,
    pub issued_on: NaiveDate,
    pub document_number: Option<String>,
}

/// Record the decision of an organ outside this deployment (e.g. the city) on a forwarded review or
/// re-review request, as it comes back (外部机关复查 / 复核意见): it is issued as that organ's opinion.
#[utoipa::path(
    post, path = "/api/v1/handling/cases/{case_id}/external-decisions", tag = "复查复核",
    params(("case_id" = Uuid, Path)), request_body = ExternalDecisionBody,
    responses((status = 201, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, case_id = %path))]
pub async fn external_decision(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ExternalDecisionBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let today = today_in_china();
    let issued_on = past_date("issued_on", "成文日期", body.issued_on, today)?;
    let case_id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = cases::lock_at_version(uow.conn(), case_id, body.version, can_see(&actor)).await?;
    let position = case.position()?;
    position.ensure_in_progress()?;
    if position.level == Level::Handling
        || !records::forwarded(uow.conn(), case_id, position.level.as_str()).await?
    {
        return Err(ReviewError::not_allowed(
            "只有转交本地区以外机关的复查、复核请求才登记外部机关的意见",
        )
        .into());
    }
    if !(actor.bureau || actor.unit == case.unit_code) {
        return Err(ReviewError::NotResponsibleUnit.into());
    }
    let d = OpinionDraft::parse(
        position.level,
        &body.outcome,
        &body.facts,
        &body.reasons,
        &body.legal_basis,
        None,
        None,
        None,
        today,
    )?;
    let id = Uuid::now_v7();
    records::insert_opinion(
        uow.conn(),
        id,
        case_id,
        &d,
        &case.level_unit,
        &actor.user_id,
        None,
        true,
    )
    .await?;
    records::approve_opinion(uow.conn(), id, &actor.user_id).await?;
    let opinion = records::opinion(uow.conn(), id)
        .await?
        .ok_or(ReviewError::OpinionHidden)?;
    let document_number = optional_text(
        "document_number",
        "文号",
        body.document_number.as_deref(),
        100,
    )?;
    let version = steps::issue_opinion(
        &mut uow,
        &directory,
        Who::Person(&actor),
        &case,
        &opinion,
        issued_on,
        document_number.as_deref(),
    )
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(Changed {
        id: Some(id),
        case_id,
        version,
    }))
}
