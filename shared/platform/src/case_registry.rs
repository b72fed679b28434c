//! The local register of cases (案件登记副本) that downstream services keep from intake's events, so
//! that they can scope access and show a case without reading intake's tables.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool, Row};
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_contracts::{events::PetitionRegisteredV1, DomainEvent, Envelope};

use crate::{Actor, ApiError, Permission};

/// Record a registered petition (idempotent).
pub async fn record(conn: &mut PgConnection, e: &PetitionRegisteredV1) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cases (case_id, case_number, registering_unit, received_on, status)
         VALUES ($1, $2, $3, $4, 'registered') ON CONFLICT (case_id) DO NOTHING",
    )
    .bind(e.petition_id)
    .bind(&e.case_number)
    .bind(&e.registering_unit)
    .bind(e.received_on)
    .execute(conn)
    .await?;
    Ok(())
}

/// Record the registered petitions among a batch's events with one statement (idempotent, like
/// [`record`]); the other events are not this register's business.
pub async fn record_registrations(
    conn: &mut PgConnection,
    items: &[(&Envelope, DomainEvent)],
) -> Result<(), sqlx::Error> {
    let events: Vec<&PetitionRegisteredV1> = items
        .iter()
        .filter_map(|(_, event)| match event {
            DomainEvent::PetitionRegistered(e) => Some(e),
            _ => None,
        })
        .collect();
    match events.as_slice() {
        [] => Ok(()),
        [one] => record(conn, one).await,
        many => record_many(conn, many).await,
    }
}

/// Record several registered petitions with one statement (idempotent, like [`record`]).
pub async fn record_many(
    conn: &mut PgConnection,
    events: &[&PetitionRegisteredV1],
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO cases (case_id, case_number, registering_unit, received_on, status)
         SELECT t.id, t.num, t.unit, t.received, 'registered'
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[]) AS t(id, num, unit, received)
         ON CONFLICT (case_id) DO NOTHING",
    )
    .bind(events.iter().map(|e| e.petition_id).collect::<Vec<_>>())
    .bind(
        events
            .iter()
            .map(|e| e.case_number.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(
        events
            .iter()
            .map(|e| e.registering_unit.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(events.iter().map(|e| e.received_on).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseView {
    pub case_id: Uuid,
    pub case_number: String,
    pub registering_unit: String,
    pub received_on: NaiveDate,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// `GET /api/v1/cases/{case_id}`: this service's view of a case (案件信息); other units' cases
/// answer 404.
#[utoipa::path(
    get, path = "/api/v1/cases/{case_id}", tag = "案件",
    params(("case_id" = Uuid, Path)),
    responses(
        (status = 200, body = CaseView),
        (status = 401, body = crate::error::ErrorBody),
        (status = 403, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_case(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let row = sqlx::query(
        "SELECT case_id, case_number, registering_unit, received_on, status, created_at FROM cases WHERE case_id = $1",
    )
    .bind(path.into_inner())
    .fetch_optional(pool.get_ref())
    .await?;
    let Some(r) = row else {
        return Err(ApiError::not_found("信访件不存在或无权查看"));
    };
    let unit: String = r.try_get("registering_unit")?;
    if !actor.can_see_unit(&unit) {
        return Err(ApiError::not_found("信访件不存在或无权查看"));
    }
    Ok(HttpResponse::Ok().json(CaseView {
        case_id: r.try_get("case_id")?,
        case_number: r.try_get("case_number")?,
        registering_unit: unit,
        received_on: r.try_get("received_on")?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
    }))
}

/// Serve `GET /api/v1/cases/{case_id}` from the local register.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/api/v1").route("/cases/{case_id}", web::get().to(get_case)));
}
