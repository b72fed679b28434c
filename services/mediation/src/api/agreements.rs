//! Outcome over HTTP (调解结果): the agreement (调解协议书 or 口头协议), judicial confirmation
//! (司法确认) and performance (履行).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    idempotency,
    time::today_in_china,
    Actor, ApiError,
};

use super::{
    mediations::end,
    support::{begin, mediation_for_step, ok, view, Begun, MediationView},
};
use crate::{
    domain::{
        agreement::{self, AgreementDraft, NewAgreement},
        referral::Status,
        text, MediationError,
    },
    events::publish,
    store::{
        agreements::{self, AgreementRow},
        mediations::{self, MediationRow},
    },
};

/// Record the agreement (达成调解协议, arts 28-31): written with every party's signature, or oral
/// with its content. The mediation ends; a petition's closes substantively (实体性办结) and the
/// written agreement is sent to the petitioner through notification (调解协议书).
#[utoipa::path(
    post, path = "/api/v1/mediations/{id}/agreement", tag = "调解", request_body = AgreementDraft,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 201, body = MediationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, mediation = %path))]
pub async fn agree(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<AgreementDraft>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let draft = body.into_inner();
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &(id, &draft)).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(resp) => return Ok(resp),
    };
    let m = mediation_for_step(uow.conn(), &actor, id).await?;
    m.status().require_under_way("记录调解协议")?;
    let Some(mediator_id) = m.mediator_id else {
        return Err(MediationError::conflict(
            "no_mediator",
            "调解协议须由调解员主持达成，请先指定调解员",
        )
        .into());
    };
    let parties: Vec<String> = mediations::parties(uow.conn(), id)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    let today = today_in_china();
    let new = NewAgreement::parse(&draft, &parties, today)?;
    let a = agreements::insert(uow.conn(), Uuid::now_v7(), id, &new).await?;
    let outcome = if a.form == "written" {
        "agreement"
    } else {
        "oral_agreement"
    };
    let reason = if a.form == "written" {
        "达成调解协议（调解协议书）"
    } else {
        "达成口头调解协议"
    };
    end(&mut uow, &m, Status::Agreed, outcome, reason, a.agreed_on).await?;
    uow.enqueue(&publish::agreement_reached(&m, &a, mediator_id))
        .await?;
    for notice in publish::agreement_notices(
        &m,
        &a,
        &parties,
        m.mediator_name.as_deref().unwrap_or_default(),
    ) {
        uow.enqueue(&notice).await?;
    }
    uow.audit(AuditEntry::by(&actor, "mediation.agreement", m.petition_id, json!({ "mediation_id": id, "agreement_id": a.id, "form": a.form, "effective_on": a.effective_on, "perform_by": a.perform_by })))
        .await?;
    let v = view(uow.conn(), id).await?;
    idempotency::created(uow, &actor, key.as_deref(), &v).await
}

async fn agreement_for_step(
    uow: &mut UnitOfWork<'_>,
    actor: &Actor,
    id: Uuid,
) -> Result<(AgreementRow, MediationRow), ApiError> {
    let a = agreements::load_for_update(uow.conn(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("调解协议不存在或无权查看"))?;
    let m = mediation_for_step(uow.conn(), actor, a.mediation_id).await?;
    Ok((a, m))
}

/// The parties' application to the court (申请司法确认).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationRequest {
    /// 受理法院
    pub court: String,
    pub applied_on: NaiveDate,
}

/// Record the parties' application for judicial confirmation (申请司法确认, art 33: within 30 days
/// of the agreement taking effect; supervision keeps that window as a clock).
#[utoipa::path(
    post, path = "/api/v1/agreements/{id}/judicial-confirmation", tag = "调解", request_body = ApplicationRequest,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 200, body = MediationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, agreement = %path))]
pub async fn apply(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ApplicationRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let r = body.into_inner();
    let court = text::required("court", "受理法院", &r.court, 100)?;
    if r.applied_on > today_in_china() {
        return Err(ApiError::validation("applied_on", "申请日期不能晚于今天"));
    }
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &(id, &r)).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(resp) => return Ok(resp),
    };
    let (a, m) = agreement_for_step(&mut uow, &actor, id).await?;
    agreement::check_application(&a.confirmation, a.effective_on, r.applied_on)?;
    agreements::applied(uow.conn(), id, &court, r.applied_on).await?;
    uow.enqueue(&publish::judicial_applied(&m, &a, &court, r.applied_on))
        .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "mediation.judicial_confirmation.apply",
        m.petition_id,
        json!({ "agreement_id": id, "court": court, "applied_on": r.applied_on }),
    ))
    .await?;
    let v = view(uow.conn(), m.id).await?;
    ok(uow, &actor, key.as_deref(), &v).await
}

/// The court's ruling (法院裁定).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulingRequest {
    /// 确认调解协议有效 (true) or 驳回申请 (false)
    pub confirmed: bool,
    pub ruled_on: NaiveDate,
    /// 裁定书文号与要旨
    pub ruling: String,
}

/// Record the court's ruling on the application (司法确认裁定).
#[utoipa::path(
    post, path = "/api/v1/agreements/{id}/judicial-ruling", tag = "调解", request_body = RulingRequest,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 200, body = MediationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, agreement = %path))]
pub async fn rule(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<RulingRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let r = body.into_inner();
    let ruling = text::required("ruling", "裁定内容", &r.ruling, 2_000)?;
    if r.ruled_on > today_in_china() {
        return Err(ApiError::validation("ruled_on", "裁定日期不能晚于今天"));
    }
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &(id, &r)).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(resp) => return Ok(resp),
    };
    let (a, m) = agreement_for_step(&mut uow, &actor, id).await?;
    agreement::check_ruling(&a.confirmation, a.applied_on, r.ruled_on)?;
    agreements::ruled(uow.conn(), id, r.confirmed, r.ruled_on, &ruling).await?;
    uow.enqueue(&publish::judicial_ruled(
        &m,
        &a,
        r.confirmed,
        &ruling,
        r.ruled_on,
    ))
    .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "mediation.judicial_confirmation.ruling",
        m.petition_id,
        json!({ "agreement_id": id, "confirmed": r.confirmed, "ruled_on": r.ruled_on }),
    ))
    .await?;
    let v = view(uow.conn(), m.id).await?;
    ok(uow, &actor, key.as_deref(), &v).await
}

/// Performance of the agreement (履行情况).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PerformanceRequest {
    pub performed: bool,
    /// 回访情况
    pub note: String,
    /// When not performed: `handling` (退回办理, default) or `supervision` (转督办)
    #[serde(default)]
    pub returned_to: Option<String>,
}

/// Record whether the agreement was performed (履行回访). Not performed: the case returns to
/// handling or to supervision (督办), its mediation history kept.
#[utoipa::path(
    post, path = "/api/v1/agreements/{id}/performance", tag = "调解", request_body = PerformanceRequest,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 200, body = MediationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, agreement = %path))]
pub async fn performance(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<PerformanceRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let r = body.into_inner();
    let note = text::required("note", "回访情况", &r.note, 2_000)?;
    let returned_to = match (r.performed, r.returned_to.as_deref()) {
        (true, _) => None,
        (false, None) => Some("handling".to_string()),
        (false, Some(to)) => Some(agreement::parse_return(to)?),
    };
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &(id, &r)).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(resp) => return Ok(resp),
    };
    let (a, m) = agreement_for_step(&mut uow, &actor, id).await?;
    agreement::check_performance_open(&a.performance)?;
    let today = today_in_china();
    let mediator_id = m.mediator_id.unwrap_or_default();
    match &returned_to {
        None => {
            agreements::performed(uow.conn(), id, today, Some(&note)).await?;
            uow.enqueue(&publish::performed(&m, &a, mediator_id, today))
                .await?;
        }
        Some(to) => {
            agreements::not_performed(uow.conn(), id, today, to, &note).await?;
            uow.enqueue(&publish::not_performed(
                &m,
                &a,
                mediator_id,
                to,
                &note,
                today,
            ))
            .await?;
        }
    }
    uow.audit(AuditEntry::by(
        &actor,
        if r.performed {
            "mediation.agreement.performed"
        } else {
            "mediation.agreement.not_performed"
        },
        m.petition_id,
        json!({ "agreement_id": id, "note": note, "returned_to": returned_to }),
    ))
    .await?;
    let v = view(uow.conn(), m.id).await?;
    ok(uow, &actor, key.as_deref(), &v).await
}
