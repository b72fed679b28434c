//! Routing rules (分类规则) as versioned data that administrators edit.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::PgPool;
use utoipa::ToSchema;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    Actor, ApiError, Permission,
};

use crate::{
    domain::{
        routing::{validate, RoutingRule},
        IntakeError,
    },
    store::rules::{self, RuleSetRecord},
};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleSet {
    pub version: i64,
    pub rules: Vec<RoutingRule>,
    pub note: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishRules {
    pub rules: Vec<RoutingRule>,
    /// 修订说明
    #[serde(default)]
    pub note: Option<String>,
}

impl From<RuleSetRecord> for RuleSet {
    fn from(r: RuleSetRecord) -> RuleSet {
        RuleSet {
            version: r.version,
            rules: r.rules,
            note: r.note,
            created_by: r.created_by,
            created_at: r.created_at,
        }
    }
}

/// The current routing rules (现行分类规则).
#[utoipa::path(
    get, path = "/api/v1/routing-rules", tag = "分类规则",
    responses((status = 200, body = RuleSet), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_rules(actor: Actor, pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    Ok(HttpResponse::Ok().json(RuleSet::from(rules::load(&pool, None).await?)))
}

/// One version of the routing rules (历史版本).
#[utoipa::path(
    get, path = "/api/v1/routing-rules/versions/{version}", tag = "分类规则",
    params(("version" = i64, Path, description = "版本号")),
    responses((status = 200, body = RuleSet), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_rule_version(
    actor: Actor,
    path: web::Path<i64>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let version = path.into_inner();
    Ok(HttpResponse::Ok().json(RuleSet::from(rules::load(&pool, Some(version)).await?)))
}

/// Publish a new version of the routing rules (发布分类规则); earlier versions are kept.
#[utoipa::path(
    put, path = "/api/v1/routing-rules", tag = "分类规则",
    request_body = PublishRules,
    responses((status = 201, body = RuleSet), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "publish_rules", skip_all, fields(user = %actor.user_id))]
pub async fn publish_rules(
    actor: Actor,
    body: web::Json<PublishRules>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Administer)?;
    let body = body.into_inner();
    validate(&body.rules).map_err(IntakeError::Invalid)?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let now = Utc::now();
    let version = rules::publish(
        uow.conn(),
        &body.rules,
        body.note.as_deref(),
        &actor.user_id,
        now,
    )
    .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "routing_rules.publish",
        None,
        json!({ "version": version, "rules": body.rules.len(), "note": body.note }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(RuleSet {
        version,
        rules: body.rules,
        note: body.note,
        created_by: actor.user_id,
        created_at: now,
    }))
}
