//! Assessment findings (考核发现), scoped by unit: the bureau and leaders see the county, a unit sees
//! itself.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use xinfang_platform::{error::ErrorBody, Actor, ApiError, Permission};

use crate::findings::{self, FindingFilter, FindingView, Question};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FindingsQuery {
    /// 单位代码 (county-wide callers only; others see their own unit)
    pub unit: Option<String>,
    /// `unregistered_visit`, `unaccepted`, `unhandled`, `unaccounted`, `uninvestigated`
    pub question: Option<String>,
    /// raised on or after (China date)
    pub from: Option<NaiveDate>,
    /// raised on or before (China date)
    pub to: Option<NaiveDate>,
    /// cursor: `next` of the previous page
    pub after: Option<Uuid>,
    /// 1–200, default 50
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FindingsPage {
    pub items: Vec<FindingView>,
    /// pass as `after` for the next page; null on the last page
    pub next: Option<Uuid>,
}

/// Assessment findings (考核发现), newest first.
#[utoipa::path(
    get, path = "/api/v1/findings", tag = "考核",
    params(FindingsQuery),
    responses((status = 200, body = FindingsPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    actor: Actor,
    query: web::Query<FindingsQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadStatistics)?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    let question = match q.question.as_deref() {
        None => None,
        Some(s) => match Question::parse(s) {
            Some(q) => Some(q),
            None => {
                errors.push((
                    "question".to_string(),
                    "question 应为 unregistered_visit、unaccepted、unhandled、unaccounted 或 uninvestigated".to_string(),
                ));
                None
            }
        },
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        errors.push(("limit".into(), "limit 应在 1 至 200 之间".into()));
    }
    if let (Some(f), Some(t)) = (q.from, q.to) {
        if f > t {
            errors.push(("to".into(), "to 不得早于 from".into()));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::validation_many(errors));
    }
    let unit = if actor.county_wide() {
        q.unit
    } else {
        match q.unit {
            Some(u) if u != actor.unit => return Err(ApiError::not_found("单位不存在或无权查看")),
            _ => Some(actor.unit.clone()),
        }
    };
    let filter = FindingFilter {
        unit,
        question,
        from: q.from,
        to: q.to,
        after: q.after,
        limit: limit + 1,
    };
    let mut items = findings::list(&pool, &filter).await?;
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|f| f.id)
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(FindingsPage { items, next }))
}
