//! The directory copy over HTTP (单位目录查询): `GET /api/v1/directory/units[/{code}]`, read-only,
//! so that a person (or an operator checking that a change arrived) sees what this service knows;
//! and the mapping of [`UnitRefused`] to the shared error shape.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::{Directory, UnitEntry, UnitRefused};
use crate::{auth::Actor, error::ApiError};

impl From<UnitRefused> for ApiError {
    fn from(e: UnitRefused) -> ApiError {
        let field = e.field().to_string();
        let code = e.code().to_string();
        let reason = match e {
            UnitRefused::Unknown { .. } => "unknown_unit",
            UnitRefused::Retired { .. } => "retired_unit",
        };
        let message = e.to_string();
        ApiError::validation(&field, message.clone()).with_details(serde_json::json!({
            "field": field,
            "message": message,
            "reason": reason,
            "unit": code,
        }))
    }
}

/// The units this service knows (本服务的单位目录副本).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DirectoryView {
    pub units: Vec<UnitEntry>,
}

#[utoipa::path(
    get, path = "/api/v1/directory/units", tag = "单位目录",
    responses(
        (status = 200, body = DirectoryView),
        (status = 401, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list_units(
    _actor: Actor,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(DirectoryView {
        units: directory.all(),
    }))
}

#[utoipa::path(
    get, path = "/api/v1/directory/units/{code}", tag = "单位目录",
    params(("code" = String, Path, description = "单位代码")),
    responses(
        (status = 200, body = UnitEntry),
        (status = 401, body = crate::error::ErrorBody),
        (status = 404, body = crate::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get_unit(
    _actor: Actor,
    path: web::Path<String>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    let code = path.into_inner();
    directory
        .get(&code)
        .map(|u| HttpResponse::Ok().json(u))
        .ok_or_else(|| ApiError::not_found(format!("单位目录中没有单位代码“{code}”")))
}

/// The directory's OpenAPI paths.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list_units, get_unit),
    components(schemas(DirectoryView, UnitEntry))
)]
pub struct DirectoryApi;

/// Serve the directory copy.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/v1/directory/units", web::get().to(list_units))
        .route("/api/v1/directory/units/{code}", web::get().to(get_unit));
}
