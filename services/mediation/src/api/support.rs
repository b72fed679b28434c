//! What the mediation handlers share: the unit of work with its `Idempotency-Key`, the 200 answer
//! stored under the key, and the full view of a mediation (调解详情).

use actix_web::{http::StatusCode, HttpRequest, HttpResponse};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{idempotency, Actor, ApiError};

use crate::{
    domain::{access, MediationError},
    store::{
        agreements::{self, AgreementRow},
        mediations::{self, MediationRow, PartyRow},
        sessions::{self, SessionRow},
    },
};

/// A unit of work for a keyed request, or the replay of the first answer under its key.
pub enum Begun {
    Go(UnitOfWork<'static>, Option<String>),
    Replay(HttpResponse),
}

pub async fn begin(
    req: &HttpRequest,
    actor: &Actor,
    pool: &PgPool,
    waker: &OutboxWaker,
    request: &impl Serialize,
) -> Result<Begun, ApiError> {
    let key = idempotency::key_of(req)?;
    let mut uow = UnitOfWork::begin(pool, waker).await?;
    if let Some(replay) =
        idempotency::begin_request(uow.conn(), actor, key.as_deref(), request).await?
    {
        uow.rollback().await?;
        return Ok(Begun::Replay(replay));
    }
    Ok(Begun::Go(uow, key))
}

/// Store the answer under the key, commit, answer 200.
pub async fn ok<T: Serialize>(
    mut uow: UnitOfWork<'_>,
    actor: &Actor,
    key: Option<&str>,
    view: &T,
) -> Result<HttpResponse, ApiError> {
    let body = serde_json::to_value(view).map_err(ApiError::internal)?;
    idempotency::complete_request(uow.conn(), actor, key, StatusCode::OK, &body).await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(body))
}

/// A mediation locked for a step the caller must be allowed to take (the body's unit or the
/// bureau, with the mediation right).
pub async fn mediation_for_step(
    conn: &mut PgConnection,
    actor: &Actor,
    id: Uuid,
) -> Result<MediationRow, MediationError> {
    let m = mediations::load_for_update(conn, id)
        .await?
        .ok_or(MediationError::NotFound("调解不存在或无权查看"))?;
    access::may_read(actor, &[&m.body_unit, &m.matter_unit])?;
    access::may_mediate(actor, &m.body_unit)?;
    Ok(m)
}

/// 调解详情: the mediation, its parties and their consent, its sessions and its agreement.
#[derive(Debug, Serialize, ToSchema)]
pub struct MediationView {
    pub mediation: MediationRow,
    pub parties: Vec<PartyRow>,
    pub sessions: Vec<SessionRow>,
    pub agreement: Option<AgreementRow>,
}

pub async fn view(conn: &mut PgConnection, id: Uuid) -> Result<MediationView, ApiError> {
    let mediation = mediations::load(conn, id)
        .await?
        .ok_or_else(|| ApiError::not_found("调解不存在或无权查看"))?;
    Ok(MediationView {
        mediation,
        parties: mediations::parties(conn, id).await?,
        sessions: sessions::of_mediation(conn, id).await?,
        agreement: agreements::of_mediation(conn, id).await?,
    })
}
