//! Referral and the steps before and around the sessions (引调、当事人意愿、选定调解员、回避、撤回、
//! 调解不成): each step is one transaction with its audit row and its events.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    idempotency,
    time::today_in_china,
    Actor, ApiError,
};

use super::support::{begin, mediation_for_step, ok, view, Begun, MediationView};
use crate::{
    domain::{
        access,
        mediator_choice::{explain, recusal, Exclusion, Suggestion, RANKING_RULE},
        referral::{
            after_answer, mediable_category, parse_parties, ConsentAnswer, Party, Stage, Status,
        },
        text, MediationError,
    },
    events::publish,
    store::{
        cases, directory, disputes,
        mediations::{self, MediationRow, NewMediation},
        suggest,
    },
};

/// A referral to mediation (引导调解).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralRequest {
    /// The petition (信访件), or
    #[serde(default)]
    pub petition_id: Option<Uuid>,
    /// the registered dispute (矛盾纠纷) of a pre-petition referral.
    #[serde(default)]
    pub dispute_id: Option<Uuid>,
    /// `acceptance` | `handling` | `pre_petition`
    pub stage: String,
    /// 调解组织
    pub body_id: Uuid,
    pub parties: Vec<Party>,
    /// 纠纷概况
    pub summary: String,
}

/// Refer a petition or a registered dispute to a mediation body (引调). The parties' consent is
/// recorded next; nothing else happens before every party has consented.
#[utoipa::path(
    post, path = "/api/v1/mediations", tag = "调解", request_body = ReferralRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 201, body = MediationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "已在调解中"), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn refer(
    req: HttpRequest,
    actor: Actor,
    body: web::Json<ReferralRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let r = body.into_inner();
    let stage = Stage::parse(&r.stage)?;
    let parties = parse_parties(&r.parties)?;
    let summary = text::required("summary", "纠纷概况", &r.summary, 2_000)?;
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &r).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(resp) => return Ok(resp),
    };
    let body_row = directory::find_body(uow.conn(), r.body_id)
        .await?
        .filter(|b| b.active)
        .ok_or_else(|| ApiError::validation("body_id", "调解组织不存在或已停用"))?;
    // The matter: a petition of the caller's unit, or a dispute of the register.
    let (field, township, respondent) = match (stage, r.petition_id, r.dispute_id) {
        (Stage::PrePetition, None, Some(dispute_id)) => {
            let d = disputes::load_for_update(uow.conn(), dispute_id)
                .await?
                .ok_or(MediationError::NotFound("纠纷不存在或无权查看"))?;
            access::may_refer(&actor, &d.unit_code)?;
            if d.status != "open" && d.status != "unresolved" {
                return Err(
                    MediationError::conflict("invalid_state", "该纠纷已在调解中或已化解").into(),
                );
            }
            disputes::set_status(uow.conn(), d.id, "in_mediation", None).await?;
            (d.field, d.township, d.respondent_unit)
        }
        (Stage::Acceptance | Stage::Handling, Some(petition_id), None) => {
            let c = cases::find(uow.conn(), petition_id)
                .await?
                .ok_or(MediationError::NotFound("信访件不存在或无权查看"))?;
            access::may_refer(&actor, c.unit())?;
            mediable_category(c.category.as_deref())?;
            (c.field, c.township, c.respondent_unit)
        }
        (Stage::PrePetition, _, _) => {
            return Err(ApiError::validation(
                "dispute_id",
                "信访前调解须指明登记的纠纷（dispute_id），不填信访件",
            ))
        }
        _ => {
            return Err(ApiError::validation(
                "petition_id",
                "受理时或办理中调解须指明信访件（petition_id），不填纠纷",
            ))
        }
    };
    let id = Uuid::now_v7();
    let today = today_in_china();
    let inserted = mediations::insert(
        uow.conn(),
        &NewMediation {
            id,
            petition_id: r.petition_id,
            dispute_id: r.dispute_id,
            stage,
            body_id: body_row.id,
            field: &field,
            township: &township,
            respondent_unit: respondent.as_deref(),
            summary: &summary,
            referred_on: today,
            referred_by: &actor.user_id,
            parties: &parties,
        },
    )
    .await?;
    if !inserted {
        return Err(MediationError::conflict("already_in_mediation", "该事项已在调解中").into());
    }
    let m = mediations::load(uow.conn(), id)
        .await?
        .ok_or_else(|| ApiError::internal("mediation vanished"))?;
    uow.enqueue(&publish::referred(&m)).await?;
    uow.audit(AuditEntry::by(&actor, "mediation.refer", m.petition_id, json!({ "mediation_id": id, "stage": m.stage, "body_id": m.body_id, "dispute_id": m.dispute_id })))
        .await?;
    let v = view(uow.conn(), id).await?;
    tracing::info!(mediation = %id, stage = m.stage, "referred to mediation");
    idempotency::created(uow, &actor, key.as_deref(), &v).await
}

/// One mediation in full (调解详情).
#[utoipa::path(
    get, path = "/api/v1/mediations/{id}", tag = "调解", params(("id" = Uuid, Path)),
    responses((status = 200, body = MediationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.acquire().await?;
    let m = mediations::load(&mut conn, *path)
        .await?
        .ok_or_else(|| ApiError::not_found("调解不存在或无权查看"))?;
    access::may_read(&actor, &[&m.body_unit, &m.matter_unit])?;
    Ok(HttpResponse::Ok().json(view(&mut conn, m.id).await?))
}

/// The mediations of a petition, newest first (调解记录): the history the case keeps.
#[utoipa::path(
    get, path = "/api/v1/cases/{case_id}/mediations", tag = "调解", params(("case_id" = Uuid, Path)),
    responses((status = 200, body = Vec<MediationRow>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn of_case(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = pool.acquire().await?;
    let c = cases::find(&mut conn, *path)
        .await?
        .ok_or_else(|| ApiError::not_found("信访件不存在或无权查看"))?;
    access::may_read(&actor, &[c.unit(), &c.registering_unit])?;
    Ok(HttpResponse::Ok().json(mediations::of_petition(&mut conn, c.case_id).await?))
}

/// A party's answer to the referral (当事人意愿).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentRequest {
    pub party: String,
    pub consented: bool,
    /// `written` | `oral` | `electronic`
    pub method: String,
    /// The reason of a refusal, or what was said for an oral consent.
    #[serde(default)]
    pub note: Option<String>,
}

/// Record one party's consent or refusal (记录当事人同意或拒绝调解, arts 3, 17). A refusal ends the
/// referral and the case goes on in handling.
#[utoipa::path(
    post, path = "/api/v1/mediations/{id}/consents", tag = "调解", request_body = ConsentRequest,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 200, body = MediationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, mediation = %path))]
pub async fn consent(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ConsentRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let r = body.into_inner();
    let answer = ConsentAnswer::parse(&r.party, r.consented, &r.method, r.note.as_deref())?;
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &(id, &r)).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(resp) => return Ok(resp),
    };
    let m = mediation_for_step(uow.conn(), &actor, id).await?;
    m.status().require_consent_open()?;
    let parties = mediations::parties(uow.conn(), id).await?;
    let Some(party) = parties.iter().find(|p| p.name == answer.party) else {
        return Err(ApiError::validation(
            "party",
            format!("“{}”不是本调解的当事人", answer.party),
        ));
    };
    if party.consent != "pending" {
        return Err(MediationError::conflict(
            "already_answered",
            format!("已记录当事人“{}”的意愿", party.name),
        )
        .into());
    }
    let consents: Vec<(String, String)> = parties
        .iter()
        .map(|p| (p.name.clone(), p.consent.clone()))
        .collect();
    let next = after_answer(&answer, &consents);
    let today = today_in_china();
    mediations::record_consent(uow.conn(), id, &answer, &actor.user_id).await?;
    uow.enqueue(&publish::consent(
        &m,
        &answer,
        today,
        next == Status::Consented,
    ))
    .await?;
    if next == Status::ConsentRefused {
        let reason = format!(
            "当事人{}不同意调解：{}",
            answer.party,
            answer.note.clone().unwrap_or_default()
        );
        end(
            &mut uow,
            &m,
            Status::ConsentRefused,
            "consent_refused",
            &reason,
            today,
        )
        .await?;
    } else if next != m.status() {
        mediations::set_status(uow.conn(), id, next).await?;
    }
    uow.audit(AuditEntry::by(&actor, if answer.consented { "mediation.consent" } else { "mediation.consent_refused" }, m.petition_id,
        json!({ "mediation_id": id, "party": answer.party, "method": answer.method, "note": answer.note })))
        .await?;
    let v = view(uow.conn(), id).await?;
    ok(uow, &actor, key.as_deref(), &v).await
}

/// End a mediation (结束调解): its state, the mediator's load and record, the dispute's state, and
/// the events (for a petition also [`MediationConcludedV1`](xinfang_contracts::notices::MediationConcludedV1)).
pub async fn end(
    uow: &mut UnitOfWork<'_>,
    m: &MediationRow,
    status: Status,
    outcome: &str,
    reason: &str,
    on: chrono::NaiveDate,
) -> Result<(), ApiError> {
    mediations::end(uow.conn(), m, status, outcome, reason, on).await?;
    if let Some(dispute_id) = m.dispute_id {
        let d = disputes::load_for_update(uow.conn(), dispute_id)
            .await?
            .ok_or_else(|| ApiError::internal("dispute vanished"))?;
        if status == Status::Agreed {
            disputes::set_status(uow.conn(), dispute_id, "resolved", Some(on)).await?;
            uow.enqueue(&publish::dispute_resolved(&d, m.id, on))
                .await?;
        } else {
            disputes::set_status(uow.conn(), dispute_id, "unresolved", None).await?;
        }
    }
    for e in publish::ended(m, outcome, reason, on) {
        uow.enqueue(&e).await?;
    }
    tracing::info!(mediation = %m.id, outcome, "mediation ended");
    Ok(())
}

#[derive(Debug, Deserialize, Serialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SuggestionQuery {
    /// How many (1..=50, default 10)
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<i64>,
}

/// The ranking and its candidates (推荐调解员).
#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    pub field: String,
    pub township: String,
    /// 排序规则
    pub rule: String,
    pub mediators: Vec<Suggestion>,
}

/// Suggest mediators for a mediation, ranked by field, township and load, each with the reasons
/// for its place; recused and replaced mediators are left out.
#[utoipa::path(
    get, path = "/api/v1/mediations/{id}/mediator-suggestions", tag = "调解", params(("id" = Uuid, Path), SuggestionQuery),
    responses((status = 200, body = Suggestions), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody, description = "条数超出范围")),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(mediation = %path))]
pub async fn suggestions(
    actor: Actor,
    path: web::Path<Uuid>,
    query: xinfang_platform::http::Query<SuggestionQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let limit = query.limit.unwrap_or(10);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::validation("limit", "条数应在 1 至 50 之间"));
    }
    let mut conn = pool.acquire().await?;
    let m = suggest::context(&mut conn, *path)
        .await?
        .ok_or_else(|| ApiError::not_found("调解不存在或无权查看"))?;
    access::may_read(&actor, &[&m.body_unit, &m.matter_unit])?;
    access::may_mediate(&actor, &m.body_unit)?;
    let candidates = suggest::candidates(&mut conn, &m, limit).await?;
    Ok(HttpResponse::Ok().json(Suggestions {
        mediators: explain(candidates, &m.field, &m.township),
        field: m.field,
        township: m.township,
        rule: RANKING_RULE.to_string(),
    }))
}
/// The mediator chosen (指定调解员).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub mediator_id: Uuid,
    /// Why this mediator (e.g. 系统推荐第 1 位, 当事人选择)
    pub reason: String,
}

async fn check_mediator(
    uow: &mut UnitOfWork<'_>,
    m: &MediationRow,
    mediator_id: Uuid,
) -> Result<directory::MediatorRow, ApiError> {
    let mediator = directory::find_mediator(uow.conn(), mediator_id)
        .await?
        .ok_or_else(|| ApiError::validation("mediator_id", "调解员不存在"))?;
    let parties: Vec<String> = mediations::parties(uow.conn(), m.id)
        .await?
        .into_iter()
        .map(|p| p.name)
        .collect();
    let exclusions = mediations::exclusions(uow.conn(), m.id).await?;
    if let Some(refusal) = recusal(
        &mediator.facts(),
        &parties,
        m.respondent_unit.as_deref(),
        &exclusions,
    ) {
        return Err(refusal.into());
    }
    Ok(mediator)
}

/// Assign a mediator (指定调解员, art 19) once every party has consented. A mediator who is a
/// party, related to one, works for the respondent unit, or whom a party asked to replace is
/// refused (回避).
#[utoipa::path(
    post, path = "/api/v1/mediations/{id}/mediator", tag = "调解", request_body = AssignRequest,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 200, body = MediationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "应当回避或状态不符"), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, mediation = %path))]
pub async fn assign(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<AssignRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let r = body.into_inner();
    let reason = text::required("reason", "指定理由", &r.reason, 500)?;
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &(id, &r)).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(resp) => return Ok(resp),
    };
    let m = mediation_for_step(uow.conn(), &actor, id).await?;
    m.status().require_under_way("指定调解员")?;
    if m.mediator_id == Some(r.mediator_id) {
        return Err(
            MediationError::conflict("already_assigned", "该调解员已是本调解的调解员").into(),
        );
    }
    check_mediator(&mut uow, &m, r.mediator_id).await?;
    mediations::assign(uow.conn(), id, r.mediator_id, m.mediator_id).await?;
    let today = today_in_china();
    uow.enqueue(&publish::mediator_assigned(
        &m,
        r.mediator_id,
        m.mediator_id,
        &reason,
        today,
    ))
    .await?;
    uow.audit(AuditEntry::by(&actor, "mediation.mediator.assign", m.petition_id, json!({ "mediation_id": id, "mediator_id": r.mediator_id, "replaced": m.mediator_id, "reason": reason })))
        .await?;
    let v = view(uow.conn(), id).await?;
    ok(uow, &actor, key.as_deref(), &v).await
}

/// A mediator to keep away from this mediation (回避): related to a party, or a party asks for
/// another mediator.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExclusionRequest {
    pub mediator_id: Uuid,
    /// `related` (与当事人有利害关系) | `party_request` (当事人要求更换)
    pub ground: String,
    /// The party concerned
    pub party: String,
    pub reason: String,
    /// The mediator to take over, if one is chosen now (checked like any assignment).
    #[serde(default)]
    pub replacement_id: Option<Uuid>,
}

/// Record a recusal ground or a party's request for another mediator (当事人要求更换调解员,
/// art 23(2)); if the excluded mediator is the current one, the mediation has no mediator until
/// `replacement_id` (or a later assignment) names one.
#[utoipa::path(
    post, path = "/api/v1/mediations/{id}/mediator-exclusions", tag = "调解", request_body = ExclusionRequest,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 200, body = MediationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, mediation = %path))]
pub async fn exclude(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ExclusionRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let r = body.into_inner();
    if !matches!(r.ground.as_str(), "related" | "party_request") {
        return Err(ApiError::validation(
            "ground",
            "只能是 related（有利害关系）或 party_request（当事人要求更换）",
        ));
    }
    let reason = text::required("reason", "理由", &r.reason, 500)?;
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &(id, &r)).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(resp) => return Ok(resp),
    };
    let m = mediation_for_step(uow.conn(), &actor, id).await?;
    m.status().require_live("更换调解员")?;
    let parties = mediations::parties(uow.conn(), id).await?;
    if !parties.iter().any(|p| p.name == r.party) {
        return Err(ApiError::validation(
            "party",
            format!("“{}”不是本调解的当事人", r.party),
        ));
    }
    directory::find_mediator(uow.conn(), r.mediator_id)
        .await?
        .ok_or_else(|| ApiError::validation("mediator_id", "调解员不存在"))?;
    let x = Exclusion {
        mediator_id: r.mediator_id,
        ground: r.ground.clone(),
        party: Some(r.party.clone()),
        reason: reason.clone(),
    };
    mediations::exclude(uow.conn(), id, &x, &actor.user_id).await?;
    let today = today_in_china();
    let current = m.mediator_id == Some(r.mediator_id);
    match r.replacement_id {
        Some(next) => {
            check_mediator(&mut uow, &m, next).await?;
            mediations::assign(uow.conn(), id, next, m.mediator_id).await?;
            uow.enqueue(&publish::mediator_assigned(
                &m,
                next,
                m.mediator_id,
                &reason,
                today,
            ))
            .await?;
        }
        None if current => {
            mediations::unassign(uow.conn(), id, r.mediator_id).await?;
        }
        None => {}
    }
    uow.audit(AuditEntry::by(&actor, "mediation.mediator.exclude", m.petition_id, json!({ "mediation_id": id, "mediator_id": r.mediator_id, "ground": r.ground, "party": r.party, "reason": reason, "replacement_id": r.replacement_id })))
        .await?;
    let v = view(uow.conn(), id).await?;
    ok(uow, &actor, key.as_deref(), &v).await
}

/// Why a mediation ends without agreement.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndRequest {
    /// The party withdrawing (withdrawal only)
    #[serde(default)]
    pub party: Option<String>,
    pub reason: String,
}

/// A party withdraws (当事人撤回, art 23(3)): the mediation ends at once and the case goes back to
/// handling with the mediation period and the reason recorded.
#[utoipa::path(
    post, path = "/api/v1/mediations/{id}/withdrawal", tag = "调解", request_body = EndRequest,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 200, body = MediationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn withdraw(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<EndRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    finish(
        req,
        actor,
        path.into_inner(),
        body.into_inner(),
        pool,
        waker,
        Status::Withdrawn,
    )
    .await
}

/// Mediation failed (调解不成, art 26): it ends and the case goes back to handling with the
/// mediation period and the reason recorded.
#[utoipa::path(
    post, path = "/api/v1/mediations/{id}/failure", tag = "调解", request_body = EndRequest,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 200, body = MediationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn fail(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<EndRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    finish(
        req,
        actor,
        path.into_inner(),
        body.into_inner(),
        pool,
        waker,
        Status::Failed,
    )
    .await
}

#[tracing::instrument(skip_all, fields(user = %actor.user_id, mediation = %id, status = status.as_str()))]
async fn finish(
    req: HttpRequest,
    actor: Actor,
    id: Uuid,
    r: EndRequest,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    status: Status,
) -> Result<HttpResponse, ApiError> {
    let reason = text::required("reason", "理由", &r.reason, 1_000)?;
    let (mut uow, key) =
        match begin(&req, &actor, &pool, &waker, &(id, status.as_str(), &r)).await? {
            Begun::Go(uow, key) => (uow, key),
            Begun::Replay(resp) => return Ok(resp),
        };
    let m = mediation_for_step(uow.conn(), &actor, id).await?;
    let (outcome, reason) = if status == Status::Withdrawn {
        m.status().require_live("撤回")?;
        let party = r.party.as_deref().unwrap_or_default();
        let parties = mediations::parties(uow.conn(), id).await?;
        if !parties.iter().any(|p| p.name == party) {
            return Err(ApiError::validation("party", "请填写撤回调解的当事人"));
        }
        ("withdrawn", format!("当事人{party}撤回调解：{reason}"))
    } else {
        m.status().require_under_way("终止调解")?;
        ("failed", format!("调解不成：{reason}"))
    };
    let today = today_in_china();
    end(&mut uow, &m, status, outcome, &reason, today).await?;
    uow.audit(AuditEntry::by(&actor, &format!("mediation.{outcome}"), m.petition_id, json!({ "mediation_id": id, "reason": reason, "referred_on": m.referred_on, "ended_on": today })))
        .await?;
    let v = view(uow.conn(), id).await?;
    ok(uow, &actor, key.as_deref(), &v).await
}
