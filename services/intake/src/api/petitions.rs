//! Registration (登记), reading and listing of petitions.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder, Row};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use xinfang_contracts::{events::PetitionRegisteredV1, Envelope};
use xinfang_messaging::OutboxWaker;
use xinfang_messaging::UnitOfWork;
use xinfang_platform::audit::AuditExt;
use xinfang_platform::time::today_in_china;
use xinfang_platform::{
    audit::AuditEntry,
    error::ErrorBody,
    idempotency,
    pii::{mask_id_number, mask_phone, Aad, PlainPii},
    Actor, ApiError, Permission,
};

use crate::{
    access,
    domain::{
        format_case_number, new_query_code, IdNumber, NewPetition, Phone, RawAttachment,
        RawPetition, RawPetitioner,
    },
    registrar::Registrar,
    repeat::{find_candidates, Candidate, Probe},
    state::IntakeState,
    text::{scope_of, search_tokens},
};

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

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegisteredPetition {
    pub id: Uuid,
    /// 信访件编号
    pub case_number: String,
    /// 查询码: shown once, for the petitioner to follow the case.
    pub query_code: String,
    pub received_on: NaiveDate,
    pub registered_at: DateTime<Utc>,
    pub status: String,
    pub correlation_id: Uuid,
    /// Earlier petitions that may be the same matter (重复信访候选), best first; the clerk links
    /// one (`POST /petitions/{id}/repeat`) or confirms the petition as new.
    #[serde(default)]
    pub repeat_candidates: Vec<Candidate>,
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
    let petition = NewPetition::parse(raw_of(&body), today_in_china(), &state.options.taxonomy)
        .map_err(ApiError::validation_many)?;
    let request_hash = match &key {
        Some(_) => Some(idempotency::request_hash(
            &serde_json::to_value(&body).map_err(ApiError::internal)?,
        )),
        None => None,
    };
    let prepared = prepare(pool.get_ref(), &actor, &state, &petition).await?;
    let outcome = registrar
        .submit(
            pool.get_ref().clone(),
            Job {
                actor,
                key,
                request_hash,
                petition,
                visit_id: body.visit_id,
                prepared,
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

/// What registration works out before writing (outside any transaction): the new id, the text
/// tokens, the blind indexes and the repeat candidates the caller may see (重复信访候选).
pub struct Prepared {
    pub id: Uuid,
    pub scope: String,
    pub search: Vec<i32>,
    pub candidates: Vec<Candidate>,
}

#[tracing::instrument(skip_all)]
async fn prepare(
    pool: &PgPool,
    actor: &Actor,
    state: &IntakeState,
    p: &NewPetition,
) -> Result<Prepared, ApiError> {
    let vault = &state.vault;
    let mut id_bidx = Vec::new();
    let mut phone_bidx = Vec::new();
    for person in &p.petitioners {
        if let Some(v) = person.id_number.as_ref().map(IdNumber::pii) {
            id_bidx.push(vault.blind_index("id_number", v.expose()));
        }
        if let Some(v) = person.phone.as_ref().map(Phone::pii) {
            phone_bidx.push(vault.blind_index("phone", v.expose()));
        }
    }
    let content = p.content();
    let scope = scope_of(p.field.as_deref(), p.respondent_unit.as_deref());
    let search = search_tokens(&content);
    let mut conn = pool.acquire().await?;
    let found = find_candidates(
        &mut conn,
        &Probe {
            id_number_bidx: &id_bidx,
            phone_bidx: &phone_bidx,
            scope: &scope,
            tokens: &search,
            min_score: state.options.repeat.min_score,
            limit: state.options.repeat.max_candidates,
            max_scope_scan: state.options.repeat.max_scope_scan,
        },
    )
    .await?;
    let candidates = visible_candidates(&mut conn, actor, found).await?;
    Ok(Prepared {
        id: Uuid::now_v7(),
        scope,
        search,
        candidates,
    })
}

/// One registration waiting to be written by the [`Registrar`].
pub struct Job {
    pub actor: Actor,
    pub key: Option<String>,
    pub request_hash: Option<String>,
    pub petition: NewPetition,
    pub visit_id: Option<Uuid>,
    pub prepared: Prepared,
}

/// What became of a job.
pub enum Written {
    Created(RegisteredPetition),
    /// The `Idempotency-Key` was used before: its first answer.
    Replay {
        status: StatusCode,
        body: Value,
    },
}

/// A job written, still under its placeholder number.
pub struct Unnumbered {
    pub registered: RegisteredPetition,
    pub event_id: Uuid,
}

/// Write one registration in the writer's transaction: the idempotency claim, the petition, its
/// petitioners (sealed), attachments, repeat candidates, content signature, event (outbox) and
/// audit record, under a unique placeholder number that [`number_batch`] replaces.
#[tracing::instrument(skip_all, fields(case_id = %job.prepared.id))]
pub async fn write_one(
    uow: &mut UnitOfWork<'_>,
    state: &IntakeState,
    job: &Job,
) -> Result<Result<Unnumbered, Written>, ApiError> {
    if let (Some(key), Some(hash)) = (&job.key, &job.request_hash) {
        if let idempotency::Begin::Replay { status, body } =
            idempotency::begin(uow.conn(), &job.actor, key, hash).await?
        {
            return Ok(Err(Written::Replay { status, body }));
        }
    }
    let (actor, visit_id, id) = (&job.actor, job.visit_id, job.prepared.id);
    if let Some(visit_id) = visit_id {
        let row = sqlx::query("SELECT unit, petition_id FROM visits WHERE id = $1 FOR UPDATE")
            .bind(visit_id)
            .fetch_optional(uow.conn())
            .await?;
        let Some(row) = row else {
            return Err(ApiError::validation("visit_id", "来访登记不存在"));
        };
        let unit: String = row.try_get("unit")?;
        if !actor.can_see_unit(&unit) {
            return Err(ApiError::validation("visit_id", "来访登记不存在"));
        }
        if row.try_get::<Option<Uuid>, _>("petition_id")?.is_some() {
            return Err(ApiError::conflict(
                "visit_already_registered",
                "该来访已经登记为信访件",
            ));
        }
        sqlx::query("UPDATE visits SET petition_id = $2 WHERE id = $1")
            .bind(visit_id)
            .bind(id)
            .execute(uow.conn())
            .await?;
    }

    let rows = rows_of(state, job)?;
    insert_rows(uow.conn(), state, &[(job, &rows)]).await?;
    uow.enqueue(&rows.envelope).await?;
    uow.audit(rows.audit.clone()).await?;
    Ok(Ok(rows.unnumbered()))
}

/// Write several registrations that need no check in the transaction (no `Idempotency-Key`, no
/// walk-in visit) with one statement for all their rows and one for all their events. `Err` when
/// any of it fails: the caller rolls back to its savepoint and writes them one by one, so that a
/// failure falls on the registration that caused it.
#[tracing::instrument(skip_all, fields(registrations = jobs.len()))]
pub async fn write_many(
    uow: &mut UnitOfWork<'_>,
    state: &IntakeState,
    jobs: &[&Job],
) -> Result<Vec<(Unnumbered, AuditEntry)>, ApiError> {
    let rows = jobs
        .iter()
        .map(|job| rows_of(state, job))
        .collect::<Result<Vec<_>, _>>()?;
    let items: Vec<(&Job, &PetitionRows)> = jobs.iter().copied().zip(rows.iter()).collect();
    insert_rows(uow.conn(), state, &items).await?;
    let envelopes: Vec<&Envelope> = rows.iter().map(|r| &r.envelope).collect();
    uow.enqueue_many(&envelopes).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let audit = r.audit.clone();
            (r.unnumbered(), audit)
        })
        .collect())
}

/// A petitioner's row, personal data sealed and indexed.
struct PetitionerRow {
    id: Uuid,
    ordinal: i16,
    name: String,
    id_enc: Option<Vec<u8>>,
    id_bidx: Option<Vec<u8>>,
    id_mask: Option<String>,
    phone_enc: Option<Vec<u8>>,
    phone_bidx: Option<Vec<u8>>,
    phone_mask: Option<String>,
    address_enc: Option<Vec<u8>>,
}

/// Everything one registration writes, worked out before writing.
pub struct PetitionRows {
    query_code_hash: String,
    registered_at: chrono::DateTime<Utc>,
    envelope: Envelope,
    petitioners: Vec<PetitionerRow>,
    attachment_ids: Vec<Uuid>,
    audit: AuditEntry,
    registered: RegisteredPetition,
}

impl PetitionRows {
    fn unnumbered(self) -> Unnumbered {
        Unnumbered {
            registered: self.registered,
            event_id: self.envelope.event_id,
        }
    }
}

/// The rows of one registration (sealing its personal data), under a unique placeholder number
/// that [`number_batch`] replaces.
fn rows_of(state: &IntakeState, job: &Job) -> Result<PetitionRows, ApiError> {
    let (actor, p, visit_id) = (&job.actor, &job.petition, job.visit_id);
    let Prepared { id, candidates, .. } = &job.prepared;
    let id = *id;
    let vault = &state.vault;
    let registered_at = Utc::now();
    let query_code = new_query_code();
    let query_code_hash = hex::encode(Sha256::digest(format!("{id}:{query_code}").as_bytes()));
    let placeholder = format!("pending:{id}");
    let event = PetitionRegisteredV1 {
        petition_id: id,
        case_number: placeholder.clone(),
        channel: p.channel,
        received_on: p.received_on,
        registered_at,
        registering_unit: actor.unit.clone(),
        division_code: state.settings.division_code.clone(),
        petitioner_count: p.petitioner_count,
        anonymous: p.anonymous(),
        contactable: p.contactable(),
        category: p.category,
        field: p.field.clone(),
        subfield: p.subfield.clone(),
        township: p.township.clone(),
        respondent_unit: p.respondent_unit.clone(),
        group_visit: p.group_visit,
        visit_id,
        upstream_reference: p.upstream_reference.clone(),
        upstream_due_on: p.upstream_due_on,
    };
    let envelope = Envelope::new(&event, Some(id), None, None);
    let mut petitioners = Vec::with_capacity(p.petitioners.len());
    for (i, person) in p.petitioners.iter().enumerate() {
        let pid = Uuid::now_v7();
        let seal = |column: &'static str, v: &PlainPii| {
            vault
                .seal(
                    v,
                    Aad {
                        table: "petitioners",
                        column,
                        row_id: pid,
                    },
                )
                .map(|s| s.bytes)
                .map_err(ApiError::internal)
        };
        let idn = person.id_number.as_ref().map(IdNumber::pii);
        let phone = person.phone.as_ref().map(Phone::pii);
        petitioners.push(PetitionerRow {
            id: pid,
            ordinal: i as i16,
            name: person.name.as_str().to_string(),
            id_enc: idn.map(|v| seal("id_number", v)).transpose()?,
            id_bidx: idn.map(|v| vault.blind_index("id_number", v.expose())),
            id_mask: idn.map(|v| mask_id_number(v.expose())),
            phone_enc: phone.map(|v| seal("phone", v)).transpose()?,
            phone_bidx: phone.map(|v| vault.blind_index("phone", v.expose())),
            phone_mask: phone.map(|v| mask_phone(v.expose())),
            address_enc: person
                .address
                .as_ref()
                .map(|v| seal("address", v))
                .transpose()?,
        });
    }
    let audit = AuditEntry::by(
        actor,
        "petition.register",
        Some(id),
        json!({ "channel": p.channel.as_str(), "received_on": p.received_on,
                "repeat_candidates": candidates.iter().map(|c| &c.case_number).collect::<Vec<_>>() }),
    );
    Ok(PetitionRows {
        query_code_hash,
        registered_at,
        petitioners,
        attachment_ids: p.attachments.iter().map(|_| Uuid::now_v7()).collect(),
        audit,
        registered: RegisteredPetition {
            id,
            case_number: placeholder,
            query_code,
            received_on: p.received_on,
            registered_at,
            status: "registered".into(),
            correlation_id: envelope.correlation_id,
            repeat_candidates: candidates.clone(),
        },
        envelope,
    })
}

/// Insert the petitions, their petitioners, attachments, repeat candidates and content
/// signatures of `items` with one statement (data-modifying CTEs; one array per column).
async fn insert_rows(
    conn: &mut PgConnection,
    state: &IntakeState,
    items: &[(&Job, &PetitionRows)],
) -> Result<(), ApiError> {
    let ids: Vec<Uuid> = items.iter().map(|(j, _)| j.prepared.id).collect();
    let ps: Vec<&NewPetition> = items.iter().map(|(j, _)| &j.petition).collect();
    // Token lists differ in length, so each goes as an array literal (only integers).
    let tokens: Vec<String> = items
        .iter()
        .map(|(j, _)| {
            let t: Vec<String> = j.prepared.search.iter().map(i32::to_string).collect();
            format!("{{{}}}", t.join(","))
        })
        .collect();
    let people: Vec<(Uuid, &PetitionerRow)> = items
        .iter()
        .flat_map(|(j, r)| r.petitioners.iter().map(move |pe| (j.prepared.id, pe)))
        .collect();
    let files: Vec<(Uuid, Uuid, i16, &crate::domain::Attachment)> = items
        .iter()
        .flat_map(|(j, r)| {
            r.attachment_ids
                .iter()
                .zip(&j.petition.attachments)
                .enumerate()
                .map(move |(i, (aid, a))| (j.prepared.id, *aid, i as i16, a))
        })
        .collect();
    let cands: Vec<(Uuid, &Candidate)> = items
        .iter()
        .flat_map(|(j, _)| {
            j.prepared
                .candidates
                .iter()
                .map(move |c| (j.prepared.id, c))
        })
        .collect();
    sqlx::query(
        "WITH p AS (
             INSERT INTO petitions (id, case_number, query_code_hash, channel, received_on, registered_at, registering_unit,
                                    registered_by, division_code, summary, petitioner_count, anonymous, contactable, status, correlation_id,
                                    facts, requests, category, field, subfield, township, village, respondent_unit, group_visit, visit_id,
                                    upstream_reference, upstream_organ, upstream_due_on, search_tokens)
             SELECT t.id, 'pending:' || t.id, t.qch, t.channel, t.received_on, t.registered_at, t.unit,
                    t.by_user, $9, t.summary, t.pcount, t.anonymous, t.contactable, 'registered', t.correlation_id,
                    t.facts, t.requests, t.category, t.field, t.subfield, t.township, t.village, t.respondent, t.group_visit, t.visit_id,
                    t.up_ref, t.up_organ, t.up_due, t.tokens::int4[]
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::timestamptz[], $6::text[], $7::text[],
                         $8::text[], $10::int4[], $11::bool[], $12::bool[], $13::uuid[], $14::text[], $15::text[],
                         $16::text[], $17::text[], $18::text[], $19::text[], $20::text[], $21::text[], $22::bool[],
                         $23::uuid[], $24::text[], $25::text[], $26::date[], $27::text[], $28::text[])
                  AS t(id, qch, channel, received_on, registered_at, unit, by_user, summary, pcount, anonymous,
                       contactable, correlation_id, facts, requests, category, field, subfield, township, village,
                       respondent, group_visit, visit_id, up_ref, up_organ, up_due, tokens, scope)),
         pe AS (
             INSERT INTO petitioners (id, petition_id, ordinal, name, key_version, id_number_enc, id_number_bidx, id_number_mask,
                                      phone_enc, phone_bidx, phone_mask, address_enc)
             SELECT t.id, t.petition_id, t.ordinal, t.name, $29, t.id_enc, t.id_bidx, t.id_mask, t.ph_enc, t.ph_bidx, t.ph_mask, t.addr_enc
             FROM unnest($30::uuid[], $31::uuid[], $32::int2[], $33::text[], $34::bytea[], $35::bytea[], $36::text[],
                         $37::bytea[], $38::bytea[], $39::text[], $40::bytea[])
                  AS t(id, petition_id, ordinal, name, id_enc, id_bidx, id_mask, ph_enc, ph_bidx, ph_mask, addr_enc)),
         a AS (
             INSERT INTO attachments (id, petition_id, ordinal, kind, file_name, content_type, size_bytes, sha256)
             SELECT * FROM unnest($41::uuid[], $42::uuid[], $43::int2[], $44::text[], $45::text[], $46::text[], $47::int8[], $48::text[])),
         rc AS (
             INSERT INTO repeat_candidates (petition_id, candidate_id, score, reasons)
             SELECT t.p, t.c, t.s, string_to_array(t.r, ',')
             FROM unnest($49::uuid[], $50::uuid[], $51::real[], $52::text[]) AS t(p, c, s, r))
         INSERT INTO content_signatures (petition_id, scope, token_count, tokens)
         SELECT t.id, t.scope, cardinality(t.tokens::int4[]), t.tokens::int4[]
         FROM unnest($1::uuid[], $27::text[], $28::text[]) AS t(id, tokens, scope)",
    )
    .bind(&ids)
    .bind(items.iter().map(|(_, r)| r.query_code_hash.as_str()).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.channel.as_str()).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.received_on).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, r)| r.registered_at).collect::<Vec<_>>())
    .bind(items.iter().map(|(j, _)| j.actor.unit.as_str()).collect::<Vec<_>>())
    .bind(items.iter().map(|(j, _)| j.actor.user_id.as_str()).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.summary.as_str()).collect::<Vec<_>>())
    .bind(&state.settings.division_code)
    .bind(ps.iter().map(|p| p.petitioner_count as i32).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.anonymous()).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.contactable()).collect::<Vec<_>>())
    .bind(items.iter().map(|(_, r)| r.envelope.correlation_id).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.facts.as_deref()).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.requests.as_deref()).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.category.map(|c| c.as_str())).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.field.as_deref()).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.subfield.as_deref()).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.township.as_deref()).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.village.as_deref()).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.respondent_unit.as_deref()).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.group_visit).collect::<Vec<_>>())
    .bind(items.iter().map(|(j, _)| j.visit_id).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.upstream_reference.as_deref()).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.upstream_organ.as_deref()).collect::<Vec<_>>())
    .bind(ps.iter().map(|p| p.upstream_due_on).collect::<Vec<_>>())
    .bind(&tokens)
    .bind(items.iter().map(|(j, _)| j.prepared.scope.as_str()).collect::<Vec<_>>())
    .bind(state.vault.key_version())
    .bind(people.iter().map(|(_, r)| r.id).collect::<Vec<_>>())
    .bind(people.iter().map(|(pid, _)| *pid).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.ordinal).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.name.as_str()).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.id_enc.as_deref()).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.id_bidx.as_deref()).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.id_mask.as_deref()).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.phone_enc.as_deref()).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.phone_bidx.as_deref()).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.phone_mask.as_deref()).collect::<Vec<_>>())
    .bind(people.iter().map(|(_, r)| r.address_enc.as_deref()).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.1).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.0).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.2).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.3.kind.as_str()).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.3.file_name.as_str()).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.3.content_type.as_str()).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.3.size_bytes).collect::<Vec<_>>())
    .bind(files.iter().map(|f| f.3.sha256.as_str()).collect::<Vec<_>>())
    .bind(cands.iter().map(|(pid, _)| *pid).collect::<Vec<_>>())
    .bind(cands.iter().map(|(_, c)| c.petition_id).collect::<Vec<_>>())
    .bind(cands.iter().map(|(_, c)| c.score).collect::<Vec<_>>())
    .bind(cands.iter().map(|(_, c)| c.reasons.join(",")).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Number a batch of petitions written in this transaction (编号), in order: one statement moves
/// the per-year counter by the batch's size and writes every number into its petition and event.
/// The counter's row lock is held from here to the commit, once per batch instead of once per
/// petition; numbers have no gaps, because they commit or roll back with their petitions.
#[tracing::instrument(skip_all, fields(batch = petitions.len()))]
pub async fn number_batch(
    conn: &mut PgConnection,
    division: &str,
    year: i32,
    petitions: &mut [&mut Unnumbered],
) -> Result<(), ApiError> {
    if petitions.is_empty() {
        return Ok(());
    }
    let k = petitions.len() as i64;
    let ids: Vec<Uuid> = petitions.iter().map(|u| u.registered.id).collect();
    let events: Vec<Uuid> = petitions.iter().map(|u| u.event_id).collect();
    let (last, numbered, events_numbered): (i64, i64, i64) = sqlx::query_as(
        "WITH n AS (
             INSERT INTO case_number_counters (division_code, year, last_value) VALUES ($1, $2, $3)
             ON CONFLICT (division_code, year) DO UPDATE SET last_value = case_number_counters.last_value + $3
             RETURNING last_value),
         num AS (
             SELECT t.id, t.event_id,
                    $1 || '-' || $2::text || '-' || lpad((n.last_value - $3 + t.ord)::text,
                        greatest(6, length((n.last_value - $3 + t.ord)::text)), '0') AS case_number
             FROM n, unnest($4::uuid[], $5::uuid[]) WITH ORDINALITY AS t(id, event_id, ord)),
         p AS (UPDATE petitions SET case_number = num.case_number FROM num WHERE petitions.id = num.id RETURNING 1),
         o AS (UPDATE outbox SET envelope = jsonb_set(envelope, '{payload,case_number}', to_jsonb(num.case_number))
               FROM num WHERE outbox.event_id = num.event_id RETURNING 1)
         SELECT n.last_value, (SELECT count(*) FROM p), (SELECT count(*) FROM o) FROM n",
    )
    .bind(division)
    .bind(year)
    .bind(k)
    .bind(&ids)
    .bind(&events)
    .fetch_one(&mut *conn)
    .await?;
    if numbered != k || events_numbered != k {
        return Err(ApiError::internal(anyhow::anyhow!(
            "numbered {numbered} petitions and {events_numbered} events of {k}"
        )));
    }
    for (i, u) in petitions.iter_mut().enumerate() {
        u.registered.case_number = format_case_number(division, year, last - k + 1 + i as i64);
    }
    Ok(())
}

/// Store a created registration's answer with its `Idempotency-Key`, once it has its number.
pub async fn remember_answer(
    conn: &mut PgConnection,
    job: &Job,
    registered: &RegisteredPetition,
) -> Result<(), ApiError> {
    let response = serde_json::to_value(registered).map_err(ApiError::internal)?;
    idempotency::complete_request(
        conn,
        &job.actor,
        job.key.as_deref(),
        StatusCode::CREATED,
        &response,
    )
    .await
}

/// Drop candidates the caller may not see.
async fn visible_candidates(
    conn: &mut PgConnection,
    actor: &Actor,
    found: Vec<Candidate>,
) -> Result<Vec<Candidate>, ApiError> {
    if found.is_empty() {
        return Ok(found);
    }
    let ids: Vec<Uuid> = found.iter().map(|c| c.petition_id).collect();
    let rows = sqlx::query(
        "SELECT p.id, p.registering_unit, p.category, p.respondent_unit,
                EXISTS (SELECT 1 FROM case_access a WHERE a.petition_id = p.id AND a.unit = $2) AS granted
         FROM petitions p WHERE p.id = ANY($1)",
    )
    .bind(&ids)
    .bind(&actor.unit)
    .fetch_all(&mut *conn)
    .await?;
    let mut visible = std::collections::HashSet::new();
    for r in rows {
        let scope = access::Scope {
            registering_unit: r.try_get("registering_unit")?,
            category: r.try_get("category")?,
            respondent_unit: r.try_get("respondent_unit")?,
            granted: r.try_get("granted")?,
        };
        if access::can_see(actor, &scope) {
            visible.insert(r.try_get::<Uuid, _>("id")?);
        }
    }
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
    /// True when identity number, phone and address are masked.
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
    pub group_visit: bool,
    pub visit_id: Option<Uuid>,
    pub upstream_reference: Option<String>,
    pub upstream_organ: Option<String>,
    pub upstream_due_on: Option<NaiveDate>,
    pub handling_unit: Option<String>,
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
    query: web::Query<DetailQuery>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<IntakeState>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    access::check(uow.conn(), &actor, id, false).await?;
    let r = sqlx::query("SELECT * FROM petitions WHERE id = $1")
        .bind(id)
        .fetch_one(uow.conn())
        .await?;
    let full = actor.has(Permission::ViewPersonalData) && query.reveal != Some(false);
    let mut petitioners = Vec::new();
    for pr in sqlx::query("SELECT * FROM petitioners WHERE petition_id = $1 ORDER BY ordinal")
        .bind(id)
        .fetch_all(uow.conn())
        .await?
    {
        let pid: Uuid = pr.try_get("id")?;
        let kv: i16 = pr.try_get("key_version")?;
        let open = |column: &'static str| -> Result<Option<String>, ApiError> {
            let enc: Option<Vec<u8>> = pr.try_get(format!("{column}_enc").as_str())?;
            enc.map(|b| {
                state
                    .vault
                    .open(
                        kv,
                        &b,
                        Aad {
                            table: "petitioners",
                            column,
                            row_id: pid,
                        },
                    )
                    .map(|p| p.expose().to_string())
                    .map_err(ApiError::internal)
            })
            .transpose()
        };
        let view = if full {
            PetitionerView {
                name: pr.try_get("name")?,
                id_number: open("id_number")?,
                phone: open("phone")?,
                address: open("address")?,
                masked: false,
            }
        } else {
            let has_address = pr.try_get::<Option<Vec<u8>>, _>("address_enc")?.is_some();
            PetitionerView {
                name: pr.try_get("name")?,
                id_number: pr.try_get("id_number_mask")?,
                phone: pr.try_get("phone_mask")?,
                address: has_address.then(|| "******".to_string()),
                masked: true,
            }
        };
        petitioners.push(view);
    }
    if full && !petitioners.is_empty() {
        uow.audit(AuditEntry::by(
                &actor,
                "petition.view_pii",
                Some(id),
                json!({ "petitioners": petitioners.len(), "fields": ["id_number", "phone", "address"] }),
            ))
        .await?;
    }
    let attachments = json_rows(uow.conn(), id, "SELECT kind, file_name, content_type, size_bytes, sha256 FROM attachments WHERE petition_id = $1 ORDER BY ordinal").await?;
    let repeat_candidates = json_rows(uow.conn(), id, "SELECT c.candidate_id AS petition_id, p.case_number, c.score, c.reasons
         FROM repeat_candidates c JOIN petitions p ON p.id = c.candidate_id WHERE c.petition_id = $1 ORDER BY c.score DESC",
    )
    .await?;
    let decisions = json_rows(uow.conn(), id, "SELECT id, kind, decided_by, unit, decided_at, decided_on, reason, details, rule_version, suggestion
         FROM decisions WHERE petition_id = $1 ORDER BY decided_at, id",
    )
    .await?;
    let hand_offs = json_rows(uow.conn(), id, "SELECT id, kind, to_unit, handed_on, due_on, object_by, status, responded_by, responded_at, response
         FROM hand_offs WHERE petition_id = $1 ORDER BY id",
    )
    .await?;
    let access_grants = json_rows(uow.conn(), id, "SELECT unit, granted_by, granted_at, reason FROM case_access WHERE petition_id = $1 ORDER BY granted_at",
    )
    .await?;
    let history = json_rows(uow.conn(), id, "SELECT occurred_at, actor, unit, action, details FROM audit_log WHERE case_id = $1 ORDER BY seq",
    )
    .await?;
    uow.commit().await?;
    let view = PetitionView {
        id,
        case_number: r.try_get("case_number")?,
        channel: r.try_get("channel")?,
        received_on: r.try_get("received_on")?,
        registered_at: r.try_get("registered_at")?,
        registering_unit: r.try_get("registering_unit")?,
        summary: r.try_get("summary")?,
        petitioner_count: r.try_get("petitioner_count")?,
        anonymous: r.try_get("anonymous")?,
        status: r.try_get("status")?,
        facts: r.try_get("facts")?,
        requests: r.try_get("requests")?,
        category: r.try_get("category")?,
        field: r.try_get("field")?,
        subfield: r.try_get("subfield")?,
        township: r.try_get("township")?,
        village: r.try_get("village")?,
        respondent_unit: r.try_get("respondent_unit")?,
        group_visit: r.try_get("group_visit")?,
        visit_id: r.try_get("visit_id")?,
        upstream_reference: r.try_get("upstream_reference")?,
        upstream_organ: r.try_get("upstream_organ")?,
        upstream_due_on: r.try_get("upstream_due_on")?,
        handling_unit: r.try_get("handling_unit")?,
        simple_track: r.try_get("simple_track")?,
        finalized_on: r.try_get("finalized_on")?,
        repeat_of: r.try_get("repeat_of")?,
        petitioners,
        attachments,
        repeat_candidates,
        decisions,
        hand_offs,
        access_grants,
        history,
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(view))
}

async fn json_rows(conn: &mut PgConnection, id: Uuid, sql: &str) -> Result<Vec<Value>, ApiError> {
    Ok(sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT to_jsonb(t) FROM ({sql}) t"
    )))
    .bind(id)
    .fetch_all(&mut *conn)
    .await?)
}

/// Filters of the list. Every filter is optional; results are newest first.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub status: Option<String>,
    /// Registering or handling unit.
    pub unit: Option<String>,
    pub field: Option<String>,
    pub channel: Option<String>,
    pub township: Option<String>,
    pub category: Option<String>,
    /// 收到日期 from (inclusive)
    pub received_from: Option<NaiveDate>,
    /// 收到日期 to (inclusive)
    pub received_to: Option<NaiveDate>,
    /// Petitioner's identity number (looked up through the blind index, never stored in clear).
    pub id_number: Option<String>,
    /// Petitioner's phone (blind index).
    pub phone: Option<String>,
    /// Text in summary, facts or requests.
    pub q: Option<String>,
    /// Keyset cursor: the `next_cursor` of the previous page.
    pub after: Option<Uuid>,
    /// 1–200, default 50
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PetitionSummary {
    pub id: Uuid,
    pub case_number: String,
    pub channel: String,
    pub status: String,
    pub received_on: NaiveDate,
    pub registered_at: DateTime<Utc>,
    pub registering_unit: String,
    pub handling_unit: Option<String>,
    pub category: Option<String>,
    pub field: Option<String>,
    pub township: Option<String>,
    pub summary: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PetitionPage {
    pub items: Vec<PetitionSummary>,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_cursor: Option<Uuid>,
}

/// List and search petitions (信访件查询), scoped to the caller's unit and rights, newest first,
/// with keyset pagination (`after` = the previous page's `next_cursor`).
#[utoipa::path(
    get, path = "/api/v1/petitions", tag = "登记",
    params(ListQuery),
    responses((status = 200, body = PetitionPage), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "list_petitions", skip_all, fields(user = %actor.user_id, unit = %actor.unit))]
pub async fn list_petitions(
    actor: Actor,
    query: web::Query<ListQuery>,
    pool: web::Data<PgPool>,
    state: web::Data<IntakeState>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::validation("limit", "每页条数应在 1 至 200 之间"));
    }
    let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(
        "SELECT p.id, p.case_number, p.channel, p.status, p.received_on, p.registered_at, p.registering_unit,
                p.handling_unit, p.category, p.field, p.township, left(p.summary, 200) AS summary
         FROM petitions p WHERE ((",
    );
    qb.push_bind(actor.county_wide())
        .push(" OR p.registering_unit = ")
        .push_bind(actor.unit.clone())
        .push(" OR EXISTS (SELECT 1 FROM case_access a WHERE a.petition_id = p.id AND a.unit = ")
        .push_bind(actor.unit.clone())
        .push(")) AND NOT (coalesce(p.category, '') = 'accusation' AND coalesce(p.respondent_unit, '') = ")
        .push_bind(actor.unit.clone())
        .push("))");
    for (col, v) in [
        ("status", &q.status),
        ("field", &q.field),
        ("channel", &q.channel),
        ("township", &q.township),
        ("category", &q.category),
    ] {
        if let Some(v) = v {
            qb.push(format!(" AND p.{col} = ")).push_bind(v.clone());
        }
    }
    if let Some(u) = &q.unit {
        qb.push(" AND (p.registering_unit = ")
            .push_bind(u.clone())
            .push(" OR p.handling_unit = ")
            .push_bind(u.clone())
            .push(")");
    }
    if let Some(d) = q.received_from {
        qb.push(" AND p.received_on >= ").push_bind(d);
    }
    if let Some(d) = q.received_to {
        qb.push(" AND p.received_on <= ").push_bind(d);
    }
    if let Some(s) = &q.id_number {
        let idn = IdNumber::parse("id_number", s).map_err(|(f, m)| ApiError::validation(&f, m))?;
        let bidx = state.vault.blind_index("id_number", idn.pii().expose());
        qb.push(" AND p.id IN (SELECT petition_id FROM petitioners WHERE id_number_bidx = ")
            .push_bind(bidx)
            .push(")");
    }
    if let Some(s) = &q.phone {
        let phone = Phone::parse("phone", s).map_err(|(f, m)| ApiError::validation(&f, m))?;
        let bidx = state.vault.blind_index("phone", phone.pii().expose());
        qb.push(" AND p.id IN (SELECT petition_id FROM petitioners WHERE phone_bidx = ")
            .push_bind(bidx)
            .push(")");
    }
    if let Some(text) = q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        if text.chars().count() > 100 {
            return Err(ApiError::validation("q", "搜索词不能超过 100 个字"));
        }
        let tokens = search_tokens(text);
        if !tokens.is_empty() {
            qb.push(" AND p.search_tokens @> ").push_bind(tokens);
        }
        let like = format!(
            "%{}%",
            text.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        qb.push(" AND (p.summary LIKE ")
            .push_bind(like.clone())
            .push(" OR p.facts LIKE ")
            .push_bind(like.clone())
            .push(" OR p.requests LIKE ")
            .push_bind(like)
            .push(")");
    }
    if let Some(after) = q.after {
        qb.push(" AND p.id < ").push_bind(after);
    }
    qb.push(" ORDER BY p.id DESC LIMIT ").push_bind(limit);
    let rows = qb.build().fetch_all(pool.get_ref()).await?;
    let mut items = Vec::with_capacity(rows.len());
    for r in rows {
        items.push(PetitionSummary {
            id: r.try_get("id")?,
            case_number: r.try_get("case_number")?,
            channel: r.try_get("channel")?,
            status: r.try_get("status")?,
            received_on: r.try_get("received_on")?,
            registered_at: r.try_get("registered_at")?,
            registering_unit: r.try_get("registering_unit")?,
            handling_unit: r.try_get("handling_unit")?,
            category: r.try_get("category")?,
            field: r.try_get("field")?,
            township: r.try_get("township")?,
            summary: r.try_get("summary")?,
        });
    }
    let next_cursor = (items.len() as i64 == limit)
        .then(|| items.last().map(|i| i.id))
        .flatten();
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(PetitionPage { items, next_cursor }))
}
