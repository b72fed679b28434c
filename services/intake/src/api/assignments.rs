//! The receiving unit's answer to a transfer or assignment: acceptance (签收), with its written
//! notice to the petitioner (书面告知接收情况以及处理途径和程序), or objection (异议), which the
//! transferring organ verifies (核实同意) before the material returns (art 23 ¶3).

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_contracts::events::Channel;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    time::today_in_china,
    Actor, ApiError, Permission,
};

use super::state::IntakeState;
use crate::{
    domain::{
        decision::{
            acceptance_procedure, act_date, ensure_objection_in_time, objection_deadline, required,
        },
        IntakeError,
    },
    events::publish,
    store::decisions,
};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionRequest {
    /// 异议理由 (why the matter is outside this unit's remit)
    pub reasons: String,
    /// 提出异议的日期 (date of the act), when entered later than it was made: not in the future,
    /// not before the hand-off; default today. The 5 working days count to it.
    #[serde(default)]
    pub objected_on: Option<NaiveDate>,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptRequest {
    /// 签收日期 (date of the act), when entered later than it was made: not in the future, not
    /// before the hand-off; default today. The acceptance notice is dated with it.
    #[serde(default)]
    pub accepted_on: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionRulingRequest {
    /// `true`: 核实同意, the material returns; `false`: the objection is rejected and the unit
    /// keeps the case.
    pub agreed: bool,
    /// 核实意见 (why)
    pub reason: String,
    /// 核实日期 (date of the act), when entered later than it was made: not in the future, not
    /// before the objection; default today. The returned case's re-routing counts from it.
    #[serde(default)]
    pub ruled_on: Option<NaiveDate>,
}

/// The receiving unit accepts a transfer or assignment (签收, art 23 ¶3); the petitioner's written
/// acceptance notice is requested.
#[utoipa::path(
    post, path = "/api/v1/petitions/{id}/assignment/accept", tag = "分类处理",
    request_body = AcceptRequest,
    params(("id" = Uuid, Path, description = "信访件 id")),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "accept_assignment", skip_all, fields(user = %actor.user_id, unit = %actor.unit, case_id = %path))]
pub async fn accept_assignment(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<AcceptRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = decisions::load_case(uow.conn(), &actor, id).await?;
    let pending = decisions::pending_hand_off(uow.conn(), &actor, id).await?;
    let entered_on = today_in_china();
    let follows = decisions::last_step_on(uow.conn(), id).await?;
    let today =
        act_date(body.accepted_on, entered_on, case.received_on, follows).map_err(|e| match e {
            IntakeError::ActDateInFuture | IntakeError::ActDateBeforeStep { .. } => {
                ApiError::validation("accepted_on", e.to_string())
            }
            other => other.into(),
        })?;
    decisions::accept_hand_off(uow.conn(), &actor, pending.id, id).await?;
    uow.enqueue(&publish::assignment_accepted(&case, &actor.unit, today))
        .await?;
    let mut fields = BTreeMap::new();
    fields.insert("handling_unit".to_string(), actor.unit.clone());
    fields.insert("accepted_on".to_string(), today.to_string());
    fields.insert(
        "procedure".to_string(),
        acceptance_procedure(case.category).to_string(),
    );
    let notice = publish::acceptance_notice_requested(&case, &actor.unit, today, fields);
    uow.enqueue(&notice).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "assignment.accept",
        Some(id),
        json!({ "hand_off_id": pending.id, "kind": pending.kind, "acceptance_notice_requested": true,
                "accepted_on": today, "entered_on": entered_on, "entered_late": today < entered_on }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "petition_id": id, "status": "in_handling", "accepted_on": today })))
}

/// The receiving unit objects with reasons within 5 working days (art 23 ¶3); the objection waits
/// for the transferring organ's verification. A case the unit registered itself as transferred or
/// assigned in from above (上级转送、交办) may be objected to the same way, within 5 working days of
/// its receipt.
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
    state: web::Data<IntakeState>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = decisions::load_case(uow.conn(), &actor, id).await?;
    let reasons = required("reasons", "异议理由", &body.reasons, 2000)?;
    let entered_on = today_in_china();
    let follows = decisions::last_step_on(uow.conn(), id).await?;
    let today =
        act_date(body.objected_on, entered_on, case.received_on, follows).map_err(|e| match e {
            IntakeError::ActDateInFuture | IntakeError::ActDateBeforeStep { .. } => {
                ApiError::validation("objected_on", e.to_string())
            }
            other => other.into(),
        })?;
    let hand_off_id = match decisions::pending_hand_off(uow.conn(), &actor, id).await {
        Ok(pending) => {
            ensure_objection_in_time(pending.object_by, today)?;
            decisions::object_to_hand_off(uow.conn(), &actor, pending.id, &reasons, today).await?;
            pending.id
        }
        Err(IntakeError::NoPendingHandOff) => {
            // 上级转送、交办件 registered by the unit itself.
            let entry = decisions::upstream_entry(uow.conn(), id).await?;
            let kind = match entry.channel.as_str() {
                c if c == channel_code(Channel::TransferredIn) => "transfer",
                c if c == channel_code(Channel::AssignedIn) => "assign",
                _ => return Err(IntakeError::NoObjectionRoute.into()),
            };
            if entry.registering_unit != actor.unit
                || entry.objected_before
                || !matches!(
                    entry.status.as_str(),
                    "registered" | "accepted" | "in_handling"
                )
            {
                return Err(IntakeError::NoObjectionRoute.into());
            }
            let object_by = objection_deadline(
                &state.calendar,
                entry.received_on,
                state.working_day_limits(),
            )?;
            ensure_objection_in_time(object_by, today)?;
            decisions::insert_upstream_objection(
                uow.conn(),
                &actor,
                id,
                kind,
                entry.received_on,
                entry.upstream_due_on,
                object_by,
                &reasons,
                today,
            )
            .await?
        }
        Err(other) => return Err(other.into()),
    };
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
        json!({ "hand_off_id": hand_off_id, "reasons": reasons, "objected_on": today,
                "entered_on": entered_on, "entered_late": today < entered_on }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "petition_id": id, "status": "objection_pending", "objected_on": today })))
}

/// The transferring bureau or upper organ verifies an objection (核实同意 / 不同意, art 23 ¶3):
/// on agreement the material returns for re-routing and the objecting unit loses access to the
/// case; on rejection the unit keeps the case.
#[utoipa::path(
    post, path = "/api/v1/petitions/{id}/assignment/objection/ruling", tag = "分类处理",
    request_body = ObjectionRulingRequest,
    params(("id" = Uuid, Path, description = "信访件 id")),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "没有待核实的异议"), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "rule_objection", skip_all, fields(user = %actor.user_id, unit = %actor.unit, case_id = %path))]
pub async fn rule_objection(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ObjectionRulingRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::DecidePetition)?;
    let id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = decisions::load_case(uow.conn(), &actor, id).await?;
    let objection = decisions::pending_objection(uow.conn(), id).await?;
    // The organ that made the hand-off, or the bureau (for one from outside the system, the bureau
    // records the upstream organ's answer).
    let may_rule = actor.bureau || objection.from_unit.as_deref() == Some(actor.unit.as_str());
    if !may_rule || objection.to_unit == actor.unit {
        return Err(IntakeError::NotTransferringOrgan.into());
    }
    let reason = required("reason", "核实意见", &body.reason, 2000)?;
    let entered_on = today_in_china();
    let today = act_date(
        body.ruled_on,
        entered_on,
        case.received_on,
        Some(objection.objected_on),
    )
    .map_err(|e| match e {
        IntakeError::ActDateInFuture | IntakeError::ActDateBeforeStep { .. } => {
            ApiError::validation("ruled_on", e.to_string())
        }
        other => other.into(),
    })?;
    let revoked = decisions::rule_objection(
        uow.conn(),
        &actor,
        &objection,
        id,
        body.agreed,
        &reason,
        today,
    )
    .await?;
    uow.enqueue(&publish::objection_ruled(
        &case,
        &objection.to_unit,
        body.agreed,
        &reason,
        today,
        &actor.unit,
    ))
    .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "assignment.objection_ruled",
        Some(id),
        json!({ "hand_off_id": objection.id, "kind": objection.kind, "unit": objection.to_unit, "agreed": body.agreed, "reason": reason,
                "ruled_on": today, "entered_by": actor.user_id, "entered_on": entered_on, "entered_late": today < entered_on }),
    ))
    .await?;
    if revoked {
        uow.audit(AuditEntry::by(
            &actor,
            "petition.access_revoked",
            Some(id),
            json!({ "unit": objection.to_unit, "reason": "异议经核实同意，交还材料" }),
        ))
        .await?;
    }
    uow.commit().await?;
    let status = if body.agreed {
        "returned"
    } else {
        "in_handling"
    };
    Ok(HttpResponse::Ok().json(
        json!({ "petition_id": id, "status": status, "agreed": body.agreed, "ruled_on": today }),
    ))
}

fn channel_code(c: Channel) -> &'static str {
    c.as_str()
}
