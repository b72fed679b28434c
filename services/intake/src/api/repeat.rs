//! Repeat findings (重复信访认定): the clerk links a petition to an earlier case or confirms it
//! as a new matter.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    Actor, ApiError, Permission,
};

use crate::{
    domain::{decision::CaseFacts, IntakeError},
    events::publish,
    store::decisions,
};

/// Link the case as a repeat of `earlier` (within a transaction), unless already decided the same
/// way: the link, the event and the audit record.
pub(super) async fn link_repeat(
    uow: &mut UnitOfWork<'_>,
    actor: &Actor,
    case: &CaseFacts,
    earlier: Uuid,
    earlier_case_number: &str,
) -> Result<(), ApiError> {
    if !decisions::link_repeat(uow.conn(), actor, case.id, earlier).await? {
        return Ok(());
    }
    uow.enqueue(&publish::repeat_linked(case, earlier, earlier_case_number))
        .await?;
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
    let case = decisions::load_case(uow.conn(), &actor, id).await?;
    match (body.decision.as_str(), body.earlier_petition_id) {
        ("repeat", Some(earlier)) => {
            if earlier == id {
                return Err(IntakeError::EarlierIsThisCase.into());
            }
            decisions::ensure_referenced_visible(
                uow.conn(),
                &actor,
                earlier,
                "earlier_petition_id",
            )
            .await?;
            let registrations = decisions::registrations(uow.conn(), earlier, id).await?;
            if registrations.earlier_registered_at >= registrations.this_registered_at {
                return Err(IntakeError::EarlierNotBefore.into());
            }
            link_repeat(
                &mut uow,
                &actor,
                &case,
                earlier,
                &registrations.earlier_case_number,
            )
            .await?;
        }
        ("repeat", None) => return Err(IntakeError::EarlierMissing.into()),
        ("new", _) => {
            if !decisions::confirm_new(uow.conn(), &actor, id).await? {
                return Err(IntakeError::RepeatAlreadyDecided.into());
            }
            uow.audit(AuditEntry::by(
                &actor,
                "petition.confirmed_new",
                Some(id),
                json!({}),
            ))
            .await?;
        }
        _ => return Err(IntakeError::InvalidRepeatDecision.into()),
    }
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(json!({ "petition_id": id, "decision": body.decision, "earlier_petition_id": body.earlier_petition_id })))
}
