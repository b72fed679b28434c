//! The archive's HTTP API (信访档案): search by case number or petitioner, a package's manifest
//! and files, legal holds, destruction requests and their approval by a second person. Every step
//! checks role and unit (`ManageArchive` / `ApproveArchiveDestruction` in the permission matrix,
//! and the package's unit), and is audited.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    Actor, ApiError, Permission,
};

use super::domain::{self, ArchiveError, DestructionCheck, Manifest, RetentionPolicy};
use super::events;
use super::source::ArchiveSource;
use super::store::{self, DestructionRow, PackageRow};

/// What the archive's handlers share.
pub struct ArchiveState {
    pub source: Arc<dyn ArchiveSource>,
    pub policy: RetentionPolicy,
}

impl From<ArchiveError> for ApiError {
    fn from(e: ArchiveError) -> Self {
        let message = e.to_string();
        match e {
            ArchiveError::NotFound | ArchiveError::FileNotFound | ArchiveError::RequestNotFound => {
                ApiError::not_found(message)
            }
            ArchiveError::Destroyed => ApiError::new(StatusCode::GONE, "destroyed", message),
            ArchiveError::OnHold => ApiError::conflict("on_hold", message),
            ArchiveError::NotOnHold => ApiError::conflict("not_on_hold", message),
            ArchiveError::AlreadyOnHold => ApiError::conflict("already_on_hold", message),
            ArchiveError::Permanent => ApiError::conflict("permanent", message),
            ArchiveError::RetentionNotExpired(until) => {
                ApiError::conflict("retention_not_expired", message)
                    .with_details(json!({ "retain_until": until }))
            }
            ArchiveError::RequestPending => ApiError::conflict("request_pending", message),
            ArchiveError::RequestDecided => ApiError::conflict("request_decided", message),
            ArchiveError::SameApprover => {
                ApiError::forbidden(message).with_details(json!({ "reason": "same_person" }))
            }
            ArchiveError::Invalid { field, .. } => ApiError::validation(field, message),
            ArchiveError::Unavailable => ApiError::unavailable(message),
        }
    }
}

/// A package in a list (档案条目).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PackageSummary {
    pub case_id: Uuid,
    /// 信访件编号
    pub case_number: String,
    /// The unit whose archive it is (登记单位).
    pub unit: String,
    pub archived_at: DateTime<Utc>,
    /// 保管期限类别 (code) and its name, e.g. `long` / 长期.
    pub retention_class: String,
    pub retention_name: String,
    /// First day it may be destroyed; none when permanent.
    pub retain_until: Option<NaiveDate>,
    /// 法律保全
    pub on_hold: bool,
    pub destroyed_at: Option<DateTime<Utc>>,
}

/// A legal hold (法律保全).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HoldView {
    pub reason: String,
    pub placed_by: String,
    pub placed_at: DateTime<Utc>,
}

/// A destruction request and, once approved, its record (销毁记录).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DestructionView {
    pub id: Uuid,
    pub case_id: Uuid,
    /// `pending` or `approved`.
    pub status: String,
    pub reason: String,
    pub requested_by: String,
    pub requested_unit: String,
    pub requested_at: DateTime<Utc>,
    pub approved_by: Option<String>,
    pub approved_unit: Option<String>,
    pub approved_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
    /// SHA-256 of the manifest the request was made against.
    pub manifest_sha256: String,
    /// What was destroyed: each file's path, size and SHA-256.
    #[schema(value_type = Option<Vec<Object>>)]
    pub destroyed_files: Option<Value>,
}

/// A package (档案): its manifest with every file's checksum, hold and destructions.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PackageView {
    #[serde(flatten)]
    pub summary: PackageSummary,
    /// SHA-256 of `manifest.json`.
    pub manifest_sha256: String,
    pub manifest: Manifest,
    pub hold: Option<HoldView>,
    pub destructions: Vec<DestructionView>,
}

fn summary(p: &PackageRow, policy: &RetentionPolicy) -> PackageSummary {
    PackageSummary {
        case_id: p.case_id,
        case_number: p.case_number.clone(),
        unit: p.unit_code.clone(),
        archived_at: p.archived_at,
        retention_name: policy
            .get(&p.retention_class)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| p.retention_class.clone()),
        retention_class: p.retention_class.clone(),
        retain_until: p.retain_until,
        on_hold: p.on_hold,
        destroyed_at: p.destroyed_at,
    }
}

fn destruction(d: DestructionRow) -> DestructionView {
    DestructionView {
        id: d.id,
        case_id: d.case_id,
        status: d.status,
        reason: d.reason,
        requested_by: d.requested_by,
        requested_unit: d.requested_unit,
        requested_at: d.requested_at,
        approved_by: d.approved_by,
        approved_unit: d.approved_unit,
        approved_at: d.approved_at,
        comment: d.comment,
        manifest_sha256: d.manifest_sha256,
        destroyed_files: d.destroyed_files,
    }
}

fn view(
    p: PackageRow,
    destructions: Vec<DestructionRow>,
    policy: &RetentionPolicy,
) -> Result<PackageView, ApiError> {
    let manifest: Manifest =
        serde_json::from_value(p.manifest.clone()).map_err(ApiError::internal)?;
    Ok(PackageView {
        summary: summary(&p, policy),
        manifest_sha256: p.manifest_sha256.clone(),
        manifest,
        hold: match (p.on_hold, p.hold_reason, p.hold_by, p.hold_at) {
            (true, Some(reason), Some(placed_by), Some(placed_at)) => Some(HoldView {
                reason,
                placed_by,
                placed_at,
            }),
            _ => None,
        },
        destructions: destructions.into_iter().map(destruction).collect(),
    })
}

/// The package of `case_id` if the caller's unit may see it (otherwise: not found, alike).
fn visible(actor: &Actor, p: Option<PackageRow>) -> Result<PackageRow, ArchiveError> {
    p.filter(|p| actor.can_see_unit(&p.unit_code))
        .ok_or(ArchiveError::NotFound)
}

/// A search of the archive (档案检索): at least one of the criteria.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// 信访件编号, exactly.
    pub case_number: Option<String>,
    /// 信访人身份证号 (matched through intake's blind index; never stored here).
    pub id_number: Option<String>,
    /// 信访人联系电话 (likewise).
    pub phone: Option<String>,
    /// 1 to 200, default 50.
    #[schema(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SearchAnswer {
    pub items: Vec<PackageSummary>,
}

/// Search the archive by case number, or by petitioner (identity number or phone, through the
/// blind index intake keeps); only the caller's unit's packages unless county-wide. A search by
/// petitioner is audited (which kinds of value, never the value).
#[utoipa::path(
    post, path = "/api/v1/archive/search", tag = "信访档案", request_body = SearchRequest,
    responses((status = 200, body = SearchAnswer), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, unit = %actor.unit))]
pub async fn search(
    actor: Actor,
    body: web::Json<SearchRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<ArchiveState>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ManageArchive)?;
    let body = body.into_inner();
    let limit = body.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::validation("limit", "limit 应在 1 至 200 之间"));
    }
    let nonempty = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let (case_number, id_number, phone) = (
        nonempty(body.case_number),
        nonempty(body.id_number),
        nonempty(body.phone),
    );
    if case_number.is_none() && id_number.is_none() && phone.is_none() {
        return Err(ApiError::validation(
            "case_number",
            "请提供信访件编号、身份证号或联系电话之一",
        ));
    }
    if case_number.as_ref().is_some_and(|n| n.chars().count() > 64) {
        return Err(ApiError::validation("case_number", "信访件编号过长"));
    }
    let by_person = id_number.is_some() || phone.is_some();
    let mut indexes = Vec::new();
    if by_person {
        for i in state
            .source
            .indexes(id_number.as_deref(), phone.as_deref())
            .await?
        {
            indexes.push(hex::decode(&i.index).map_err(ApiError::internal)?);
        }
        if indexes.is_empty() {
            return Err(ArchiveError::Unavailable.into());
        }
    }
    let found = store::search(
        &pool,
        &store::Search {
            case_number,
            indexes,
            unit: (!actor.county_wide()).then(|| actor.unit.clone()),
            limit,
        },
    )
    .await?;
    if by_person {
        let mut uow = UnitOfWork::begin(&pool, &waker).await?;
        let kinds: Vec<&str> = [("id_number", &id_number), ("phone", &phone)]
            .into_iter()
            .filter(|(_, v)| v.is_some())
            .map(|(k, _)| k)
            .collect();
        uow.audit(AuditEntry::by(
            &actor,
            "archive.search_by_petitioner",
            None,
            json!({ "by": kinds, "found": found.len() }),
        ))
        .await?;
        uow.commit().await?;
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(SearchAnswer {
            items: found.iter().map(|p| summary(p, &state.policy)).collect(),
        }))
}

/// A package: its manifest (every file with its SHA-256), retention, hold and destructions.
#[utoipa::path(
    get, path = "/api/v1/archive/{case_id}", tag = "信访档案",
    params(("case_id" = Uuid, Path)),
    responses((status = 200, body = PackageView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(case_id = %path))]
pub async fn get(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
    state: web::Data<ArchiveState>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ManageArchive)?;
    let mut conn = pool.acquire().await?;
    let p = visible(&actor, store::get(&mut conn, path.into_inner()).await?)?;
    let d = store::requests_of(&mut conn, p.case_id).await?;
    Ok(HttpResponse::Ok().json(view(p, d, &state.policy)?))
}

/// One file of a package (case.json, documents/….pdf, audit/….json, manifest.json), as stored;
/// 410 once destroyed. Audited.
#[utoipa::path(
    get, path = "/api/v1/archive/{case_id}/files/{path}", tag = "信访档案",
    params(("case_id" = Uuid, Path), ("path" = String, Path, description = "The file's path in the manifest")),
    responses((status = 200, description = "The file (application/json or application/pdf)",
               content((serde_json::Value = "application/json"), (String = "application/pdf"))),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 410, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all)]
pub async fn file(
    actor: Actor,
    path: web::Path<(Uuid, String)>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ManageArchive)?;
    let (case_id, file_path) = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let p = visible(&actor, store::get(uow.conn(), case_id).await?)?;
    let f = store::file(uow.conn(), p.case_id, &file_path)
        .await?
        .ok_or(ArchiveError::FileNotFound)?;
    let Some(content) = f.content else {
        return Err(ArchiveError::Destroyed.into());
    };
    uow.audit(AuditEntry::by(
        &actor,
        "archive.file.read",
        Some(case_id),
        json!({ "path": file_path }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok()
        .content_type(f.media_type)
        .insert_header(("Cache-Control", "no-store"))
        .body(content))
}

/// A reason (事由).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonRequest {
    /// 1 to 500 characters.
    pub reason: String,
}

/// Place a legal hold (法律保全): the package cannot be destroyed while it lasts.
#[utoipa::path(
    post, path = "/api/v1/archive/{case_id}/hold", tag = "信访档案",
    params(("case_id" = Uuid, Path)), request_body = ReasonRequest,
    responses((status = 200, body = PackageView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, body = ErrorBody),
              (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(case_id = %path))]
pub async fn hold(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ReasonRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<ArchiveState>,
) -> Result<HttpResponse, ApiError> {
    set_hold(
        actor,
        path.into_inner(),
        Some(&body.reason),
        &pool,
        &waker,
        &state,
    )
    .await
}

/// Lift a legal hold (解除保全).
#[utoipa::path(
    post, path = "/api/v1/archive/{case_id}/hold/release", tag = "信访档案",
    params(("case_id" = Uuid, Path)), request_body = ReasonRequest,
    responses((status = 200, body = PackageView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, body = ErrorBody),
              (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(case_id = %path))]
pub async fn release(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ReasonRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<ArchiveState>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ManageArchive)?;
    let reason = domain::reason("reason", &body.reason)?;
    let case_id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let p = visible(&actor, store::lock(uow.conn(), case_id).await?)?;
    if p.destroyed_at.is_some() {
        return Err(ArchiveError::Destroyed.into());
    }
    if !p.on_hold {
        return Err(ArchiveError::NotOnHold.into());
    }
    store::set_hold(uow.conn(), case_id, None).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "archive.hold.release",
        Some(case_id),
        json!({ "reason": reason }),
    ))
    .await?;
    let p = store::get(uow.conn(), case_id)
        .await?
        .ok_or(ArchiveError::NotFound)?;
    let d = store::requests_of(uow.conn(), case_id).await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(view(p, d, &state.policy)?))
}

async fn set_hold(
    actor: Actor,
    case_id: Uuid,
    reason: Option<&str>,
    pool: &PgPool,
    waker: &OutboxWaker,
    state: &ArchiveState,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ManageArchive)?;
    let reason = domain::reason("reason", reason.unwrap_or_default())?;
    let mut uow = UnitOfWork::begin(pool, waker).await?;
    let p = visible(&actor, store::lock(uow.conn(), case_id).await?)?;
    if p.destroyed_at.is_some() {
        return Err(ArchiveError::Destroyed.into());
    }
    if p.on_hold {
        return Err(ArchiveError::AlreadyOnHold.into());
    }
    store::set_hold(uow.conn(), case_id, Some((&reason, &actor.user_id))).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "archive.hold.place",
        Some(case_id),
        json!({ "reason": reason }),
    ))
    .await?;
    let p = store::get(uow.conn(), case_id)
        .await?
        .ok_or(ArchiveError::NotFound)?;
    let d = store::requests_of(uow.conn(), case_id).await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(view(p, d, &state.policy)?))
}

/// Request the destruction of a package whose retention period has passed (销毁申请); refused
/// while on hold, for a permanent class, before the period ends, or with a request pending.
#[utoipa::path(
    post, path = "/api/v1/archive/{case_id}/destruction-requests", tag = "信访档案",
    params(("case_id" = Uuid, Path)), request_body = ReasonRequest,
    responses((status = 201, body = DestructionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, body = ErrorBody),
              (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(case_id = %path))]
pub async fn request_destruction(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ReasonRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ManageArchive)?;
    let reason = domain::reason("reason", &body.reason)?;
    let case_id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let p = visible(&actor, store::lock(uow.conn(), case_id).await?)?;
    domain::may_destroy(&check_of(&p), xinfang_platform::time::today_in_china())?;
    if store::pending_request(uow.conn(), case_id).await? {
        return Err(ArchiveError::RequestPending.into());
    }
    let d = store::insert_request(
        uow.conn(),
        case_id,
        &reason,
        &actor.user_id,
        &actor.unit,
        &p.manifest_sha256,
    )
    .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "archive.destruction.request",
        Some(case_id),
        json!({ "request_id": d.id, "reason": reason, "manifest_sha256": p.manifest_sha256 }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(destruction(d)))
}

fn check_of(p: &PackageRow) -> DestructionCheck {
    DestructionCheck {
        destroyed: p.destroyed_at.is_some(),
        on_hold: p.on_hold,
        retain_until: p.retain_until,
    }
}

/// An approval's comment (审批意见), optional.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveRequest {
    pub comment: Option<String>,
}

/// Approve a destruction request (批准销毁): someone other than the requester, holding the
/// approval right (the county bureau's archivist or administrator). The content is destroyed in
/// the same transaction: every file's bytes, the petitioners' blind indexes and the case's printed
/// documents; the manifest, the hashes and this record stay.
#[utoipa::path(
    post, path = "/api/v1/archive/destruction-requests/{id}/approve", tag = "信访档案",
    params(("id" = Uuid, Path)), request_body = ApproveRequest,
    responses((status = 200, body = DestructionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 410, body = ErrorBody),
              (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(request_id = %path))]
pub async fn approve(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ApproveRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ApproveArchiveDestruction)?;
    let comment = match body.comment.as_deref() {
        Some(c) if !c.trim().is_empty() => Some(domain::reason("comment", c)?),
        _ => None,
    };
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let request = store::lock_request(uow.conn(), path.into_inner())
        .await?
        .ok_or(ArchiveError::RequestNotFound)?;
    let p = visible(&actor, store::lock(uow.conn(), request.case_id).await?)
        .map_err(|_| ArchiveError::RequestNotFound)?;
    if request.status != "pending" {
        return Err(ArchiveError::RequestDecided.into());
    }
    domain::check_approver(&request.requested_by, &actor.user_id)?;
    domain::may_destroy(&check_of(&p), xinfang_platform::time::today_in_china())?;
    let d = store::destroy(
        uow.conn(),
        request.id,
        p.case_id,
        &actor.user_id,
        &actor.unit,
        comment.as_deref(),
    )
    .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "archive.destroy",
        Some(p.case_id),
        json!({
            "request_id": d.id,
            "requested_by": d.requested_by,
            "manifest_sha256": p.manifest_sha256,
            "files": d.destroyed_files,
        }),
    ))
    .await?;
    uow.enqueue(&events::destroyed(&p, &d)).await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(destruction(d)))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(search, get, file, hold, release, request_destruction, approve),
    components(schemas(
        SearchRequest,
        SearchAnswer,
        PackageSummary,
        PackageView,
        HoldView,
        DestructionView,
        ReasonRequest,
        ApproveRequest,
        Manifest,
        domain::ManifestEntry,
    ))
)]
pub struct ArchiveApi;

/// The archive's routes (inside `/api/v1`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/archive/search", web::post().to(search))
        .route(
            "/archive/destruction-requests/{id}/approve",
            web::post().to(approve),
        )
        .route("/archive/{case_id}", web::get().to(get))
        .route("/archive/{case_id}/files/{path:.*}", web::get().to(file))
        .route("/archive/{case_id}/hold", web::post().to(hold))
        .route("/archive/{case_id}/hold/release", web::post().to(release))
        .route(
            "/archive/{case_id}/destruction-requests",
            web::post().to(request_destruction),
        );
}
