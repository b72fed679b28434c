//! Intake's internal endpoints for notification (服务间接口), service identities only (scope
//! `intake.contact.read`; people are refused): contact details at send time, audited per petition,
//! and the query-code check of the petitioner's self-service, compared in constant time against the
//! stored hash. See docs/decisions for why contact details never travel on the bus.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_platform::{
    audit::{self, AuditEntry},
    auth::AcceptServiceScopes,
    error::ErrorBody,
    Actor, ApiError,
};

use super::state::IntakeState;
use crate::domain::petition::query_code_hash;
use crate::store;

/// The scope a service needs here.
pub const CONTACT_SCOPE: &str = "intake.contact.read";

fn services_only(actor: &Actor) -> Result<(), ApiError> {
    if actor.is_service() {
        Ok(())
    } else {
        Err(ApiError::forbidden("仅限服务身份调用"))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactsRequest {
    /// At most 500.
    pub petition_ids: Vec<Uuid>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactView {
    pub petition_id: Uuid,
    pub name: String,
    pub phone: Option<String>,
    /// 电子邮箱, when the petitioner gave one.
    pub email: Option<String>,
    /// `sms` or `email`, when the petitioner stated one (送达方式偏好).
    pub preferred_channel: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactsAnswer {
    pub contacts: Vec<ContactView>,
}

/// The petitioners' contact details (联系方式), for delivery at send time; one audit record per
/// petition read.
#[utoipa::path(
    post, path = "/internal/v1/petitions/contacts", tag = "服务间接口", request_body = ContactsRequest,
    responses((status = 200, body = ContactsAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(service = %actor.user_id, petitions = body.petition_ids.len()))]
pub async fn contacts(
    actor: Actor,
    body: web::Json<ContactsRequest>,
    pool: web::Data<PgPool>,
    state: web::Data<IntakeState>,
) -> Result<HttpResponse, ApiError> {
    services_only(&actor)?;
    if body.petition_ids.len() > 500 {
        return Err(ApiError::validation("petition_ids", "一次最多查询 500 件"));
    }
    let mut tx = pool.begin().await?;
    let records = store::contacts::first_petitioners(&mut tx, &body.petition_ids).await?;
    let ids: Vec<Uuid> = records.iter().map(|r| r.petition_id).collect();
    let details = store::contact_details::for_petitions(&mut tx, &ids).await?;
    let mut contacts = Vec::with_capacity(records.len());
    let mut entries = Vec::with_capacity(records.len());
    for r in records {
        let phone = r
            .person
            .open(&state.vault, "phone")
            .map_err(ApiError::internal)?;
        let detail = details.iter().find(|d| d.id == r.person.id);
        let email = match detail {
            Some(d) => d.open_email(&state.vault).map_err(ApiError::internal)?,
            None => None,
        };
        let mut fields = vec!["name", "phone"];
        if email.is_some() {
            fields.push("email");
        }
        entries.push(AuditEntry::by(
            &actor,
            "petition.contact.read",
            Some(r.petition_id),
            serde_json::json!({ "purpose": "notice_delivery", "fields": fields }),
        ));
        contacts.push(ContactView {
            petition_id: r.petition_id,
            name: r.person.name,
            phone,
            email,
            preferred_channel: detail.and_then(|d| d.preferred_channel.clone()),
        });
    }
    audit::record_many(&mut tx, &entries).await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ContactsAnswer { contacts }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub case_number: String,
    pub query_code: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyAnswer {
    pub petition_id: Uuid,
}

fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Check a case number and query code (查询码核验): 200 with the petition's id, or 404 for a wrong
/// code and for a missing case alike (the hash is computed and compared either way).
#[utoipa::path(
    post, path = "/internal/v1/query-codes/verify", tag = "服务间接口", request_body = VerifyRequest,
    responses((status = 200, body = VerifyAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(service = %actor.user_id))]
pub async fn verify_query_code(
    actor: Actor,
    body: web::Json<VerifyRequest>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    services_only(&actor)?;
    let mut conn = pool.acquire().await?;
    let found = store::contacts::query_code_hash(&mut conn, body.case_number.trim()).await?;
    let (id, stored) = found
        .clone()
        .unwrap_or_else(|| (Uuid::nil(), "0".repeat(64)));
    let matches = same(&query_code_hash(id, body.query_code.trim()), &stored);
    if found.is_some() && matches {
        Ok(HttpResponse::Ok().json(VerifyAnswer { petition_id: id }))
    } else {
        Err(ApiError::not_found("信访件编号或查询码不正确"))
    }
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(contacts, verify_query_code),
    components(schemas(
        ContactsRequest,
        ContactView,
        ContactsAnswer,
        VerifyRequest,
        VerifyAnswer
    ))
)]
pub struct InternalApi;

/// The internal routes, open to service identities with [`CONTACT_SCOPE`].
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/internal/v1")
            .app_data(web::Data::new(AcceptServiceScopes::new([CONTACT_SCOPE])))
            .route("/petitions/contacts", web::post().to(contacts))
            .route("/query-codes/verify", web::post().to(verify_query_code))
            .configure(super::archive_record::routes),
    );
}
