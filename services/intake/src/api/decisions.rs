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
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
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
        /// Required when the routing rules send the matter to a legal channel: why it is
        /// nevertheless accepted as a petition (偏离法定途径建议的理由).
        #[serde(default)]
        override_reason: Option<String>,
        /// 作出决定的日期 (date of the act), when entered later than it was made: not in the
        /// future, not before the petition was received or the step it follows; default today.
        #[serde(default)]
        decided_on: Option<NaiveDate>,
    },
    /// 不予受理 (不予受理告知书) with the legal channel to use
    Decline {
        reason: String,
        /// 不予受理的依据: `legal_channel` (art 31, the default when a channel is given) or
        /// `outside_remit` (art 23, not within this organ's remit; the default otherwise)
        #[serde(default)]
        ground: Option<String>,
        #[serde(default)]
        legal_channel: Option<String>,
        /// 告知的途径和方式; defaults to the routing rule's guidance or the channel's name
        #[serde(default)]
        guidance: Option<String>,
        /// 作出决定的日期 (date of the act), when entered later than it was made: not in the
        /// future, not before the petition was received or the step it follows; default today.
        #[serde(default)]
        decided_on: Option<NaiveDate>,
    },
    /// 不再受理 (art 36) / 不予受理 while an earlier case is in its period (art 19)
    Bar {
        prior_petition_id: Uuid,
        #[serde(default)]
        reason: Option<String>,
        /// 作出决定的日期 (date of the act), when entered later than it was made: not in the
        /// future, not before the petition was received or the step it follows; default today.
        #[serde(default)]
        decided_on: Option<NaiveDate>,
    },
    /// 转送 to another organ; the petitioner is told
    Transfer {
        to_unit: String,
        reason: String,
        /// As for `accept`, when the rules suggest a legal channel.
        #[serde(default)]
        override_reason: Option<String>,
        /// 作出决定的日期 (date of the act), when entered later than it was made: not in the
        /// future, not before the petition was received or the step it follows; default today.
        #[serde(default)]
        decided_on: Option<NaiveDate>,
    },
    /// 交办 to a unit with a deadline
    Assign {
        to_unit: String,
        due_on: NaiveDate,
        instructions: String,
        /// As for `accept`, when the rules suggest a legal channel.
        #[serde(default)]
        override_reason: Option<String>,
        /// 作出决定的日期 (date of the act), when entered later than it was made: not in the
        /// future, not before the petition was received or the step it follows; default today.
        #[serde(default)]
        decided_on: Option<NaiveDate>,
    },
}

impl DecisionRequest {
    /// The decision's kind, as the `kind` field names it.
    fn kind(&self) -> &'static str {
        match self {
            DecisionRequest::Accept { .. } => "accept",
            DecisionRequest::Decline { .. } => "decline",
            DecisionRequest::Bar { .. } => "bar",
            DecisionRequest::Transfer { .. } => "transfer",
            DecisionRequest::Assign { .. } => "assign",
        }
    }

    /// The date of the act the clerk entered, if any.
    fn decided_on(&self) -> Option<NaiveDate> {
        match self {
            DecisionRequest::Accept { decided_on, .. }
            | DecisionRequest::Decline { decided_on, .. }
            | DecisionRequest::Bar { decided_on, .. }
            | DecisionRequest::Transfer { decided_on, .. }
            | DecisionRequest::Assign { decided_on, .. } => *decided_on,
        }
    }
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
    case.ensure_decidable_by(&actor, body.kind())?;
    check_units(&state.directory, &body)?;
    let (version, rule_set) = rules::current(uow.conn()).await?;
    let suggestion = suggest(version, &rule_set, &case.subject());
    let today = today_in_china();
    // The date of the act (作出决定之日), entered late or today; every window counts from it.
    let follows = decisions::last_step_on(uow.conn(), id).await?;
    let act_on = decision::act_date(body.decided_on(), today, case.received_on, follows)?;
    let decision = rule(&mut uow, &state, &actor, &case, &body, &suggestion, act_on).await?;
    apply(&mut uow, &actor, &case, &decision, act_on).await?;

    let decision_id = Uuid::now_v7();
    let details = decision.details(&suggestion);
    // The simple track (简易办理) of an acceptance is written with the status.
    let simple_track = match &decision.outcome {
        Outcome::Accepted { simple_track, .. } => Some(*simple_track),
        _ => None,
    };
    decisions::set_status(
        uow.conn(),
        id,
        decision.status(),
        decision.handling_unit(),
        simple_track,
    )
    .await?;
    decisions::insert_decision(
        uow.conn(),
        &actor,
        &decisions::DecisionRecord {
            id: decision_id,
            petition_id: id,
            kind: decision.kind(),
            decided_on: act_on,
            reason: &decision.reason,
            details: &details,
            rule_version: suggestion.rule_version,
            suggestion: serde_json::to_value(&suggestion).map_err(ApiError::internal)?,
        },
    )
    .await?;
    uow.enqueue(&publish::decision(&case, &decision, act_on, &actor.unit))
        .await?;
    if let Some(o) = &decision.channel_override {
        uow.enqueue(&publish::legal_channel_overridden(
            &case, &decision, o, act_on, &actor,
        ))
        .await?;
        uow.audit(AuditEntry::by(
            &actor,
            "petition.legal_channel_override",
            Some(id),
            json!({ "decision_id": decision_id, "kind": decision.kind(), "suggested_channel": o.suggested_channel, "reason": o.reason }),
        ))
        .await?;
    }
    uow.audit(AuditEntry::by(
            &actor,
            &format!("petition.{}", decision.kind()),
            Some(id),
            json!({ "decision_id": decision_id, "reason": decision.reason, "details": details, "rule_version": suggestion.rule_version,
                    "decided_on": act_on, "entered_on": today, "entered_late": act_on < today }),
        ))
    .await?;
    let view = DecisionView {
        decision_id,
        petition_id: id,
        case_number: case.case_number.clone(),
        kind: decision.kind().to_string(),
        status: decision.status().to_string(),
        decided_on: act_on,
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
    let mut decision = match body {
        DecisionRequest::Accept {
            reason,
            handling_unit,
            simple_track,
            ..
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
            ground,
            legal_channel,
            guidance,
            ..
        } => decision::decline(
            reason,
            ground.as_deref(),
            legal_channel.as_deref(),
            guidance.as_deref(),
            suggestion,
        ),
        DecisionRequest::Bar {
            prior_petition_id,
            reason,
            ..
        } => {
            decision::ensure_prior_is_other(case, *prior_petition_id)?;
            let prior = decisions::prior_case(uow.conn(), actor, *prior_petition_id).await?;
            decision::bar(&prior, reason.as_deref(), today)
        }
        DecisionRequest::Transfer {
            to_unit, reason, ..
        } => {
            let object_by = decision::objection_deadline(&state.calendar, today, limits)?;
            decision::transfer(case, to_unit, reason, object_by)
        }
        DecisionRequest::Assign {
            to_unit,
            due_on,
            instructions,
            ..
        } => {
            let object_by = decision::objection_deadline(&state.calendar, today, limits)?;
            decision::assign(case, to_unit, *due_on, instructions, today, object_by)
        }
    }?;
    let override_reason = match body {
        DecisionRequest::Accept {
            override_reason, ..
        }
        | DecisionRequest::Transfer {
            override_reason, ..
        }
        | DecisionRequest::Assign {
            override_reason, ..
        } => Some(override_reason.as_deref()),
        DecisionRequest::Decline { .. } | DecisionRequest::Bar { .. } => None,
    };
    if let Some(override_reason) = override_reason {
        let to_unit = match &decision.outcome {
            Outcome::Transferred { to_unit, .. } | Outcome::Assigned { to_unit, .. } => {
                Some(to_unit.as_str())
            }
            _ => None,
        };
        let kind = to_unit.and_then(|u| state.directory.get(u)).map(|e| e.kind);
        decision.channel_override =
            decision::channel_override(suggestion, to_unit, kind.as_deref(), override_reason)?;
    }
    Ok(decision)
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
        Outcome::Accepted { handling_unit, .. } => {
            // (The simple track is written with the status.)
            // 受理并明确办理单位: the handling unit receives the case (查阅授权, audited).
            if let Some(unit) = handling_unit
                .as_deref()
                .filter(|u| *u != case.registering_unit)
            {
                let reason = "受理并交由办理单位办理";
                if decisions::grant_access(uow.conn(), actor, case.id, unit, reason).await? {
                    uow.audit(AuditEntry::by(
                        actor,
                        "petition.access_granted",
                        Some(case.id),
                        json!({ "unit": unit, "reason": reason }),
                    ))
                    .await?;
                }
            }
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
                // Handed on after acceptance (受理后改由其他单位办理): the unit named at acceptance
                // no longer handles it and loses its access (audited).
                if let Some(previous) = case
                    .handling_unit
                    .as_deref()
                    .filter(|_| case.handed_on_after_acceptance(kind))
                {
                    if previous == to_unit {
                        return Err(ApiError::validation(
                            "to_unit",
                            "该信访件已由该单位办理，无需再转送或交办",
                        ));
                    }
                    if decisions::revoke_access(uow.conn(), case.id, previous).await? {
                        uow.audit(AuditEntry::by(
                            actor,
                            "petition.access_revoked",
                            Some(case.id),
                            json!({ "unit": previous, "reason": "受理后改由其他单位办理" }),
                        ))
                        .await?;
                    }
                }
                decisions::insert_hand_off(
                    uow.conn(),
                    case.id,
                    kind,
                    &actor.unit,
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
