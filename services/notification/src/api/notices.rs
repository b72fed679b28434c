//! Notices over HTTP: a case's notices (告知记录) and a unit's inbox (本单位收到的通知).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use xinfang_platform::{error::ErrorBody, Actor, ApiError, Permission};

use crate::domain::{InboxPage, Notice, NotificationError};
use crate::store;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NoticeView {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    /// e.g. `registration_receipt` (登记回执), `acceptance_notice` (受理告知书)
    pub kind: String,
    /// `petitioner` or `unit`
    pub recipient_kind: String,
    /// The receiving unit of a notice to a unit.
    pub recipient_unit: Option<String>,
    pub channel: String,
    pub title: String,
    pub body: String,
    /// `pending` until served (送达), then `delivered`
    pub status: String,
    pub created_at: DateTime<Utc>,
    /// The template version it was made from.
    pub template_version: i32,
    /// The request it answers, for a document another service asked for.
    pub request_id: Option<Uuid>,
    /// 制发机关 (full name)
    pub organ_name: String,
    /// 文号
    pub document_number: Option<String>,
    /// 成文日期
    pub dated_on: chrono::NaiveDate,
    /// `GET` this for the printed document (A4 PDF).
    pub document_url: String,
}

impl From<Notice> for NoticeView {
    fn from(n: Notice) -> Self {
        NoticeView {
            id: n.id,
            case_id: n.case_id,
            case_number: n.case_number,
            kind: n.kind,
            recipient_kind: n.recipient_kind,
            recipient_unit: n.recipient_unit,
            channel: n.channel,
            title: n.title,
            body: n.body,
            status: n.status,
            created_at: n.created_at,
            template_version: n.template_version,
            request_id: n.request_id,
            organ_name: n.organ_name,
            document_number: n.document_number,
            dated_on: n.dated_on,
            document_url: format!("/api/v1/documents/{}.pdf", n.id),
        }
    }
}

/// The notices of a case (告知记录).
#[utoipa::path(
    get, path = "/api/v1/cases/{case_id}/notices", tag = "通知",
    params(("case_id" = Uuid, Path)),
    responses((status = 200, body = [NoticeView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(case_id = %path))]
pub async fn case_notices(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let notices = store::notices::for_case(&pool, path.into_inner()).await?;
    // The owning unit and county-wide staff see every notice of the case; a receiving unit sees the
    // notices addressed to it.
    let visible: Vec<NoticeView> = notices
        .into_iter()
        .filter(|n| {
            actor.can_see_unit(&n.unit_code)
                || n.recipient_unit.as_deref() == Some(actor.unit.as_str())
        })
        .map(NoticeView::from)
        .collect();
    if visible.is_empty() {
        return Err(NotificationError::CaseNotFound.into());
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
#[tracing::instrument(skip_all, fields(unit = %actor.unit))]
pub async fn inbox(
    actor: Actor,
    query: xinfang_platform::http::Query<InboxQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let q = query.into_inner();
    let page = InboxPage::new(q.before_at, q.before_id, q.limit)?;
    let notices = store::notices::inbox(&pool, &actor.unit, page).await?;
    Ok(HttpResponse::Ok().json(
        notices
            .into_iter()
            .map(NoticeView::from)
            .collect::<Vec<_>>(),
    ))
}
