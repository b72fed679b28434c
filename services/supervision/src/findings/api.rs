//! Assessment findings over HTTP (考核发现), scoped by unit: the bureau and leaders see the county, a
//! unit sees itself.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use xinfang_platform::directory::Directory;
use xinfang_platform::{error::ErrorBody, Actor, ApiError, Permission};

use crate::{
    api::support::Problems,
    findings::{
        domain::{FindingFilter, Question},
        store::{self, FindingRow},
    },
};

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

/// A finding as listed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FindingView {
    pub id: Uuid,
    /// `unregistered_visit`, `unaccepted`, `unhandled`, `unaccounted`, `uninvestigated`
    pub question: String,
    /// 应登记不登记 …
    pub question_label: String,
    pub case_id: Option<Uuid>,
    pub unit_code: String,
    /// `deadline:<id>`, `visit:<id>` or `misconduct:<id>`
    pub subject_ref: String,
    pub detail: String,
    pub raised_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
}

impl From<FindingRow> for FindingView {
    fn from(r: FindingRow) -> FindingView {
        FindingView {
            question_label: Question::parse(&r.question)
                .map(|q| q.label_zh().to_string())
                .unwrap_or_default(),
            id: r.id,
            question: r.question,
            case_id: r.case_id,
            unit_code: r.unit_code,
            subject_ref: r.subject_ref,
            detail: r.detail,
            raised_at: r.raised_at,
            resolved_at: r.resolved_at,
        }
    }
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
    query: xinfang_platform::http::Query<FindingsQuery>,
    pool: web::Data<PgPool>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadStatistics)?;
    let q = query.into_inner();
    let mut problems = Problems::default();
    let question = match q.question.as_deref() {
        None => None,
        Some(s) => {
            let question = Question::parse(s);
            if question.is_none() {
                problems.push(
                    "question",
                    "question 应为 unregistered_visit、unaccepted、unhandled、unaccounted 或 uninvestigated",
                );
            }
            question
        }
    };
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        problems.push("limit", "limit 应在 1 至 200 之间");
    }
    if let (Some(f), Some(t)) = (q.from, q.to) {
        if f > t {
            problems.push("to", "to 不得早于 from");
        }
    }
    if let Some(Err(refused)) = q
        .unit
        .as_deref()
        .map(|u| directory.require_known("unit", u))
    {
        problems.push("unit", refused.to_string());
    }
    problems.finish()?;
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
    let mut items: Vec<FindingView> = store::list(&pool, &filter)
        .await?
        .into_iter()
        .map(FindingView::from)
        .collect();
    let next = if items.len() as i64 > limit {
        items.truncate(limit as usize);
        items.last().map(|f| f.id)
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(FindingsPage { items, next }))
}
