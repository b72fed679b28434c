//! Routing rules (分类规则) as versioned data that administrators edit.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{PgConnection, PgPool, Row};
use utoipa::ToSchema;
use xinfang_messaging::OutboxWaker;
use xinfang_messaging::UnitOfWork;
use xinfang_platform::audit::AuditExt;
use xinfang_platform::{audit::AuditEntry, error::ErrorBody, Actor, ApiError, Permission};

use crate::routing::{validate, RoutingRule};

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

/// The newest rule set.
pub async fn current_rules(conn: &mut PgConnection) -> Result<(i64, Vec<RoutingRule>), ApiError> {
    let row =
        sqlx::query("SELECT version, rules FROM routing_rule_sets ORDER BY version DESC LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    match row {
        None => Ok((0, Vec::new())),
        Some(r) => Ok((
            r.try_get("version")?,
            serde_json::from_value(r.try_get("rules")?).map_err(ApiError::internal)?,
        )),
    }
}

async fn load(pool: &PgPool, version: Option<i64>) -> Result<RuleSet, ApiError> {
    let r = sqlx::query(
        "SELECT version, rules, note, created_by, created_at FROM routing_rule_sets
         WHERE ($1::bigint IS NULL OR version = $1) ORDER BY version DESC LIMIT 1",
    )
    .bind(version)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ApiError::not_found("分类规则版本不存在"))?;
    Ok(RuleSet {
        version: r.try_get("version")?,
        rules: serde_json::from_value(r.try_get("rules")?).map_err(ApiError::internal)?,
        note: r.try_get("note")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

/// The current routing rules (现行分类规则).
#[utoipa::path(
    get, path = "/api/v1/routing-rules", tag = "分类规则",
    responses((status = 200, body = RuleSet), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_rules(actor: Actor, pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    Ok(HttpResponse::Ok().json(load(&pool, None).await?))
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
    Ok(HttpResponse::Ok().json(load(&pool, Some(path.into_inner())).await?))
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
    validate(&body.rules).map_err(ApiError::validation_many)?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    // Serialize publishers so versions follow one another.
    sqlx::query("LOCK TABLE routing_rule_sets IN SHARE ROW EXCLUSIVE MODE")
        .execute(uow.conn())
        .await?;
    let now = Utc::now();
    let version: i64 = sqlx::query_scalar(
        "INSERT INTO routing_rule_sets (rules, note, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING version",
    )
    .bind(serde_json::to_value(&body.rules).map_err(ApiError::internal)?)
    .bind(&body.note)
    .bind(&actor.user_id)
    .bind(now)
    .fetch_one(uow.conn())
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
