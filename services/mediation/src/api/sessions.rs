//! Sessions over HTTP (调解会): schedule without double booking, hold with attendance and record
//! (笔录), adjourn to a new date.

use actix_web::{web, HttpRequest, HttpResponse};
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
    time::{china_date, today_in_china},
    Actor, ApiError,
};

use super::support::{begin, mediation_for_step, ok, view, Begun, MediationView};
use crate::{
    domain::{
        referral::Status,
        session::{Attendance, Held, Schedule, SessionDraft},
        text, MediationError,
    },
    events::publish,
    store::{
        directory,
        mediations::{self, MediationRow},
        sessions,
    },
};

/// Book a session for the mediation's mediator: refused with the conflict named when the mediator
/// or the room is already booked then.
async fn book(
    uow: &mut UnitOfWork<'_>,
    m: &MediationRow,
    s: &Schedule,
    adjourned_from: Option<Uuid>,
) -> Result<Uuid, ApiError> {
    let Some(mediator_id) = m.mediator_id else {
        return Err(MediationError::conflict("no_mediator", "请先指定调解员，再安排调解").into());
    };
    if let Some(c) = sessions::clash(uow.conn(), mediator_id, s, adjourned_from).await? {
        let (what, whose) = if c.same_mediator {
            (
                "mediator",
                format!("调解员{}", m.mediator_name.clone().unwrap_or_default()),
            )
        } else {
            (
                "room",
                format!("调解室“{}”", c.room.clone().unwrap_or_default()),
            )
        };
        let message = format!(
            "{whose}在 {} 至 {} 已有调解安排，不能重复预约",
            (c.starts_at + chrono::Duration::hours(8)).format("%Y-%m-%d %H:%M"),
            (c.ends_at + chrono::Duration::hours(8)).format("%H:%M")
        );
        return Err(MediationError::Conflict {
            code: "double_booking",
            message,
            details: Some(
                json!({ "conflict": what, "session_id": c.id, "mediation_id": c.mediation_id,
                                   "starts_at": c.starts_at, "ends_at": c.ends_at }),
            ),
        }
        .into());
    }
    let id = Uuid::now_v7();
    sessions::insert(uow.conn(), id, m.id, mediator_id, s, adjourned_from).await?;
    if m.status() == Status::Consented {
        mediations::set_status(uow.conn(), m.id, Status::InSession).await?;
    }
    uow.enqueue(&publish::session_scheduled(
        m,
        id,
        mediator_id,
        s,
        adjourned_from,
    ))
    .await?;
    let mediator = directory::find_mediator(uow.conn(), mediator_id)
        .await?
        .map(|x| x.name)
        .unwrap_or_default();
    let parties: Vec<String> = if m.petition_id.is_none() {
        mediations::parties(uow.conn(), m.id)
            .await?
            .into_iter()
            .map(|p| p.name)
            .collect()
    } else {
        Vec::new()
    };
    for notice in publish::session_notices(m, s, &mediator, &parties, today_in_china()) {
        uow.enqueue(&notice).await?;
    }
    Ok(id)
}

/// Schedule a session (安排调解): date, place, room and participants; the parties are notified
/// (调解通知). A mediator or a room booked at an overlapping time is refused (409
/// `double_booking`, naming the conflict).
#[utoipa::path(
    post, path = "/api/v1/mediations/{id}/sessions", tag = "调解", request_body = SessionDraft,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 201, body = MediationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "重复预约或状态不符"), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, mediation = %path))]
pub async fn schedule(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<SessionDraft>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let draft = body.into_inner();
    let s = Schedule::parse(&draft)?;
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &(id, &draft)).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(resp) => return Ok(resp),
    };
    let m = mediation_for_step(uow.conn(), &actor, id).await?;
    m.status().require_under_way("安排调解")?;
    let session_id = book(&mut uow, &m, &s, None).await?;
    uow.audit(AuditEntry::by(&actor, "mediation.session.schedule", m.petition_id, json!({ "mediation_id": id, "session_id": session_id, "starts_at": s.starts_at, "place": s.place, "room": s.room })))
        .await?;
    let v = view(uow.conn(), id).await?;
    idempotency::created(uow, &actor, key.as_deref(), &v).await
}

/// Attendance and record of a held session.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeldRequest {
    pub attendance: Vec<Attendance>,
    /// 调解笔录
    pub record: String,
}

/// A session took place (调解会已举行): who came, and the record (笔录).
#[utoipa::path(
    post, path = "/api/v1/sessions/{id}/held", tag = "调解", request_body = HeldRequest,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 200, body = MediationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, session = %path))]
pub async fn held(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<HeldRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let r = body.into_inner();
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &(id, &r)).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(resp) => return Ok(resp),
    };
    let session = sessions::load_for_update(uow.conn(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("调解会不存在或无权查看"))?;
    let m = mediation_for_step(uow.conn(), &actor, session.mediation_id).await?;
    m.status().require_under_way("记录调解会")?;
    if session.status != "scheduled" {
        return Err(MediationError::conflict("invalid_state", "该调解会不是待举行状态").into());
    }
    let h = Held::parse(&session.participants, &r.attendance, &r.record)?;
    sessions::held(uow.conn(), id, &h).await?;
    uow.enqueue(&publish::session_held(
        &m,
        id,
        china_date(session.starts_at),
        h.present(),
        h.absent(),
    ))
    .await?;
    uow.audit(AuditEntry::by(&actor, "mediation.session.held", m.petition_id, json!({ "mediation_id": m.id, "session_id": id, "present": h.present(), "absent": h.absent() })))
        .await?;
    let v = view(uow.conn(), m.id).await?;
    ok(uow, &actor, key.as_deref(), &v).await
}

/// An adjournment to a new date (休会改期).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjournRequest {
    pub reason: String,
    /// The new session (same checks as any booking)
    pub next: SessionDraft,
}

/// Adjourn a session to a new date (休会改期): the session is marked adjourned with its reason and
/// the new one is booked (never double).
#[utoipa::path(
    post, path = "/api/v1/sessions/{id}/adjournment", tag = "调解", request_body = AdjournRequest,
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 201, body = MediationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, session = %path))]
pub async fn adjourn(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<AdjournRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let r = body.into_inner();
    let reason = text::required("reason", "休会理由", &r.reason, 500)?;
    let next = Schedule::parse(&r.next).map_err(|e| match e {
        MediationError::Invalid { field, message } => MediationError::Invalid {
            field: format!("next.{field}"),
            message,
        },
        other => other,
    })?;
    let (mut uow, key) = match begin(&req, &actor, &pool, &waker, &(id, &r)).await? {
        Begun::Go(uow, key) => (uow, key),
        Begun::Replay(resp) => return Ok(resp),
    };
    let session = sessions::load_for_update(uow.conn(), id)
        .await?
        .ok_or_else(|| ApiError::not_found("调解会不存在或无权查看"))?;
    let m = mediation_for_step(uow.conn(), &actor, session.mediation_id).await?;
    m.status().require_under_way("休会改期")?;
    if !matches!(session.status.as_str(), "scheduled" | "held") {
        return Err(MediationError::conflict("invalid_state", "该调解会已休会或已取消").into());
    }
    sessions::adjourned(uow.conn(), id, &reason).await?;
    let next_id = book(&mut uow, &m, &next, Some(id)).await?;
    uow.audit(AuditEntry::by(&actor, "mediation.session.adjourn", m.petition_id, json!({ "mediation_id": m.id, "session_id": id, "next_session_id": next_id, "reason": reason })))
        .await?;
    let v = view(uow.conn(), m.id).await?;
    idempotency::created(uow, &actor, key.as_deref(), &v).await
}
