//! Decisions (程序性决定): accept, decline with the legal channel, bar, transfer, assign, and the
//! routing suggestion. Each decision is one transaction: state, decision record (who, when, why,
//! which rule version suggested what), access grant on hand-off, audit record, and the event that
//! requests the petitioner's notice.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    directory::{Directory, UnitRefused},
    error::ErrorBody,
    idempotency,
    time::today_in_china,
    Actor, ApiError, Permission,
};

use super::{repeat::link_repeat, state::IntakeState};
use crate::{
    domain::{
        decision::{self, CaseFacts, Decision, Outcome},
        routing::{suggest, Suggestion},
        IntakeError,
    },
    events::publish,
    store::{decisions, rules},
};

/// A decision on a registered petition. `kind` selects the decision.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DecisionRequest {
    /// 受理 (受理告知书)
    Accept {
        reason: String,
        /// 办理单位, when known
        #[serde(default)]
        handling_unit: Option<String>,
        /// 简易办理 (first-time simple matters; accept within 3 working days of receipt)
        #[serde(default)]
        simple_track: bool,
    },
    /// 不予受理 (不予受理告知书) with the legal channel to use
    Decline {
        reason: String,
        #[serde(default)]
        legal_channel: Option<String>,
        /// 告知的途径和方式; defaults to the routing rule's guidance or the channel's name
        #[serde(default)]
        guidance: Option<String>,
    },
    /// 不再受理 (art 36) / 不予受理 while an earlier case is in its period (art 19)
    Bar {
        prior_petition_id: Uuid,
        #[serde(default)]
        reason: Option<String>,
    },
    /// 转送 to another organ; the petitioner is told
    Transfer { to_unit: String, reason: String },
    /// 交办 to a unit with a deadline
    Assign {
        to_unit: String,
        due_on: NaiveDate,
        instructions: String,
    },
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DecisionView {
    pub decision_id: Uuid,
    pub petition_id: Uuid,
    pub case_number: String,
    pub kind: String,
    pub status: String,
    pub decided_on: NaiveDate,
    pub reason: String,
    /// The notice the petitioner must receive (the notification service produces it).
    pub notice: String,
    #[schema(value_type = Object)]
    pub details: Value,
    pub suggestion: Option<Suggestion>,
}

/// Make a decision (作出程序性决定) on a registered (or returned) petition.
#[utoipa::path(
    post, path = "/api/v1/petitions/{id}/decisions", tag = "分类处理",
    request_body = DecisionRequest,
    params(("id" = Uuid, Path, description = "信访件 id"), ("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses(
        (status = 201, body = DecisionView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "当前状态不能作出该决定"),
        (status = 422, body = ErrorBody, description = "字段校验失败，或把检举控告材料转给被检举单位"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "decide_petition", skip_all, fields(user = %actor.user_id, unit = %actor.unit, case_id = %path))]
pub async fn decide(
    req: HttpRequest,
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<DecisionRequest>,
    pool: web::Data<PgPool>,
    state: web::Data<IntakeState>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::DecidePetition)?;
    let key = idempotency::key_of(&req)?;
    let id = path.into_inner();
    let body = body.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    if let Some(replay) =
        idempotency::begin_request(uow.conn(), &actor, key.as_deref(), &(id, &body)).await?
    {
        uow.rollback().await?;
        return Ok(replay);
    }
    let case = decisions::load_case(uow.conn(), &actor, id).await?;
    case.ensure_decidable_by(&actor)?;
    check_units(&state.directory, &body)?;
    let (version, rule_set) = rules::current(uow.conn()).await?;
    let suggestion = suggest(version, &rule_set, &case.subject());
    let today = today_in_china();
    let decision = rule(&mut uow, &state, &actor, &case, &body, &suggestion, today).await?;
    apply(&mut uow, &actor, &case, &decision, today).await?;

    let decision_id = Uuid::now_v7();
    let details = decision.details(&suggestion);
    decisions::set_status(uow.conn(), id, decision.status(), decision.handling_unit()).await?;
    decisions::insert_decision(
        uow.conn(),
        &actor,
        &decisions::DecisionRecord {
            id: decision_id,
            petition_id: id,
            kind: decision.kind(),
            decided_on: today,
            reason: &decision.reason,
            details: &details,
            rule_version: suggestion.rule_version,
            suggestion: serde_json::to_value(&suggestion).map_err(ApiError::internal)?,
        },
    )
    .await?;
    uow.enqueue(&publish::decision(&case, &decision, today, &actor.unit))
        .await?;
    uow.audit(AuditEntry::by(
            &actor,
            &format!("petition.{}", decision.kind()),
            Some(id),
            json!({ "decision_id": decision_id, "reason": decision.reason, "details": details, "rule_version": suggestion.rule_version }),
        ))
    .await?;
    let view = DecisionView {
        decision_id,
        petition_id: id,
        case_number: case.case_number.clone(),
        kind: decision.kind().to_string(),
        status: decision.status().to_string(),
        decided_on: today,
        notice: decision.notice().to_string(),
        reason: decision.reason,
        details,
        suggestion: Some(suggestion),
    };
    tracing::info!(kind = view.kind, case_number = %case.case_number, "decision recorded");
    idempotency::created(uow, &actor, key.as_deref(), &view).await
}

/// A unit a decision names must be an active unit of the directory (单位目录).
fn check_units(directory: &Directory, body: &DecisionRequest) -> Result<(), UnitRefused> {
    match body {
        DecisionRequest::Accept { handling_unit, .. } => directory
            .require_active_opt("handling_unit", handling_unit.as_deref())
            .map(|_| ()),
        DecisionRequest::Transfer { to_unit, .. } | DecisionRequest::Assign { to_unit, .. } => {
            directory.require_active("to_unit", to_unit).map(|_| ())
        }
        DecisionRequest::Decline { .. } | DecisionRequest::Bar { .. } => Ok(()),
    }
}

/// The decision the request asks for, checked against the case (and, for a bar, the earlier case
/// it cites).
async fn rule(
    uow: &mut UnitOfWork<'_>,
    state: &IntakeState,
    actor: &Actor,
    case: &CaseFacts,
    body: &DecisionRequest,
    suggestion: &Suggestion,
    today: NaiveDate,
) -> Result<Decision, IntakeError> {
    let limits = state.working_day_limits();
    match body {
        DecisionRequest::Accept {
            reason,
            handling_unit,
            simple_track,
        } => decision::accept(
            case,
            reason,
            handling_unit.as_deref(),
            *simple_track,
            today,
            &state.calendar,
            limits,
        ),
        DecisionRequest::Decline {
            reason,
            legal_channel,
            guidance,
        } => decision::decline(
            reason,
            legal_channel.as_deref(),
            guidance.as_deref(),
            suggestion,
        ),
        DecisionRequest::Bar {
            prior_petition_id,
            reason,
        } => {
            decision::ensure_prior_is_other(case, *prior_petition_id)?;
            let prior = decisions::prior_case(uow.conn(), actor, *prior_petition_id).await?;
            decision::bar(&prior, reason.as_deref())
        }
        DecisionRequest::Transfer { to_unit, reason } => {
            let object_by = decision::objection_deadline(&state.calendar, today, limits)?;
            decision::transfer(case, to_unit, reason, object_by)
        }
        DecisionRequest::Assign {
            to_unit,
            due_on,
            instructions,
        } => {
            let object_by = decision::objection_deadline(&state.calendar, today, limits)?;
            decision::assign(case, to_unit, *due_on, instructions, today, object_by)
        }
    }
}

/// What a decision writes besides its record: the simple track, the repeat link of a bar, the
/// hand-off and the receiving unit's access grant (转送、交办时授权, audited).
async fn apply(
    uow: &mut UnitOfWork<'_>,
    actor: &Actor,
    case: &CaseFacts,
    decision: &Decision,
    today: NaiveDate,
) -> Result<(), ApiError> {
    match &decision.outcome {
        Outcome::Accepted { simple_track, .. } => {
            decisions::set_simple_track(uow.conn(), case.id, *simple_track).await?;
        }
        Outcome::Barred {
            prior_petition_id,
            prior_case_number,
            ..
        } => {
            link_repeat(uow, actor, case, *prior_petition_id, prior_case_number).await?;
        }
        Outcome::Transferred { object_by, .. } | Outcome::Assigned { object_by, .. } => {
            if let Some((kind, to_unit, due_on)) = decision.hand_off() {
                decisions::insert_hand_off(
                    uow.conn(),
                    case.id,
                    kind,
                    to_unit,
                    today,
                    due_on,
                    *object_by,
                )
                .await?;
                let reason = if kind == "transfer" {
                    "转送"
                } else {
                    "交办"
                };
                if decisions::grant_access(uow.conn(), actor, case.id, to_unit, reason).await? {
                    uow.audit(AuditEntry::by(
                        actor,
                        "petition.access_granted",
                        Some(case.id),
                        json!({ "unit": to_unit, "reason": reason }),
                    ))
                    .await?;
                }
            }
        }
        Outcome::Declined { .. } => {}
    }
    Ok(())
}

/// What the current routing rules suggest for a petition (分类建议).
#[utoipa::path(
    get, path = "/api/v1/petitions/{id}/routing-suggestion", tag = "分类处理",
    params(("id" = Uuid, Path, description = "信访件 id")),
    responses((status = 200, body = Suggestion), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn routing_suggestion(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let mut tx = pool.begin().await?;
    let case = decisions::load_case(&mut tx, &actor, path.into_inner()).await?;
    let (version, rule_set) = rules::current(&mut tx).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(suggest(version, &rule_set, &case.subject())))
}
