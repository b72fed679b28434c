//! Intake's part of the archive (信访档案, decision 0017), for notification's archiver, service
//! identities with scope `intake.archive.read` only: the petition's record as JSON (personal data
//! masked, as staff without the personal-data right see it), its petitioners' blind indexes, and
//! intake's audit trail of the case with its chain proof; and the blind indexes of an identity
//! number or phone given for a search of the archive (the key never leaves intake). Both audited.

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_platform::{
    audit::{self, AuditEntry},
    audit_trail,
    error::ErrorBody,
    Actor, ApiError,
};

use super::state::IntakeState;
use crate::domain::petition::{IdNumber, Phone};
use crate::domain::IntakeError;
use crate::store;

/// The scope a service needs here.
pub const ARCHIVE_SCOPE: &str = "intake.archive.read";

fn services_only(actor: &Actor) -> Result<(), ApiError> {
    if actor.is_service() {
        Ok(())
    } else {
        Err(ApiError::forbidden("仅限服务身份调用"))
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArchiveRecordRequest {
    pub petition_id: Uuid,
}

/// A petitioner's blind index (盲索引), hex.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PetitionerIndex {
    /// `id_number` or `phone`.
    pub kind: String,
    pub index: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ArchiveRecord {
    pub petition_id: Uuid,
    pub case_number: String,
    /// The petition, its petitioners (masked), attachments' metadata, decisions, hand-offs and
    /// history, as stored.
    #[schema(value_type = Object)]
    pub record: Value,
    pub petitioner_indexes: Vec<PetitionerIndex>,
    /// Intake's audit trail of the case with its chain proof (`xinfang_platform::audit_trail`).
    #[schema(value_type = Object)]
    pub audit_trail: Value,
}

/// The petition's record for its archive package (归档材料).
#[utoipa::path(
    post, path = "/internal/v1/archive/records", tag = "服务间接口", request_body = ArchiveRecordRequest,
    responses((status = 200, body = ArchiveRecord), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(service = %actor.user_id, petition_id = %body.petition_id))]
pub async fn record(
    actor: Actor,
    body: web::Json<ArchiveRecordRequest>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    services_only(&actor)?;
    let id = body.petition_id;
    let mut tx = pool.begin().await?;
    let Some(found) = store::archive::record(&mut tx, id).await? else {
        return Err(ApiError::not_found("信访件不存在"));
    };
    audit::record_many(
        &mut tx,
        &[AuditEntry::by(
            &actor,
            "petition.archive.read",
            Some(id),
            json!({ "purpose": "archive" }),
        )],
    )
    .await?;
    // The trail is read after the read itself is recorded, so that the package holds it too.
    let trail = audit_trail::case_trail(&mut tx, "intake", id).await?;
    tx.commit().await?;
    let mut indexes = Vec::new();
    for (kind, value) in found.indexes {
        indexes.push(PetitionerIndex {
            kind,
            index: hex::encode(value),
        });
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(ArchiveRecord {
            petition_id: id,
            case_number: found.case_number,
            record: found.record,
            petitioner_indexes: indexes,
            audit_trail: serde_json::to_value(&trail).map_err(ApiError::internal)?,
        }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndexRequest {
    /// 公民身份号码
    pub id_number: Option<String>,
    /// 联系电话
    pub phone: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IndexAnswer {
    pub indexes: Vec<PetitionerIndex>,
}

/// The blind indexes of an identity number or phone (盲索引计算), for a search of the archive by
/// petitioner; the values are checked as at registration (422 naming the field).
#[utoipa::path(
    post, path = "/internal/v1/archive/petitioner-indexes", tag = "服务间接口", request_body = IndexRequest,
    responses((status = 200, body = IndexAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(service = %actor.user_id))]
pub async fn petitioner_indexes(
    actor: Actor,
    body: web::Json<IndexRequest>,
    pool: web::Data<PgPool>,
    state: web::Data<IntakeState>,
) -> Result<HttpResponse, ApiError> {
    services_only(&actor)?;
    let mut indexes = Vec::new();
    if let Some(s) = &body.id_number {
        let v = IdNumber::parse("id_number", s).map_err(IntakeError::from)?;
        indexes.push(PetitionerIndex {
            kind: "id_number".into(),
            index: hex::encode(state.vault.blind_index("id_number", v.pii().expose())),
        });
    }
    if let Some(s) = &body.phone {
        let v = Phone::parse("phone", s).map_err(IntakeError::from)?;
        indexes.push(PetitionerIndex {
            kind: "phone".into(),
            index: hex::encode(state.vault.blind_index("phone", v.pii().expose())),
        });
    }
    if indexes.is_empty() {
        return Err(ApiError::validation("id_number", "须提供身份证号或电话"));
    }
    let kinds: Vec<&str> = indexes.iter().map(|i| i.kind.as_str()).collect();
    let mut tx = pool.begin().await?;
    audit::record_many(
        &mut tx,
        &[AuditEntry::by(
            &actor,
            "archive.petitioner_index",
            None,
            json!({ "kinds": kinds }),
        )],
    )
    .await?;
    tx.commit().await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(IndexAnswer { indexes }))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(record, petitioner_indexes),
    components(schemas(
        ArchiveRecordRequest,
        ArchiveRecord,
        PetitionerIndex,
        IndexRequest,
        IndexAnswer
    ))
)]
pub struct ArchiveApi;

/// The routes, inside `/internal/v1`, open to service identities with [`ARCHIVE_SCOPE`].
pub fn routes(cfg: &mut web::ServiceConfig) {
    let scopes = || {
        web::Data::new(xinfang_platform::auth::AcceptServiceScopes::new([
            ARCHIVE_SCOPE,
        ]))
    };
    cfg.service(
        web::resource("/archive/records")
            .app_data(scopes())
            .route(web::post().to(record)),
    )
    .service(
        web::resource("/archive/petitioner-indexes")
            .app_data(scopes())
            .route(web::post().to(petitioner_indexes)),
    );
}
