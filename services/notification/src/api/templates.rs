//! Templates (文书模板) over HTTP: the catalogue with the version in force, a template's versions,
//! publishing a new version (administrators; checked when saved, audited), and the preview of a
//! notice from given fields (告知书预览) before the decision that sends it is made.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    Actor, ApiError, Permission,
};

use super::state::AppState;
use crate::domain::catalog::{self, Audience, COMMON_FIELDS};
use crate::domain::notice::looks_like_unit_code;
use crate::domain::template::{preview_fields, TemplateText};
use crate::domain::NotificationError;
use crate::store;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct FieldView {
    pub name: String,
    pub required: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TemplateView {
    pub code: String,
    /// e.g. 信访处理意见书
    pub name: String,
    /// `petitioner` or `unit`
    pub audience: String,
    /// Served with proof of delivery (letter, by hand, e-mail with the document, or opened online).
    pub needs_proof: bool,
    /// The version in force (1 = built in).
    pub version: i32,
    pub title: String,
    pub body: String,
    /// Fields of this template (`{{name}}`); the common ones are always available too.
    pub fields: Vec<FieldView>,
    pub common_fields: Vec<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub created_by: Option<String>,
}

fn view(spec: &catalog::TemplateSpec, version: i32, text: &TemplateText) -> TemplateView {
    TemplateView {
        code: spec.code.into(),
        name: spec.name.into(),
        audience: match spec.audience {
            Audience::Petitioner => "petitioner".into(),
            Audience::Unit => "unit".into(),
        },
        needs_proof: spec.needs_proof,
        version,
        title: text.title.clone(),
        body: text.body.clone(),
        fields: spec
            .fields
            .iter()
            .map(|f| FieldView {
                name: f.name.into(),
                required: f.required,
            })
            .collect(),
        common_fields: COMMON_FIELDS.iter().map(|s| s.to_string()).collect(),
        created_at: None,
        created_by: None,
    }
}

/// Every template with the version in force (文书模板目录).
#[utoipa::path(
    get, path = "/api/v1/templates", tag = "文书模板",
    responses((status = 200, body = [TemplateView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(actor: Actor, pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let mut conn = pool.acquire().await?;
    let stored = store::templates::current(&mut conn).await?;
    let views: Vec<TemplateView> = catalog::ALL
        .iter()
        .map(|spec| match stored.get(spec.code) {
            Some((v, t)) => view(spec, *v, t),
            None => view(
                spec,
                1,
                &TemplateText {
                    title: spec.title.into(),
                    body: spec.body.into(),
                },
            ),
        })
        .collect();
    Ok(HttpResponse::Ok().json(views))
}

/// Every version of one template, newest first (version 1, built in, last).
#[utoipa::path(
    get, path = "/api/v1/templates/{code}", tag = "文书模板",
    params(("code" = String, Path)),
    responses((status = 200, body = [TemplateView]), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn versions(
    actor: Actor,
    path: web::Path<String>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let spec = catalog::find(&path).ok_or(NotificationError::NotFound)?;
    let mut out: Vec<TemplateView> = store::templates::versions(&pool, spec.code)
        .await?
        .into_iter()
        .map(|r| {
            let mut v = view(
                spec,
                r.version,
                &TemplateText {
                    title: r.title,
                    body: r.body,
                },
            );
            v.created_at = Some(r.created_at);
            v.created_by = Some(r.created_by);
            v
        })
        .collect();
    out.push(view(
        spec,
        1,
        &TemplateText {
            title: spec.title.into(),
            body: spec.body.into(),
        },
    ));
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishTemplate {
    pub title: String,
    /// Paragraphs separated by line breaks; placeholders `{{field}}`.
    pub body: String,
}

/// Publish a new version (发布新版本): refused when it uses an unknown placeholder or leaves out a
/// required field, so no notice is ever made from a broken template.
#[utoipa::path(
    put, path = "/api/v1/templates/{code}", tag = "文书模板",
    params(("code" = String, Path)), request_body = PublishTemplate,
    responses((status = 201, body = TemplateView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(code = %path))]
pub async fn publish(
    actor: Actor,
    path: web::Path<String>,
    body: web::Json<PublishTemplate>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Administer)?;
    let spec = catalog::find(&path).ok_or(NotificationError::NotFound)?;
    let text =
        TemplateText::parse(spec, &body.title, &body.body).map_err(NotificationError::from)?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let row = store::templates::publish(uow.conn(), spec.code, &text, &actor.user_id).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "template.publish",
        None,
        serde_json::json!({ "code": spec.code, "version": row.version }),
    ))
    .await?;
    uow.commit().await?;
    let mut v = view(spec, row.version, &text);
    v.created_at = Some(row.created_at);
    v.created_by = Some(row.created_by);
    Ok(HttpResponse::Created().json(v))
}

/// A notice as it would read (告知书预览): the template in force filled with the given fields.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PreviewView {
    pub code: String,
    /// e.g. 受理告知书
    pub name: String,
    /// The version in force that was filled.
    pub version: i32,
    pub title: String,
    /// Paragraphs separated by line breaks; dates read in Chinese, unit codes as organ names.
    pub body: String,
}

/// Preview a notice (预览告知书): the template in force filled with the fields given as a JSON
/// object of texts (`{"due_on": "2026-12-20", …}`), nothing stored or sent. A field the template
/// does not know, a value that is not text, or a required field left out answers 422 naming each.
/// Unit codes in unit fields read as the organ's name; `organ_name` defaults to the caller's
/// organ and `dated_on` to today.
#[utoipa::path(
    post, path = "/api/v1/templates/{code}/preview", tag = "文书模板",
    params(("code" = String, Path)),
    request_body(content = Object, description = "模板字段（字段名 → 文本）"),
    responses((status = 200, body = PreviewView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
              (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(code = %path))]
pub async fn preview(
    actor: Actor,
    path: web::Path<String>,
    body: web::Json<serde_json::Map<String, serde_json::Value>>,
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let spec = catalog::find(&path).ok_or(NotificationError::NotFound)?;
    let mut fields = preview_fields(spec, &body).map_err(ApiError::validation_many)?;
    for (name, value) in fields.iter_mut() {
        if catalog::is_unit_field(name) && looks_like_unit_code(value) {
            if let Some(organ) = state.names.name(value) {
                *value = organ;
            }
        }
    }
    if fields.get("organ_name").is_none_or(|v| v.trim().is_empty()) {
        let organ = state.names.name(&actor.unit).unwrap_or_default();
        fields.insert("organ_name".into(), organ);
    }
    fields
        .entry("dated_on".into())
        .or_insert_with(|| xinfang_platform::time::today_in_china().to_string());
    let mut conn = pool.acquire().await?;
    let (version, text) = match store::templates::current(&mut conn)
        .await?
        .remove(spec.code)
    {
        Some(stored) => stored,
        None => (
            1,
            TemplateText {
                title: spec.title.into(),
                body: spec.body.into(),
            },
        ),
    };
    let rendered = text
        .render(spec, &fields)
        .map_err(NotificationError::from)?;
    Ok(HttpResponse::Ok().json(PreviewView {
        code: spec.code.into(),
        name: spec.name.into(),
        version,
        title: rendered.title,
        body: rendered.body,
    }))
}
