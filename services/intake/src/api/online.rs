//! Online petitions (网上信访) submitted by the petitioner through the portal (信访人门户).
//!
//! The console's portal verifies the petitioner's phone by a one-time SMS code before it calls
//! here with its service identity (scope `intake.petition.online`; people are refused: clerks
//! register online petitions through `POST /api/v1/petitions`). The petition is registered on the
//! `online` channel by the county petition bureau (the platform's `auth.bureau_unit`), which
//! receives the county's online petitions, exactly as a clerk's registration is: validated,
//! sealed, numbered without gaps, audited (actor `service:<client>`), its event published. The
//! answer gives the case number and the query code once; repeat candidates stay with the staff.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::{
    auth::AcceptServiceScopes, error::ErrorBody, idempotency, time::today_in_china, Actor,
    ApiError, Role,
};

use super::state::IntakeState;
use crate::{
    domain::{
        petition::{NewPetition, RawPetition, RawPetitioner},
        IntakeError,
    },
    workers::registrar::{Job, Registrar, Written},
};

/// The scope the portal's service identity needs here (网上信访登记).
pub const ONLINE_SCOPE: &str = "intake.petition.online";

/// The unit that registers online petitions (网上信访受理机构): the county petition bureau.
pub struct OnlineIntake {
    pub registering_unit: String,
}

/// The petitioner of an online petition; the phone was verified by the portal (SMS code).
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnlinePetitioner {
    /// 姓名
    pub name: String,
    /// 手机号码 (verified by the portal)
    pub phone: String,
    /// 公民身份号码 (optional)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// 住址 (optional)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// 电子邮箱 (optional)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// 送达方式偏好: `sms` or `email`
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_channel: Option<String>,
}

impl std::fmt::Debug for OnlinePetitioner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OnlinePetitioner(***)")
    }
}

/// 网上信访
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OnlinePetitionRequest {
    /// 信访事项摘要
    pub summary: String,
    /// 事实和理由
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facts: Option<String>,
    /// 信访诉求
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<String>,
    /// suggestion | accusation | claim
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// 信访事项领域 (as in registration)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// 乡镇
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub township: Option<String>,
    /// 村（社区）
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub village: Option<String>,
    pub petitioner: OnlinePetitioner,
}

/// What the petitioner is told once (登记回执): nothing about other cases.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OnlineRegistered {
    pub id: Uuid,
    /// 信访件编号
    pub case_number: String,
    /// 查询码 (shown once)
    pub query_code: String,
    pub received_on: NaiveDate,
    pub registered_at: DateTime<Utc>,
    /// 登记机关 (unit code) and its name
    pub registering_unit: String,
    pub registering_unit_name: String,
}

/// Register an online petition from the portal (网上信访登记). Send `Idempotency-Key`: the
/// portal uses the phone verification's id, so one verification yields at most one petition.
#[utoipa::path(
    post, path = "/internal/v1/online-petitions", tag = "服务间接口",
    request_body = OnlinePetitionRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses((status = 201, body = OnlineRegistered), (status = 400, body = ErrorBody),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
// One actix extractor per dependency of the handler.
#[allow(clippy::too_many_arguments)]
#[tracing::instrument(name = "register_online_petition", skip_all, fields(service = %actor.user_id, case_id))]
pub async fn register_online(
    req: HttpRequest,
    actor: Actor,
    body: web::Json<OnlinePetitionRequest>,
    pool: web::Data<PgPool>,
    state: web::Data<IntakeState>,
    online: web::Data<OnlineIntake>,
    registrar: web::Data<Registrar>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    if !actor.is_service() {
        return Err(ApiError::forbidden(
            "仅限信访人门户的服务身份调用；工作人员请通过登记接口登记网上信访",
        ));
    }
    let key = idempotency::key_of(&req)?;
    let body = body.into_inner();
    let p = &body.petitioner;
    let raw = RawPetition {
        channel: "online",
        summary: &body.summary,
        facts: body.facts.as_deref(),
        requests: body.requests.as_deref(),
        category: body.category.as_deref(),
        field: body.field.as_deref(),
        township: body.township.as_deref(),
        village: body.village.as_deref(),
        petitioners: vec![RawPetitioner {
            name: &p.name,
            id_number: p.id_number.as_deref(),
            phone: Some(&p.phone),
            address: p.address.as_deref(),
            email: p.email.as_deref(),
            preferred_channel: p.preferred_channel.as_deref(),
        }],
        ..RawPetition::default()
    };
    let petition =
        NewPetition::parse(raw, today_in_china(), &state.options.taxonomy).map_err(|errors| {
            // The portal's form has one petitioner: its fields are named without the index.
            IntakeError::Invalid(
                errors
                    .into_iter()
                    .map(|mut e| {
                        e.field = e.field.replace("petitioners[0].", "petitioner.");
                        e
                    })
                    .collect(),
            )
        })?;
    let request_hash = match &key {
        Some(_) => Some(idempotency::request_hash(
            &serde_json::to_value(&body).map_err(ApiError::internal)?,
        )),
        None => None,
    };
    // Registered by the bureau, which receives the county's online petitions: repeat candidates
    // are found as the bureau's clerks would see them.
    let receiving = Actor::person(
        &actor.user_id,
        &online.registering_unit,
        &[Role::Clerk],
        true,
    );
    let registration =
        super::petitions::prepare(pool.get_ref(), &receiving, &state, petition, None).await?;
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
    let (status, registered) = match outcome {
        Written::Replay { status, body } => {
            if !status.is_success() {
                return Ok(HttpResponse::build(status).json(body));
            }
            let r: crate::domain::petition::RegisteredPetition =
                serde_json::from_value(body).map_err(ApiError::internal)?;
            (status, r)
        }
        Written::Created(r) => {
            waker.wake();
            (actix_web::http::StatusCode::CREATED, r)
        }
    };
    tracing::Span::current().record("case_id", tracing::field::display(registered.id));
    tracing::info!(case_number = %registered.case_number, "online petition registered");
    Ok(HttpResponse::build(status)
        .insert_header(("Cache-Control", "no-store"))
        .json(OnlineRegistered {
            id: registered.id,
            case_number: registered.case_number,
            query_code: registered.query_code,
            received_on: registered.received_on,
            registered_at: registered.registered_at,
            registering_unit_name: state.directory.name_of(&online.registering_unit),
            registering_unit: online.registering_unit.clone(),
        }))
}

#[derive(utoipa::OpenApi)]
#[openapi(
    paths(register_online),
    components(schemas(OnlinePetitionRequest, OnlinePetitioner, OnlineRegistered))
)]
pub struct OnlineApi;

/// The route, open to service identities with [`ONLINE_SCOPE`]; registered before the other
/// internal routes (their scope would otherwise take the path).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/internal/v1/online-petitions")
            .app_data(web::Data::new(AcceptServiceScopes::new([ONLINE_SCOPE])))
            .route(web::post().to(register_online)),
    );
}
