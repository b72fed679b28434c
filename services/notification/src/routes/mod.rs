use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::IntoParams;
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
    // The owning unit and county-wide staff see every notice of the case; a receiving unit sees the
    // notices addressed to it.
    let visible: Vec<NoticeView> = rows
        .into_iter()
        .filter(|(owner, n)| {
            actor.can_see_unit(owner) || n.recipient_unit.as_deref() == Some(actor.unit.as_str())
        })
        .map(|(_, n)| n)
        .collect();
    if visible.is_empty() {
        return Err(ApiError::not_found("信访件不存在或无权查看"));
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(visible))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InboxQuery {
    /// Keyset cursor: `created_at` of the last notice of the previous page.
    pub before_at: Option<DateTime<Utc>>,
    /// Keyset cursor: `id` of the last notice of the previous page.
    pub before_id: Option<Uuid>,
    /// 1–200, default 50
    pub limit: Option<i64>,
}

/// The caller's unit's inbox (本单位收到的通知), newest first.
#[utoipa::path(
    get, path = "/api/v1/notices/inbox", tag = "通知",
    params(InboxQuery),
    responses((status = 200, body = [NoticeView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn inbox(
    actor: Actor,
    query: web::Query<InboxQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request(
            "invalid_limit",
            "limit 应在 1 至 200 之间",
        ));
    }
    let before = match (q.before_at, q.before_id) {
        (Some(at), Some(id)) => Some((at, id)),
        (None, None) => None,
        _ => {
            return Err(ApiError::bad_request(
                "invalid_cursor",
                "before_at 与 before_id 须同时提供",
            ))
        }
    };
    Ok(HttpResponse::Ok().json(notices::inbox(&pool, &actor.unit, before, limit).await?))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "xinfang notification (通知送达)"),
    paths(case_notices, inbox),
    components(schemas(NoticeView))
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/cases/{case_id}/notices", web::get().to(case_notices))
            .route("/notices/inbox", web::get().to(inbox)),
    );
}
