//! The loaded holiday calendars (已加载的节假日安排) and publishing a year at run time.

use actix_web::{web, HttpResponse};
use sqlx::PgPool;
use xinfang_calendar::YearArrangement;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::{error::ErrorBody, Actor, ApiError, Permission};

use crate::deadlines::{
    domain::calendar::Engine,
    store::calendar_years::{self, LoadedYear, Published},
};

/// The loaded holiday calendars (已加载的节假日安排). Public.
#[utoipa::path(
    get, path = "/api/v1/calendar/years", tag = "期限",
    responses((status = 200, body = [LoadedYear]))
)]
pub async fn years(
    pool: web::Data<PgPool>,
    engine: web::Data<Engine>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(calendar_years::loaded_years(&pool, &engine).await?))
}

/// Publish a year's holiday arrangement (发布年度节假日安排): the body is the year's JSON as in
/// `deploy/calendars/README.md`. Every replica loads it; deadlines it affects are re-projected and
/// their reminders moved.
#[utoipa::path(
    post, path = "/api/v1/calendar/years", tag = "期限",
    request_body(content = Object, description = "YYYY.json 的内容"),
    responses(
        (status = 200, body = Published, description = "已加载（或内容相同，已加载过）"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "该年度已加载且内容不同"),
        (status = 422, body = ErrorBody, description = "内容不符合格式或自相矛盾"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "publish_calendar_year", skip_all, fields(user = %actor.user_id))]
pub async fn publish_year(
    actor: Actor,
    body: web::Json<serde_json::Value>,
    pool: web::Data<PgPool>,
    engine: web::Data<Engine>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Administer)?;
    let arrangement = YearArrangement::from_json_str(&body.into_inner().to_string())
        .map_err(|e| ApiError::validation("body", format!("节假日安排有误：{}", e.message_zh())))?;
    if !(2000..=2100).contains(&arrangement.year) {
        return Err(ApiError::validation("year", "year 应在 2000 至 2100 之间"));
    }
    let published = calendar_years::publish(&pool, &engine, arrangement, &actor).await?;
    waker.wake();
    Ok(HttpResponse::Ok().json(published))
}
