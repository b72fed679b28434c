//! Registration (登记) and reading of petitions.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    directory::Directory,
    error::ErrorBody,
    idempotency,
    time::today_in_china,
    Actor, ApiError, Permission,
};

use super::state::IntakeState;
use crate::{
    domain::{
        access::{may_read_text, ACCUSATION_WITHHELD},
        petition::{IdNumber, NewPetition, Phone, RawAttachment, RawPetition, RawPetitioner},
        repeat::Candidate,
        text::{scope_of, search_tokens},
        IntakeError,
    },
    store::{
        access, contact_details,
        petitions::{self, Registration},
        repeat::{find_candidates, Probe},
    },
    workers::registrar::{Job, Registrar, Written},
};

pub use crate::domain::petition::RegisteredPetition;

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PetitionerInput {
    /// 姓名
    pub name: String,
    /// 公民身份号码 (18 位, GB 11643 校验)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// 联系电话: 手机或带区号的固定电话
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// 住址
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// 电子邮箱 (for notices by e-mail)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// 送达方式偏好: `sms` (短信) or `email` (电子邮件); the address it names must be given
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_channel: Option<String>,
}

/// 附件信息 (the file itself is in the document store).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentInput {
    /// scanned_letter | photo | document | audio
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// SHA-256 of the file, hex
    pub sha256: String,
}

/// 登记信访事项
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterPetitionRequest {
    /// visit | letter | phone | fax | online | transferred_in | assigned_in
    #[schema(example = "visit")]
    pub channel: String,
    /// 收到日期 (defaults to today, China time); the statutory clocks start here.
    pub received_on: Option<NaiveDate>,
    /// 信访事项摘要
    pub summary: String,
    /// 事实和理由
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<String>,
    /// 信访诉求
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<String>,
    /// suggestion (建议意见) | accusation (检举控告) | claim (申诉求决)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// urban_rural_construction | labour_social_security | agriculture_rural | natural_resources |
    /// law_litigation | other
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// 二级分类 (configurable sub-taxonomy)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subfield: Option<String>,
    /// 乡镇
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub township: Option<String>,
    /// 村（社区）
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub village: Option<String>,
    /// 被反映单位 (unit code)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub respondent_unit: Option<String>,
    /// 信访人 (for a group visit, its representatives: at most 5). Empty = anonymous.
    #[serde(default)]
    pub petitioners: Vec<PetitionerInput>,
    /// 信访人数 (defaults to the number of petitioners listed, at least 1)
    #[schema(minimum = 1, maximum = 2000)]
    pub petitioner_count: Option<u32>,
    /// 多人走访 (defaults to true for a visit by 5 or more people)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_visit: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentInput>,
    /// The walk-in visit log entry (来访登记) this registration resolves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visit_id: Option<Uuid>,
    /// 上级来文编号 (transferred_in / assigned_in)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_reference: Option<String>,
    /// 转送交办机关
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_organ: Option<String>,
    /// 交办期限 (assigned_in)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream_due_on: Option<NaiveDate>,
}

fn raw_of(b: &RegisterPetitionRequest) -> RawPetition<'_> {
    RawPetition {
        channel: &b.channel,
        received_on: b.received_on,
        summary: &b.summary,
        facts: b.facts.as_deref(),
        requests: b.requests.as_deref(),
        category: b.category.as_deref(),
        field: b.field.as_deref(),
        subfield: b.subfield.as_deref(),
        township: b.township.as_deref(),
        village: b.village.as_deref(),
        respondent_unit: b.respondent_unit.as_deref(),
        petitioners: b
            .petitioners
            .iter()
            .map(|p| RawPetitioner {
                name: &p.name,
                id_number: p.id_number.as_deref(),
                phone: p.phone.as_deref(),
                address: p.address.as_deref(),
                email: p.email.as_deref(),
                preferred_channel: p.preferred_channel.as_deref(),
            })
            .collect(),
        petitioner_count: b.petitioner_count,
        group_visit: b.group_visit,
        attachments: b
            .attachments
            .iter()
            .map(|a| RawAttachment {
                kind: &a.kind,
                file_name: &a.file_name,
                content_type: &a.content_type,
                size_bytes: a.size_bytes,
                sha256: &a.sha256,
            })
            .collect(),
        upstream_reference: b.upstream_reference.as_deref(),
        upstream_organ: b.upstream_organ.as_deref(),
        upstream_due_on: b.upstream_due_on,
    }
}

/// Register a petition (登记信访事项). Send `Idempotency-Key` so that a retried request returns the
/// first result instead of creating a second case. The answer lists repeat candidates.
#[utoipa::path(
    post, path = "/api/v1/petitions", tag = "登记",
    request_body = RegisterPetitionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses(
        (status = 201, body = RegisteredPetition),
        (status = 400, body = ErrorBody, description = "请求格式错误"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "来访登记已被登记"),
        (status = 413, body = ErrorBody, description = "请求内容过大"),
        (status = 422, body = ErrorBody, description = "字段校验失败"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "register_petition", skip_all, fields(user = %actor.user_id, unit = %actor.unit, case_id, correlation_id))]
pub async fn register(
    req: HttpRequest,
    actor: Actor,
    body: web::Json<RegisterPetitionRequest>,
    pool: web::Data<PgPool>,
    state: web::Data<IntakeState>,
    registrar: web::Data<Registrar>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::RegisterPetition)?;
    let key = idempotency::key_of(&req)?;
    let body = body.into_inner();
    state
        .directory
        .require_active_opt("respondent_unit", body.respondent_unit.as_deref())?;
    let petition = NewPetition::parse(raw_of(&body), today_in_china(), &state.options.taxonomy)
        .map_err(IntakeError::Invalid)?;
    let request_hash = match &key {
        Some(_) => Some(idempotency::request_hash(
            &serde_json::to_value(&body).map_err(ApiError::internal)?,
        )),
        None => None,
    };
    let registration = prepare(pool.get_ref(), &actor, &state, petition, body.visit_id).await?;
    let outcome = registrar
        .submit(
            pool.get_ref().clone(),
            Job {
                actor,
                key,
                request_hash,
                registration,
            },
        )
        .await?;
    match outcome {
        Written::Replay { status, body } => Ok(HttpResponse::build(status).json(body)),
        Written::Created(registered) => {
            waker.wake();
            tracing::Span::current()
                .record("case_id", tracing::field::display(registered.id))
                .record(
                    "correlation_id",
                    tracing::field::display(registered.correlation_id),
                );
            tracing::info!(case_number = %registered.case_number, candidates = registered.repeat_candidates.len(), "petition registered");
            Ok(HttpResponse::Created().json(registered))
        }
    }
}

/// Work out, outside any transaction, what registration writes: the new id, the text tokens, and
/// the repeat candidates (重复信访候选) the caller may see, found through the blind indexes and the
/// content of the matter's scope.
#[tracing::instrument(skip_all)]
pub(crate) async fn prepare(
    pool: &PgPool,
    actor: &Actor,
    state: &IntakeState,
    petition: NewPetition,
    visit_id: Option<Uuid>,
) -> Result<Registration, ApiError> {
    let vault = &state.vault;
    let mut id_number_bidx = Vec::new();
    let mut phone_bidx = Vec::new();
    for person in &petition.petitioners {
        if let Some(v) = person.id_number.as_ref().map(IdNumber::pii) {
            id_number_bidx.push(vault.blind_index("id_number", v.expose()));
        }
        if let Some(v) = person.phone.as_ref().map(Phone::pii) {
            phone_bidx.push(vault.blind_index("phone", v.expose()));
        }
    }
    let scope = scope_of(
        petition.field.as_deref(),
        petition.respondent_unit.as_deref(),
    );
    let search = search_tokens(&petition.content());
    let repeat = &state.options.repeat;
    let mut conn = pool.acquire().await?;
    let found = find_candidates(
        &mut conn,
        &Probe {
            id_number_bidx: &id_number_bidx,
            phone_bidx: &phone_bidx,
            scope: &scope,
            tokens: &search,
            min_score: repeat.min_score,
            limit: repeat.max_candidates,
            max_scope_scan: repeat.max_scope_scan,
        },
    )
    .await?;
    let candidates = visible_candidates(&mut conn, actor, found).await?;
    Ok(Registration {
        id: Uuid::now_v7(),
        petition,
        registering_unit: actor.unit.clone(),
        registered_by: actor.user_id.clone(),
        visit_id,
        scope,
        search_tokens: search,
        candidates,
    })
}

/// Drop candidates the caller may not see.
async fn visible_candidates(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    found: Vec<Candidate>,
) -> Result<Vec<Candidate>, sqlx::Error> {
    if found.is_empty() {
        return Ok(found);
    }
    let ids: Vec<Uuid> = found.iter().map(|c| c.petition_id).collect();
    let visible = access::visible(conn, actor, &ids).await?;
    Ok(found
        .into_iter()
        .filter(|c| visible.contains(&c.petition_id))
        .collect())
}

/// A petitioner as shown: masked unless the caller may see personal data in full.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PetitionerView {
    pub name: String,
    pub id_number: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    /// 电子邮箱 (masked like the phone unless shown in full)
    pub email: Option<String>,
    /// 送达方式偏好: `sms` or `email`, when stated
    pub preferred_channel: Option<String>,
    /// True when identity number, phone, address and e-mail are masked.
    pub masked: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PetitionView {
    pub id: Uuid,
    pub case_number: String,
    pub channel: String,
    pub received_on: NaiveDate,
    pub registered_at: DateTime<Utc>,
    pub registering_unit: String,
    /// 登记单位名称
    pub registering_unit_name: String,
    pub summary: String,
    pub petitioner_count: i32,
    pub anonymous: bool,
    pub status: String,
    pub facts: Option<String>,
    pub requests: Option<String>,
    pub category: Option<String>,
    pub field: Option<String>,
    pub subfield: Option<String>,
    pub township: Option<String>,
    pub village: Option<String>,
    pub respondent_unit: Option<String>,
    /// 被反映单位名称
    pub respondent_unit_name: Option<String>,
    pub group_visit: bool,
    pub visit_id: Option<Uuid>,
    pub upstream_reference: Option<String>,
    pub upstream_organ: Option<String>,
    pub upstream_due_on: Option<NaiveDate>,
    pub handling_unit: Option<String>,
    /// 办理单位名称
    pub handling_unit_name: Option<String>,
    pub simple_track: bool,
    pub finalized_on: Option<NaiveDate>,
    pub repeat_of: Option<Uuid>,
    pub petitioners: Vec<PetitionerView>,
    #[schema(value_type = Vec<Object>)]
    pub attachments: Vec<Value>,
    /// Repeat candidates found at registration.
    #[schema(value_type = Vec<Object>)]
    pub repeat_candidates: Vec<Value>,
    /// Decisions (受理、不予受理、不再受理、转送、交办), oldest first.
    #[schema(value_type = Vec<Object>)]
    pub decisions: Vec<Value>,
    /// Transfers and assignments and the receiving units' answers.
    #[schema(value_type = Vec<Object>)]
    pub hand_offs: Vec<Value>,
    /// Access grants recorded on hand-off.
    #[schema(value_type = Vec<Object>)]
    pub access_grants: Vec<Value>,
    /// The audit trail of the case (全过程记录), oldest first.
    #[schema(value_type = Vec<Object>)]
    pub history: Vec<Value>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DetailQuery {
    /// Holders of `pii_viewer` see personal data in full unless they pass `false` (each full view
    /// is audited).
    pub reveal: Option<bool>,
}

/// Read one petition with its full history (查看信访件). Other units' cases answer 404, like cases
/// that do not exist. Identity numbers and phones are masked unless the caller holds
/// `ViewPersonalData`; every full view is audited.
#[utoipa::path(
    get, path = "/api/v1/petitions/{id}", tag = "登记",
    params(("id" = Uuid, Path, description = "信访件 id"), DetailQuery),
    responses((status = 200, body = PetitionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "get_petition", skip_all, fields(user = %actor.user_id, unit = %actor.unit))]
pub async fn get_petition(
    actor: Actor,
    path: web::Path<Uuid>,
    query: xinfang_platform::http::Query<DetailQuery>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<IntakeState>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    access::check(uow.conn(), &actor, id, false).await?;
    let r = petitions::petition(uow.conn(), id).await?;
    let full = actor.has(Permission::ViewPersonalData) && query.reveal != Some(false);
    let mut people = Vec::new();
    let details = contact_details::for_petition(uow.conn(), id).await?;
    for person in petitions::petitioners(uow.conn(), id).await? {
        let detail = details.iter().find(|d| d.id == person.id);
        let preferred_channel = detail.and_then(|d| d.preferred_channel.clone());
        let view = if full {
            let open = |column| person.open(&state.vault, column).map_err(IntakeError::from);
            let email = match detail {
                Some(d) => d.open_email(&state.vault).map_err(IntakeError::from)?,
                None => None,
            };
            PetitionerView {
                id_number: open("id_number")?,
                phone: open("phone")?,
                address: open("address")?,
                email,
                preferred_channel,
                name: person.name,
                masked: false,
            }
        } else {
            PetitionerView {
                address: person.address_enc.is_some().then(|| "******".to_string()),
                email: detail.and_then(|d| d.email_mask.clone()),
                preferred_channel,
                name: person.name,
                id_number: person.id_number_mask,
                phone: person.phone_mask,
                masked: true,
            }
        };
        people.push(view);
    }
    if full && !people.is_empty() {
        uow.audit(AuditEntry::by(
            &actor,
            "petition.view_pii",
            Some(id),
            json!({ "petitioners": people.len(), "fields": ["id_number", "phone", "address", "email"] }),
        ))
        .await?;
    }
    // Accusation text (检举控告内容) only for the roles that handle accusations.
    let readable = may_read_text(&actor, r.category.as_deref());
    let withheld = |t: Option<String>| {
        if readable {
            t
        } else {
            t.map(|_| ACCUSATION_WITHHELD.to_string())
        }
    };
    let (summary, facts, requests) = (
        withheld(Some(r.summary.clone())).unwrap_or_default(),
        withheld(r.facts.clone()),
        withheld(r.requests.clone()),
    );
    let file = petitions::case_file(uow.conn(), id).await?;
    uow.commit().await?;
    let view = PetitionView {
        id,
        case_number: r.case_number,
        channel: r.channel,
        received_on: r.received_on,
        registered_at: r.registered_at,
        registering_unit_name: directory.name_of(&r.registering_unit),
        registering_unit: r.registering_unit,
        summary,
        petitioner_count: r.petitioner_count,
        anonymous: r.anonymous,
        status: r.status,
        facts,
        requests,
        category: r.category,
        field: r.field,
        subfield: r.subfield,
        township: r.township,
        village: r.village,
        respondent_unit_name: directory.name_of_opt(r.respondent_unit.as_deref()),
        respondent_unit: r.respondent_unit,
        group_visit: r.group_visit,
        visit_id: r.visit_id,
        upstream_reference: r.upstream_reference,
        upstream_organ: r.upstream_organ,
        upstream_due_on: r.upstream_due_on,
        handling_unit_name: directory.name_of_opt(r.handling_unit.as_deref()),
        handling_unit: r.handling_unit,
        simple_track: r.simple_track,
        finalized_on: r.finalized_on,
        repeat_of: r.repeat_of,
        petitioners: people,
        attachments: file.attachments,
        repeat_candidates: file.repeat_candidates,
        decisions: file.decisions,
        hand_offs: file.hand_offs,
        access_grants: file.access_grants,
        history: file.history,
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(view))
}
