//! The petitioner's status lookup (信访事项查询) by case number and query code, for the portal.
//!
//! Called by the console's petitioner portal with its service identity (scope
//! `intake.petition.lookup`); persons may call it too. A wrong query code and an unknown case
//! number answer the same 404, so the answer tells nothing about which case numbers exist.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use utoipa::ToSchema;
use xinfang_platform::{error::ErrorBody, Actor, ApiError};

use crate::{
    domain::{decision::status_zh, petition::query_code_hash},
    store,
};

/// The service scope the portal's token carries (门户查询权限).
pub const LOOKUP_SCOPE: &str = "intake.petition.lookup";

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    /// 信访件编号
    pub case_number: String,
    /// 查询码 (eight characters, given on the receipt)
    pub query_code: String,
}

impl std::fmt::Debug for LookupRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookupRequest")
            .field("case_number", &self.case_number)
            .finish()
    }
}

/// What the petitioner may see of their case (办理状态), nothing personal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LookupAnswer {
    pub case_number: String,
    /// registered | accepted | declined | barred | transferred | assigned | in_handling | returned
    pub status: String,
    /// 办理状态 (Chinese)
    pub status_zh: String,
    pub received_on: NaiveDate,
    pub finalized_on: Option<NaiveDate>,
}

fn not_found() -> ApiError {
    ApiError::not_found("未找到该信访事项，请核对信访件编号和查询码")
}

/// Look a case up by case number and query code (信访人查询办理状态).
#[utoipa::path(post, path = "/api/v1/petitions/lookup", tag = "查询", request_body = LookupRequest,
    responses((status = 200, body = LookupAnswer), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody, description = "信访件编号或查询码格式有误")),
    security(("bearer" = [])))]
#[tracing::instrument(skip_all)]
pub async fn lookup(
    _actor: Actor,
    body: web::Json<LookupRequest>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let case_number = body.case_number.trim();
    let code = body.query_code.trim().to_uppercase();
    if case_number.is_empty() || case_number.len() > 40 {
        return Err(ApiError::validation("case_number", "请填写信访件编号"));
    }
    if code.is_empty() || code.len() > 16 {
        return Err(ApiError::validation("query_code", "请填写查询码"));
    }
    let mut conn = pool.acquire().await?;
    let Some(row) = store::lookup::by_case_number(&mut conn, case_number).await? else {
        return Err(not_found());
    };
    // Compare digests of the hashes, so the comparison's time says nothing about the stored one.
    let given = Sha256::digest(query_code_hash(row.id, &code).as_bytes());
    let stored = Sha256::digest(row.query_code_hash.as_bytes());
    if given != stored {
        tracing::info!("petition lookup with a wrong query code");
        return Err(not_found());
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(LookupAnswer {
            case_number: row.case_number,
            status_zh: status_zh(&row.status).to_string(),
            status: row.status,
            received_on: row.received_on,
            finalized_on: row.finalized_on,
        }))
}
