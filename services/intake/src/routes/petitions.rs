//! Registration (登记) and reading of petitions.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool, Row};
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_contracts::{events::PetitionRegisteredV1, Envelope};
use xinfang_messaging::{Outbox, OutboxWaker};
use xinfang_platform::{
    audit::{self, AuditEntry},
    error::ErrorBody,
    idempotency, Actor, ApiError, Permission,
};

use crate::{
    configuration::IntakeSettings,
    domain::{format_case_number, new_query_code, today_in_china, NewPetition, RawPetition},
};

#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PetitionerInput {
    /// 姓名
    pub name: String,
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
    /// 信访人 (for a group visit, its representatives: at most 5). Empty = anonymous.
    #[serde(default)]
    pub petitioners: Vec<PetitionerInput>,
    /// 信访人数 (defaults to the number of petitioners listed, at least 1)
    pub petitioner_count: Option<u32>,
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
}

/// Register a petition (登记信访事项). Send `Idempotency-Key` so that a retried request returns the
/// first result instead of creating a second case.
#[utoipa::path(
    post, path = "/api/v1/petitions", tag = "登记",
    request_body = RegisterPetitionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses(
        (status = 201, body = RegisteredPetition),
        (status = 400, body = ErrorBody, description = "请求格式错误"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
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
    intake: web::Data<IntakeSettings>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::RegisterPetition)?;
    let key = idempotency::key_of(&req)?;
    let body = body.into_inner();
    let petition = NewPetition::parse(
        RawPetition {
            channel: &body.channel,
            received_on: body.received_on,
            summary: &body.summary,
            petitioner_names: body.petitioners.iter().map(|p| p.name.as_str()).collect(),
            petitioner_count: body.petitioner_count,
        },
        today_in_china(),
    )
    .map_err(ApiError::validation_many)?;

    let mut tx = pool.begin().await?;
    if let Some(key) = &key {
        let hash =
            idempotency::request_hash(&serde_json::to_value(&body).map_err(ApiError::internal)?);
        if let idempotency::Begin::Replay { status, body } =
            idempotency::begin(&mut tx, &actor, key, &hash).await?
        {
            tx.rollback().await?;
            return Ok(HttpResponse::build(status).json(body));
        }
    }
    let registered = insert_petition(&mut tx, &actor, &intake, &petition).await?;
    let response = serde_json::to_value(&registered).map_err(ApiError::internal)?;
    if let Some(key) = &key {
        idempotency::complete(&mut tx, &actor, key, StatusCode::CREATED, &response).await?;
    }
    tx.commit().await?;
    waker.wake();
    tracing::Span::current()
        .record("case_id", tracing::field::display(registered.id))
        .record(
            "correlation_id",
            tracing::field::display(registered.correlation_id),
        );
    tracing::info!(case_number = %registered.case_number, "petition registered");
    Ok(HttpResponse::Created().json(response))
}

/// Write the petition, its event and its audit record in the caller's transaction.
#[tracing::instrument(skip_all)]
async fn insert_petition(
    conn: &mut PgConnection,
    actor: &Actor,
    intake: &IntakeSettings,
    p: &NewPetition,
) -> Result<RegisteredPetition, ApiError> {
    let id = Uuid::now_v7();
    let registered_at = Utc::now();
    let year = today_in_china().year();
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO case_number_counters (division_code, year, last_value) VALUES ($1, $2, 1)
         ON CONFLICT (division_code, year) DO UPDATE SET last_value = case_number_counters.last_value + 1
         RETURNING last_value",
    )
    .bind(&intake.division_code)
    .bind(year)
    .fetch_one(&mut *conn)
    .await?;
    let case_number = format_case_number(&intake.division_code, year, seq);
    let query_code = new_query_code();
    let query_code_hash = hex::encode(Sha256::digest(format!("{id}:{query_code}").as_bytes()));

    let event = PetitionRegisteredV1 {
        petition_id: id,
        case_number: case_number.clone(),
        channel: p.channel,
        received_on: p.received_on,
        registered_at,
        registering_unit: actor.unit.clone(),
        division_code: intake.division_code.clone(),
        petitioner_count: p.petitioner_count,
        anonymous: p.anonymous(),
        contactable: false,
        ..PetitionRegisteredV1::minimal_defaults()
    };
    let envelope = Envelope::new(&event, Some(id), None, None);

    sqlx::query(
        "INSERT INTO petitions (id, case_number, query_code_hash, channel, received_on, registered_at, registering_unit,
                                registered_by, division_code, summary, petitioner_count, anonymous, contactable, status, correlation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'registered', $14)",
    )
    .bind(id)
    .bind(&case_number)
    .bind(&query_code_hash)
    .bind(p.channel.as_str())
    .bind(p.received_on)
    .bind(registered_at)
    .bind(&actor.unit)
    .bind(&actor.user_id)
    .bind(&intake.division_code)
    .bind(p.summary.as_str())
    .bind(p.petitioner_count as i32)
    .bind(p.anonymous())
    .bind(false)
    .bind(envelope.correlation_id)
    .execute(&mut *conn)
    .await?;
    Outbox::enqueue(&mut *conn, &envelope).await?;
    audit::record(
        &mut *conn,
        &AuditEntry::by(
            actor,
            "petition.register",
            Some(id),
            serde_json::json!({ "case_number": case_number, "channel": p.channel.as_str(), "received_on": p.received_on }),
        ),
    )
    .await?;
    Ok(RegisteredPetition {
        id,
        case_number,
        query_code,
        received_on: p.received_on,
        registered_at,
        status: "registered".into(),
        correlation_id: envelope.correlation_id,
    })
}

/// Read one petition (查看信访件). Other units' cases answer 404, like cases that do not exist.
#[utoipa::path(
    get, path = "/api/v1/petitions/{id}", tag = "登记",
    params(("id" = Uuid, Path, description = "信访件 id")),
    responses((status = 200, body = PetitionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get_petition(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let id = path.into_inner();
    let row = sqlx::query(
        "SELECT id, case_number, channel, received_on, registered_at, registering_unit, summary, petitioner_count, anonymous, status
         FROM petitions WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool.get_ref())
    .await?;
    let Some(r) = row else {
        return Err(ApiError::not_found("信访件不存在或无权查看"));
    };
    let unit: String = r.try_get("registering_unit")?;
    if !actor.can_see_unit(&unit) {
        return Err(ApiError::not_found("信访件不存在或无权查看"));
    }
    let view = PetitionView {
        id: r.try_get("id")?,
        case_number: r.try_get("case_number")?,
        channel: r.try_get("channel")?,
        received_on: r.try_get("received_on")?,
        registered_at: r.try_get("registered_at")?,
        registering_unit: unit,
        summary: r.try_get("summary")?,
        petitioner_count: r.try_get("petitioner_count")?,
        anonymous: r.try_get("anonymous")?,
        status: r.try_get("status")?,
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(view))
}
