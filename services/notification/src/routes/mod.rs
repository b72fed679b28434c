use std::sync::Arc;

use actix_web::{web, HttpResponse};
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_platform::{error::ErrorBody, Actor, ApiError, Permission};

use crate::notices::{self, NoticeView};

/// The notices of a case (告知记录).
#[utoipa::path(
    get, path = "/api/v1/cases/{case_id}/notices", tag = "通知",
    params(("case_id" = Uuid, Path)),
    responses((status = 200, body = [NoticeView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn case_notices(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let rows = notices::for_case(&pool, path.into_inner()).await?;
    if rows.is_empty() || !rows.iter().all(|(unit, _)| actor.can_see_unit(unit)) {
        return Err(ApiError::not_found("信访件不存在或无权查看"));
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(rows.into_iter().map(|(_, n)| n).collect::<Vec<_>>()))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "xinfang notification (通知送达)"),
    paths(case_notices),
    components(schemas(NoticeView))
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig, openapi: Arc<String>) {
    xinfang_platform::http::serve_openapi(cfg, openapi);
    cfg.service(
        web::scope("/api/v1").route("/cases/{case_id}/notices", web::get().to(case_notices)),
    );
}
