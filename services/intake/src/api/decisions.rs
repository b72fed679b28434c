//! Decisions (程序性决定): accept, decline with the legal channel, bar, transfer, assign; the
//! receiving unit's acceptance or objection; repeat links; routing suggestions. Each decision is
//! one transaction: state, decision record (who, when, why, which rule version suggested what),
//! access grant on hand-off, audit record, and the event that requests the petitioner's notice.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::{PgConnection, PgPool, Row};
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_contracts::{
    events::{
        AssignmentAcceptedV1, AssignmentObjectedV1, Category, LegalChannel, PetitionAcceptedV1,
        PetitionAssignedV1, PetitionBarredV1, PetitionDeclinedV1, PetitionTransferredV1,
        RepeatLinkedV1,
    },
    Envelope, Event,
};
use xinfang_messaging::OutboxWaker;
use xinfang_messaging::UnitOfWork;
use xinfang_platform::audit::AuditExt;
use xinfang_platform::time::today_in_china;
use xinfang_platform::{
    audit::AuditEntry, error::ErrorBody, idempotency, Actor, ApiError, Permission,
};

use super::rules::current_rules;
use crate::{
    access,
    domain::category_of,
    routing::{legal_channel_code, parse_legal_channel, suggest, Subject, Suggestion},
    state::IntakeState,
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

struct Case {
    id: Uuid,
    case_number: String,
    status: String,
    registering_unit: String,
    category: Option<Category>,
    field: Option<String>,
    township: Option<String>,
    respondent_unit: Option<String>,
    received_on: NaiveDate,
    repeat_of: Option<Uuid>,
    correlation_id: Uuid,
}

async fn load_case(conn: &mut PgConnection, actor: &Actor, id: Uuid) -> Result<Case, ApiError> {
    access::check(conn, actor, id, true).await?;
    let r = sqlx::query(
        "SELECT id, case_number, status, registering_unit, category, field, township, respondent_unit,
                received_on, repeat_of, correlation_id FROM petitions WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Case {
        id,
        case_number: r.try_get("case_number")?,
        status: r.try_get("status")?,
        registering_unit: r.try_get("registering_unit")?,
        category: r
            .try_get::<Option<String>, _>("category")?
            .as_deref()
            .and_then(category_of),
        field: r.try_get("field")?,
        township: r.try_get("township")?,
        respondent_unit: r.try_get("respondent_unit")?,
        received_on: r.try_get("received_on")?,
        repeat_of: r.try_get("repeat_of")?,
        correlation_id: r.try_get("correlation_id")?,
    })
}

fn envelope_for<E: Event + Serialize>(event: &E, case: &Case) -> Envelope {
    let mut e = Envelope::new(event, Some(case.id), None, None);
    e.correlation_id = case.correlation_id;
    e
}

fn required(field: &str, label: &str, v: &str, max: usize) -> Result<String, ApiError> {
    let t = v.trim();
    if t.is_empty() {
        return Err(ApiError::validation(field, format!("{label}不能为空")));
    }
    if t.chars().count() > max {
        return Err(ApiError::validation(
            field,
            format!("{label}不能超过 {max} 个字"),
        ));
    }
    Ok(t.to_string())
}

fn unit_code(field: &str, v: &str) -> Result<String, ApiError> {
    let t = v.trim();
    if t.is_empty() || t.len() > 50 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ApiError::validation(
            field,
            "单位代码不能为空、不能含空白、不能超过 50 个字符",
        ));
    }
    Ok(t.to_string())
}

fn status_zh(s: &str) -> &'static str {
    match s {
        "registered" => "已登记",
        "accepted" => "已受理",
        "declined" => "不予受理",
        "barred" => "不再受理",
        "transferred" => "已转送",
        "assigned" => "已交办",
        "in_handling" => "办理中",
        "returned" => "退回重新分办",
        _ => "未知状态",
    }
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
    let case = load_case(uow.conn(), &actor, id).await?;
    if !(actor.bureau || actor.unit == case.registering_unit) {
        return Err(ApiError::forbidden(
            "只有登记单位或信访局可以对该信访件作出受理、转送、交办等决定",
        ));
    }
    if !matches!(case.status.as_str(), "registered" | "returned") {
        return Err(ApiError::conflict(
            "invalid_state",
            format!(
                "该信访件当前状态为“{}”，不能再作出此决定",
                status_zh(&case.status)
            ),
        ));
    }
    let (version, rules) = current_rules(uow.conn()).await?;
    let suggestion = suggest(
        version,
        &rules,
        &Subject {
            category: case.category,
            field: case.field.as_deref(),
            township: case.township.as_deref(),
            respondent_unit: case.respondent_unit.as_deref(),
        },
    );
    let today = today_in_china();
    let decision_id = Uuid::now_v7();
    let by_unit = actor.unit.clone();

    let (kind, status, reason, notice, details, envelope, handling_unit) = match &body {
        DecisionRequest::Accept {
            reason,
            handling_unit,
            simple_track,
        } => {
            let reason = required("reason", "受理理由", reason, 2000)?;
            let handling_unit = handling_unit
                .as_deref()
                .map(|u| unit_code("handling_unit", u))
                .transpose()?;
            refuse_accused(&case, handling_unit.as_deref(), "handling_unit")?;
            let mut details =
                json!({ "handling_unit": handling_unit, "simple_track": simple_track });
            if *simple_track {
                if case.repeat_of.is_some() {
                    return Err(ApiError::validation(
                        "simple_track",
                        "简易办理仅适用于首次提出的信访事项，该件已认定为重复信访",
                    ));
                }
                let limits = &state.options.limits;
                let accept_by = xinfang_calendar::add_working_days(
                    &state.calendar,
                    case.received_on,
                    limits.simple_accept_working_days,
                )
                .map_err(|e| ApiError::internal(e.message_zh()))?;
                if today > accept_by {
                    return Err(ApiError::validation(
                        "simple_track",
                        format!(
                            "简易办理应在收到之日起 {} 个工作日内受理（截止 {accept_by}），已超期，请按普通程序受理",
                            limits.simple_accept_working_days
                        ),
                    ));
                }
                let opinion_by = xinfang_calendar::add_working_days(
                    &state.calendar,
                    today,
                    limits.simple_opinion_working_days,
                )
                .map_err(|e| ApiError::internal(e.message_zh()))?;
                details["simple_accept_by"] = json!(accept_by);
                details["simple_opinion_by"] = json!(opinion_by);
            }
            let event = PetitionAcceptedV1 {
                petition_id: id,
                case_number: case.case_number.clone(),
                accepted_on: today,
                decided_by_unit: by_unit.clone(),
                handling_unit: handling_unit.clone(),
                category: case.category,
                simple_track: *simple_track,
                reason: reason.clone(),
            };
            sqlx::query("UPDATE petitions SET simple_track = $2 WHERE id = $1")
                .bind(id)
                .bind(simple_track)
                .execute(uow.conn())
                .await?;
            (
                "accept",
                "accepted",
                reason,
                "受理告知书",
                details,
                envelope_for(&event, &case),
                handling_unit,
            )
        }
        DecisionRequest::Decline {
            reason,
            legal_channel,
            guidance,
        } => {
            let reason = required("reason", "不予受理理由", reason, 2000)?;
            let channel: Option<LegalChannel> = legal_channel
                .as_deref()
                .map(|c| parse_legal_channel("legal_channel", c))
                .transpose()
                .map_err(|(f, m)| ApiError::validation(&f, m))?;
            let guidance = match guidance.as_deref().map(str::trim).filter(|g| !g.is_empty()) {
                Some(g) => required("guidance", "告知途径", g, 1000)?,
                None => match (channel, &suggestion.guidance, &suggestion.legal_channel) {
                    (Some(c), Some(g), Some(sc)) if legal_channel_code(c) == *sc => g.clone(),
                    (Some(c), _, _) => format!("请依法通过{}提出", c.label_zh()),
                    (None, _, _) => {
                        return Err(ApiError::validation(
                            "guidance",
                            "不予受理须告知信访人应当通过的途径：请填写法定途径（legal_channel）或告知内容（guidance）",
                        ))
                    }
                },
            };
            let event = PetitionDeclinedV1 {
                petition_id: id,
                case_number: case.case_number.clone(),
                decided_on: today,
                decided_by_unit: by_unit.clone(),
                reason: reason.clone(),
                legal_channel: channel,
                guidance: guidance.clone(),
            };
            (
                "decline",
                "declined",
                reason,
                "不予受理告知书",
                json!({ "legal_channel": channel.map(legal_channel_code), "guidance": guidance }),
                envelope_for(&event, &case),
                None,
            )
        }
        DecisionRequest::Bar {
            prior_petition_id,
            reason,
        } => {
            let prior = bar_ground(uow.conn(), &actor, &case, *prior_petition_id).await?;
            let extra = reason
                .as_deref()
                .map(|r| required("reason", "理由", r, 2000))
                .transpose()?;
            let mut text = prior.reason.clone();
            if let Some(x) = &extra {
                text.push_str(x);
            }
            link_repeat(
                &mut uow,
                &actor,
                &case,
                *prior_petition_id,
                &prior.case_number,
            )
            .await?;
            let event = PetitionBarredV1 {
                petition_id: id,
                case_number: case.case_number.clone(),
                decided_on: today,
                decided_by_unit: by_unit.clone(),
                ground: prior.ground.to_string(),
                reason: text.clone(),
                prior_petition_id: *prior_petition_id,
                prior_case_number: prior.case_number.clone(),
            };
            let notice = if prior.ground == "final_after_re_review" {
                "不再受理告知书"
            } else {
                "不予受理告知书"
            };
            (
                "bar",
                "barred",
                text,
                notice,
                json!({ "ground": prior.ground, "prior_petition_id": prior_petition_id, "prior_case_number": prior.case_number }),
                envelope_for(&event, &case),
                None,
            )
        }
        DecisionRequest::Transfer { to_unit, reason } => {
            let to_unit = unit_code("to_unit", to_unit)?;
            let reason = required("reason", "转送理由", reason, 2000)?;
            refuse_accused(&case, Some(&to_unit), "to_unit")?;
            let object_by = hand_off(
                &mut uow, &state, &actor, &case, "transfer", &to_unit, None, today,
            )
            .await?;
            let event = PetitionTransferredV1 {
                petition_id: id,
                case_number: case.case_number.clone(),
                decided_on: today,
                decided_by_unit: by_unit.clone(),
                to_unit: to_unit.clone(),
                reason: reason.clone(),
            };
            (
                "transfer",
                "transferred",
                reason,
                "转送告知书",
                json!({ "to_unit": to_unit, "object_by": object_by }),
                envelope_for(&event, &case),
                Some(to_unit),
            )
        }
        DecisionRequest::Assign {
            to_unit,
            due_on,
            instructions,
        } => {
            let to_unit = unit_code("to_unit", to_unit)?;
            let instructions = required("instructions", "交办要求", instructions, 2000)?;
            if *due_on <= today {
                return Err(ApiError::validation("due_on", "交办期限须晚于今天"));
            }
            refuse_accused(&case, Some(&to_unit), "to_unit")?;
            let object_by = hand_off(
                &mut uow,
                &state,
                &actor,
                &case,
                "assign",
                &to_unit,
                Some(*due_on),
                today,
            )
            .await?;
            let event = PetitionAssignedV1 {
                petition_id: id,
                case_number: case.case_number.clone(),
                decided_on: today,
                decided_by_unit: by_unit.clone(),
                to_unit: to_unit.clone(),
                due_on: *due_on,
                instructions: instructions.clone(),
            };
            (
                "assign",
                "assigned",
                instructions,
                "交办通知",
                json!({ "to_unit": to_unit, "due_on": due_on, "object_by": object_by }),
                envelope_for(&event, &case),
                Some(to_unit),
            )
        }
    };

    sqlx::query("UPDATE petitions SET status = $2, handling_unit = $3 WHERE id = $1")
        .bind(id)
        .bind(status)
        .bind(&handling_unit)
        .execute(uow.conn())
        .await?;
    let followed = match kind {
        "transfer" | "assign" => Some(handling_unit.is_some() && handling_unit == suggestion.unit),
        "decline" => Some(details["legal_channel"].as_str() == suggestion.legal_channel.as_deref()),
        _ => None,
    };
    let mut details = details;
    details["notice"] = json!(notice);
    details["followed_suggestion"] = json!(followed);
    sqlx::query(
        "INSERT INTO decisions (id, petition_id, kind, decided_by, unit, decided_at, decided_on, reason, details, rule_version, suggestion)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(decision_id)
    .bind(id)
    .bind(kind)
    .bind(&actor.user_id)
    .bind(&actor.unit)
    .bind(Utc::now())
    .bind(today)
    .bind(&reason)
    .bind(&details)
    .bind(suggestion.rule_version)
    .bind(serde_json::to_value(&suggestion).map_err(ApiError::internal)?)
    .execute(uow.conn())
    .await?;
    uow.enqueue(&envelope).await?;
    uow.audit(AuditEntry::by(
            &actor,
            &format!("petition.{kind}"),
            Some(id),
            json!({ "decision_id": decision_id, "reason": reason, "details": details, "rule_version": suggestion.rule_version }),
        ))
    .await?;
    let view = DecisionView {
        decision_id,
        petition_id: id,
        case_number: case.case_number.clone(),
        kind: kind.to_string(),
        status: status.to_string(),
        decided_on: today,
        reason,
        notice: notice.to_string(),
        details,
        suggestion: Some(suggestion),
    };
    let response = serde_json::to_value(&view).map_err(ApiError::internal)?;
    idempotency::complete_request(
        uow.conn(),
        &actor,
        key.as_deref(),
        StatusCode::CREATED,
        &response,
    )
    .await?;
    uow.commit().await?;
    tracing::info!(kind, case_number = %case.case_number, "decision recorded");
    Ok(HttpResponse::Created().json(response))
}

/// Accusation material is never routed to the accused unit (art 30, art 46(5)).
fn refuse_accused(case: &Case, to: Option<&str>, field: &str) -> Result<(), ApiError> {
    if case.category == Some(Category::Accusation)
        && to.is_some()
        && to == case.respondent_unit.as_deref()
    {
        return Err(ApiError::validation(
            field,
            "检举控告材料不得转送、交办给被检举控告的单位（《信访工作条例》第三十条）",
        ));
    }
    Ok(())
}

/// Record a transfer or assignment: the hand-off with its objection window, and the explicit,
/// audited access grant of the receiving unit.
#[allow(clippy::too_many_arguments)]
async fn hand_off(
    uow: &mut UnitOfWork<'_>,
    state: &IntakeState,
    actor: &Actor,
    case: &Case,
    kind: &str,
    to_unit: &str,
    due_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<NaiveDate, ApiError> {
    let object_by = xinfang_calendar::add_working_days(
        &state.calendar,
        today,
        state.options.limits.objection_working_days,
    )
    .map_err(|e| ApiError::internal(e.message_zh()))?;
    sqlx::query(
        "INSERT INTO hand_offs (id, petition_id, kind, to_unit, handed_on, due_on, object_by, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending')",
    )
    .bind(Uuid::now_v7())
    .bind(case.id)
    .bind(kind)
    .bind(to_unit)
    .bind(today)
    .bind(due_on)
    .bind(object_by)
    .execute(uow.conn())
    .await?;
    let reason = if kind == "transfer" {
        "转送"
    } else {
        "交办"
    };
    let granted = sqlx::query(
        "INSERT INTO case_access (petition_id, unit, granted_by, granted_at, reason) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (petition_id, unit) DO NOTHING",
    )
    .bind(case.id)
    .bind(to_unit)
    .bind(&actor.user_id)
    .bind(Utc::now())
    .bind(reason)
    .execute(uow.conn())
    .await?
    .rows_affected();
    if granted == 1 {
        uow.audit(AuditEntry::by(
            actor,
            "petition.access_granted",
            Some(case.id),
            json!({ "unit": to_unit, "reason": reason }),
        ))
        .await?;
    }
    Ok(object_by)
}

struct BarGround {
    ground: &'static str,
    reason: String,
    case_number: String,
}

/// Why an earlier case bars this one: it concluded after re-review (art 36 ¶3), or it is still
/// being handled (art 19).
async fn bar_ground(
    conn: &mut PgConnection,
    actor: &Actor,
    case: &Case,
    prior: Uuid,
) -> Result<BarGround, ApiError> {
    if prior == case.id {
        return Err(ApiError::validation(
            "prior_petition_id",
            "前案不能是本件自身",
        ));
    }
    if access::check(conn, actor, prior, false).await.is_err() {
        return Err(ApiError::validation(
            "prior_petition_id",
            "所引前案不存在或无权查看",
        ));
    }
    let r = sqlx::query(
        "SELECT case_number, status, finalized_on, final_level, registered_at FROM petitions WHERE id = $1",
    )
    .bind(prior)
    .fetch_one(&mut *conn)
    .await?;
    let case_number: String = r.try_get("case_number")?;
    let status: String = r.try_get("status")?;
    let finalized_on: Option<NaiveDate> = r.try_get("finalized_on")?;
    if let Some(on) = finalized_on {
        return Ok(BarGround {
            ground: "final_after_re_review",
            reason: format!(
                "您反映的事项已于 {on} 办理终结（前案编号 {case_number}），现以同一事实和理由再次提出，依据《信访工作条例》第三十六条第三款，不再受理。"
            ),
            case_number,
        });
    }
    if matches!(
        status.as_str(),
        "accepted" | "transferred" | "assigned" | "in_handling" | "registered" | "returned"
    ) {
        return Ok(BarGround {
            ground: "earlier_case_in_progress",
            reason: format!(
                "您反映的事项已由有关机关登记办理（前案编号 {case_number}），尚在法定办理期限内，依据《信访工作条例》第十九条，不予受理。"
            ),
            case_number,
        });
    }
    Err(ApiError::validation(
        "prior_petition_id",
        format!(
            "所引前案 {case_number} 状态为“{}”，既未办理终结也不在办理期限内，不能据此不再受理",
            status_zh(&status)
        ),
    ))
}

/// Link as a repeat (within a transaction), unless already decided the same way.
async fn link_repeat(
    uow: &mut UnitOfWork<'_>,
    actor: &Actor,
    case: &Case,
    earlier: Uuid,
    earlier_case_number: &str,
) -> Result<(), ApiError> {
    let existing: Option<(String, Option<Uuid>)> = sqlx::query_as(
        "SELECT decision, earlier_petition_id FROM repeat_links WHERE petition_id = $1",
    )
    .bind(case.id)
    .fetch_optional(uow.conn())
    .await?;
    match existing {
        Some((d, e)) if d == "repeat" && e == Some(earlier) => return Ok(()),
        Some(_) => {
            sqlx::query("DELETE FROM repeat_links WHERE petition_id = $1")
                .bind(case.id)
                .execute(uow.conn())
                .await?;
        }
        None => {}
    }
    sqlx::query(
        "INSERT INTO repeat_links (petition_id, decision, earlier_petition_id, decided_by, unit, decided_at)
         VALUES ($1, 'repeat', $2, $3, $4, $5)",
    )
    .bind(case.id)
    .bind(earlier)
    .bind(&actor.user_id)
    .bind(&actor.unit)
    .bind(Utc::now())
    .execute(uow.conn())
    .await?;
    sqlx::query("UPDATE petitions SET repeat_of = $2 WHERE id = $1")
        .bind(case.id)
        .bind(earlier)
        .execute(uow.conn())
        .await?;
    let event = RepeatLinkedV1 {
        petition_id: case.id,
        case_number: case.case_number.clone(),
        earlier_petition_id: earlier,
        earlier_case_number: earlier_case_number.to_string(),
    };
    uow.enqueue(&envelope_for(&event, case)).await?;
    uow.audit(AuditEntry::by(
        actor,
        "petition.repeat_linked",
        Some(case.id),
        json!({ "earlier_petition_id": earlier, "earlier_case_number": earlier_case_number }),
    ))
    .await?;
    Ok(())
}

/// The clerk's decision on the repeat candidates.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RepeatRequest {
    /// `repeat` (link to `earlier_petition_id`) or `new` (confirmed as a new matter)
    pub decision: String,
    #[serde(default)]
    pub earlier_petition_id: Option<Uuid>,
}

/// Link a petition as a repeat of an earlier case (认定重复信访), or confirm it as new.
#[utoipa::path(
    post, path = "/api/v1/petitions/{id}/repeat", tag = "重复信访",
    request_body = RepeatRequest,
    params(("id" = Uuid, Path, description = "信访件 id")),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "decide_repeat", skip_all, fields(user = %actor.user_id, case_id = %path))]
pub async fn decide_repeat(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<RepeatRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    if !(actor.has(Permission::RegisterPetition) || actor.has(Permission::DecidePetition)) {
        actor.require(Permission::RegisterPetition)?;
    }
    let id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = load_case(uow.conn(), &actor, id).await?;
    match (body.decision.as_str(), body.earlier_petition_id) {
        ("repeat", Some(earlier)) => {
            if earlier == id {
                return Err(ApiError::validation(
                    "earlier_petition_id",
                    "不能认定为自身的重复信访",
                ));
            }
            if access::check(uow.conn(), &actor, earlier, false)
                .await
                .is_err()
            {
                return Err(ApiError::validation(
                    "earlier_petition_id",
                    "所引前案不存在或无权查看",
                ));
            }
            let (number, earlier_at, this_at): (String, chrono::DateTime<Utc>, chrono::DateTime<Utc>) =
                sqlx::query_as(
                    "SELECT e.case_number, e.registered_at, t.registered_at FROM petitions e, petitions t WHERE e.id = $1 AND t.id = $2",
                )
                .bind(earlier)
                .bind(id)
                .fetch_one(uow.conn())
                .await?;
            if earlier_at >= this_at {
                return Err(ApiError::validation(
                    "earlier_petition_id",
                    "所引前案须早于本件登记",
                ));
            }
            link_repeat(&mut uow, &actor, &case, earlier, &number).await?;
        }
        ("repeat", None) => {
            return Err(ApiError::validation(
                "earlier_petition_id",
                "认定重复信访须指明前案",
            ));
        }
        ("new", _) => {
            let n = sqlx::query(
                "INSERT INTO repeat_links (petition_id, decision, earlier_petition_id, decided_by, unit, decided_at)
                 VALUES ($1, 'new', NULL, $2, $3, $4) ON CONFLICT (petition_id) DO NOTHING",
            )
            .bind(id)
            .bind(&actor.user_id)
            .bind(&actor.unit)
            .bind(Utc::now())
            .execute(uow.conn())
            .await?
            .rows_affected();
            if n == 0 {
                return Err(ApiError::conflict(
                    "already_decided",
                    "该件已作出重复信访认定",
                ));
            }
            uow.audit(AuditEntry::by(
                &actor,
                "petition.confirmed_new",
                Some(id),
                json!({}),
            ))
            .await?;
        }
        _ => {
            return Err(ApiError::validation(
                "decision",
                "认定结果无效，应为 repeat（重复信访）或 new（新的信访事项）",
            ))
        }
    }
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(json!({ "petition_id": id, "decision": body.decision, "earlier_petition_id": body.earlier_petition_id })))
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionRequest {
    /// 异议理由 (why the matter is outside this unit's remit)
    pub reasons: String,
}

async fn pending_hand_off(
    conn: &mut PgConnection,
    actor: &Actor,
    case: &Case,
) -> Result<(Uuid, String, NaiveDate), ApiError> {
    let row = sqlx::query(
        "SELECT id, kind, object_by, to_unit FROM hand_offs WHERE petition_id = $1 AND status = 'pending' FOR UPDATE",
    )
    .bind(case.id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else {
        return Err(ApiError::conflict(
            "no_pending_hand_off",
            "该信访件没有待签收的转送或交办",
        ));
    };
    let to_unit: String = r.try_get("to_unit")?;
    if to_unit != actor.unit {
        return Err(ApiError::forbidden(
            "只有接收转送、交办的单位可以签收或提出异议",
        ));
    }
    Ok((
        r.try_get("id")?,
        r.try_get("kind")?,
        r.try_get("object_by")?,
    ))
}

/// The receiving unit accepts a transfer or assignment (签收, art 23 ¶3).
#[utoipa::path(
    post, path = "/api/v1/petitions/{id}/assignment/accept", tag = "分类处理",
    params(("id" = Uuid, Path, description = "信访件 id")),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "accept_assignment", skip_all, fields(user = %actor.user_id, unit = %actor.unit, case_id = %path))]
pub async fn accept_assignment(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = load_case(uow.conn(), &actor, id).await?;
    let (hid, kind, _) = pending_hand_off(uow.conn(), &actor, &case).await?;
    let today = today_in_china();
    sqlx::query("UPDATE hand_offs SET status = 'accepted', responded_by = $2, responded_at = $3 WHERE id = $1")
        .bind(hid)
        .bind(&actor.user_id)
        .bind(Utc::now())
        .execute(uow.conn())
        .await?;
    sqlx::query("UPDATE petitions SET status = 'in_handling', handling_unit = $2 WHERE id = $1")
        .bind(id)
        .bind(&actor.unit)
        .execute(uow.conn())
        .await?;
    let event = AssignmentAcceptedV1 {
        petition_id: id,
        case_number: case.case_number.clone(),
        unit: actor.unit.clone(),
        accepted_on: today,
    };
    uow.enqueue(&envelope_for(&event, &case)).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "assignment.accept",
        Some(id),
        json!({ "hand_off_id": hid, "kind": kind }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "petition_id": id, "status": "in_handling", "accepted_on": today })))
}

/// The receiving unit objects with reasons within 5 working days (art 23 ¶3); the case returns to
/// the bureau for re-routing, its history kept.
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
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let id = path.into_inner();
    let reasons = required("reasons", "异议理由", &body.reasons, 2000)?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = load_case(uow.conn(), &actor, id).await?;
    let (hid, kind, object_by) = pending_hand_off(uow.conn(), &actor, &case).await?;
    let today = today_in_china();
    if today > object_by {
        return Err(ApiError::validation(
            "reasons",
            format!("已超过 5 个工作日的异议期限（截止 {object_by}，《信访工作条例》第二十三条），请签收办理"),
        ));
    }
    sqlx::query(
        "UPDATE hand_offs SET status = 'objected', responded_by = $2, responded_at = $3, response = $4 WHERE id = $1",
    )
    .bind(hid)
    .bind(&actor.user_id)
    .bind(Utc::now())
    .bind(&reasons)
    .execute(uow.conn())
    .await?;
    sqlx::query("UPDATE petitions SET status = 'returned', handling_unit = NULL WHERE id = $1")
        .bind(id)
        .execute(uow.conn())
        .await?;
    let event = AssignmentObjectedV1 {
        petition_id: id,
        case_number: case.case_number.clone(),
        unit: actor.unit.clone(),
        objected_on: today,
        reasons: reasons.clone(),
    };
    uow.enqueue(&envelope_for(&event, &case)).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "assignment.object",
        Some(id),
        json!({ "hand_off_id": hid, "kind": kind, "reasons": reasons }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok()
        .json(json!({ "petition_id": id, "status": "returned", "objected_on": today })))
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
    let case = load_case(&mut tx, &actor, path.into_inner()).await?;
    let (version, rules) = current_rules(&mut tx).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok().json(suggest(
        version,
        &rules,
        &Subject {
            category: case.category,
            field: case.field.as_deref(),
            township: case.township.as_deref(),
            respondent_unit: case.respondent_unit.as_deref(),
        },
    )))
}
