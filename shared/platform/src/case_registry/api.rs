//! The case register's HTTP view: `GET /api/v1/cases/{case_id}`.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use super::store;
use crate::{Actor, ApiError, Permission};

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
    let case = store::find(pool.get_ref(), path.into_inner())
        .await?
        .filter(|c| actor.can_see_unit(&c.registering_unit))
        .ok_or_else(|| ApiError::not_found("信访件不存在或无权查看"))?;
    Ok(HttpResponse::Ok().json(CaseView {
        case_id: case.case_id,
        case_number: case.case_number,
        registering_unit: case.registering_unit,
        received_on: case.received_on,
        status: case.status,
        created_at: case.created_at,
    }))
}

/// Serve `GET /api/v1/cases/{case_id}` from the local register.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/api/v1").route("/cases/{case_id}", web::get().to(get_case)));
}
