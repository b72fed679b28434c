//! `Idempotency-Key` for POST requests (幂等请求): a retried request returns the first response and
//! never creates a second record. The key row is written in the same transaction as the state
//! change, so a concurrent retry waits on the key and then reads the stored response.

use actix_web::{http::StatusCode, HttpRequest, HttpResponse};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sqlx::PgConnection;

use xinfang_messaging::UnitOfWork;

use crate::{auth::Actor, error::ApiError};

pub const HEADER: &str = "Idempotency-Key";

/// The key of a request, if it sent one. Keys are 1–128 visible ASCII characters.
pub fn key_of(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(v) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    let s = v
        .to_str()
        .map_err(|_| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                "Idempotency-Key 只能包含可见 ASCII 字符",
            )
        })?
        .trim();
    if s.is_empty() || s.len() > 128 || !s.chars().all(|c| c.is_ascii_graphic()) {
        return Err(ApiError::bad_request(
            "invalid_idempotency_key",
            "Idempotency-Key 须为 1 至 128 个可见 ASCII 字符",
        ));
    }
    Ok(Some(s.to_string()))
}

pub fn request_hash(body: &Value) -> String {
    hex::encode(Sha256::digest(body.to_string().as_bytes()))
}

/// A claimed key as [`begin`] reads it back: the first request's hash and, once it completed,
/// its response.
#[derive(sqlx::FromRow)]
struct StoredKey {
    request_hash: String,
    status_code: Option<i16>,
    response_body: Option<Value>,
}

pub enum Begin {
    /// First time: go ahead, then call [`complete`] in the same transaction.
    New,
    /// Seen before: return this response.
    Replay { status: StatusCode, body: Value },
}

/// Claim the key inside the caller's transaction.
pub async fn begin(
    conn: &mut PgConnection,
    actor: &Actor,
    key: &str,
    hash: &str,
) -> Result<Begin, ApiError> {
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (actor, idempotency_key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
    )
    .bind(&actor.user_id)
    .bind(key)
    .bind(hash)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Begin::New);
    }
    let row = sqlx::query_as::<_, StoredKey>(
        "SELECT request_hash, status_code, response_body FROM idempotency_keys WHERE actor = $1 AND idempotency_key = $2",
    )
    .bind(&actor.user_id)
    .bind(key)
    .fetch_one(&mut *conn)
    .await?;
    if row.request_hash != hash {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "该 Idempotency-Key 已用于内容不同的请求，请使用新的键",
        ));
    }
    match (row.status_code, row.response_body) {
        (Some(s), Some(b)) => Ok(Begin::Replay {
            status: StatusCode::from_u16(s as u16).unwrap_or(StatusCode::OK),
            body: b,
        }),
        _ => Err(ApiError::conflict(
            "request_in_progress",
            "相同请求正在处理中，请稍后重试",
        )),
    }
}

/// Store the response with the key, inside the same transaction as the state change.
pub async fn complete(
    conn: &mut PgConnection,
    actor: &Actor,
    key: &str,
    status: StatusCode,
    body: &Value,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE idempotency_keys SET status_code = $3, response_body = $4 WHERE actor = $1 AND idempotency_key = $2",
    )
    .bind(&actor.user_id)
    .bind(key)
    .bind(status.as_u16() as i16)
    .bind(body)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Claim the request's `Idempotency-Key`, if it sent one ([`key_of`]), inside the caller's
/// transaction: `Some(response)` replays the first answer (return it as is); `None` means go
/// ahead, then [`complete_request`] in the same transaction.
pub async fn begin_request(
    conn: &mut PgConnection,
    actor: &Actor,
    key: Option<&str>,
    body: &impl Serialize,
) -> Result<Option<HttpResponse>, ApiError> {
    let Some(key) = key else { return Ok(None) };
    let hash = request_hash(&serde_json::to_value(body).map_err(ApiError::internal)?);
    match begin(conn, actor, key, &hash).await? {
        Begin::Replay { status, body } => Ok(Some(HttpResponse::build(status).json(body))),
        Begin::New => Ok(None),
    }
}

/// Store the response with the request's key, if it sent one, in the transaction of the change.
pub async fn complete_request(
    conn: &mut PgConnection,
    actor: &Actor,
    key: Option<&str>,
    status: StatusCode,
    response: &Value,
) -> Result<(), ApiError> {
    match key {
        Some(key) => complete(conn, actor, key, status, response).await,
        None => Ok(()),
    }
}

/// Finish a request that created something: store its response under the request's key (when it
/// sent one), commit the unit of work and answer 201 with the response, so that a retry with the
/// same key gets exactly this answer.
pub async fn created<T: Serialize>(
    mut uow: UnitOfWork<'_>,
    actor: &Actor,
    key: Option<&str>,
    view: &T,
) -> Result<HttpResponse, ApiError> {
    let response = serde_json::to_value(view).map_err(ApiError::internal)?;
    complete_request(uow.conn(), actor, key, StatusCode::CREATED, &response).await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(response))
}
