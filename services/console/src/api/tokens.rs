//! The public keys (JWKS) and service identity tokens (公钥与服务身份令牌).

use actix_web::{web, HttpResponse};
use chrono::Utc;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use utoipa::ToSchema;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    ApiError,
};

use super::state::AppState;
use crate::domain::DomainError;
use xinfang_platform::auth::Jwks;

/// The console's public keys (`GET /.well-known/jwks.json`): every key whose tokens may still be
/// valid. Verifiers cache it for a minute and fetch again on an unknown `kid`.
#[utoipa::path(get, path = "/.well-known/jwks.json", tag = "令牌",
    responses((status = 200, body = Jwks)))]
pub async fn jwks(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "public, max-age=60"))
        .json(state.jwks(Utc::now()))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceTokenRequest {
    pub client_id: String,
    pub client_secret: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceToken {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    pub scopes: Vec<String>,
}

fn same_secret(a: &str, b: &str) -> bool {
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

/// A service identity token (服务身份令牌) for a configured client (`typ = service`, with scopes).
#[utoipa::path(post, path = "/api/v1/auth/service-token", tag = "令牌", request_body = ServiceTokenRequest,
    responses((status = 200, body = ServiceToken), (status = 401, body = ErrorBody)))]
#[tracing::instrument(skip_all, fields(client = %body.client_id))]
pub async fn service_token(
    body: web::Json<ServiceTokenRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let client = state
        .settings
        .tokens
        .service_clients
        .iter()
        .find(|c| c.client_id == body.client_id);
    let ok = match client {
        Some(c) => same_secret(c.client_secret.expose_secret(), &body.client_secret),
        None => {
            let _ = same_secret("no such client", &body.client_secret);
            false
        }
    };
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let client = match client {
        Some(c) if ok => c,
        _ => {
            uow.audit(AuditEntry::system(
                "console",
                "auth.service_token_refused",
                None,
                serde_json::json!({ "client_id": body.client_id }),
            ))
            .await?;
            uow.commit().await?;
            return Err(DomainError::InvalidClient.into());
        }
    };
    let token = state.service_token(&client.client_id, client.scopes.clone())?;
    uow.audit(AuditEntry::system(
        "console",
        "auth.service_token",
        None,
        serde_json::json!({ "client_id": client.client_id, "scopes": client.scopes }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ServiceToken {
            access_token: token,
            token_type: "Bearer".into(),
            expires_in: state.settings.tokens.service_ttl_secs,
            scopes: client.scopes.clone(),
        }))
}
