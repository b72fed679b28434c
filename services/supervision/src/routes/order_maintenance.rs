//! Order-maintenance records over HTTP (维护秩序记录).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::OutboxWaker;
use xinfang_messaging::UnitOfWork;
use xinfang_platform::audit::AuditExt;
use xinfang_platform::{audit::AuditEntry, error::ErrorBody, Actor, ApiError, Permission};

use crate::{
    order_maintenance::{conduct_label, looks_like_id_number, response_label},
    oversight::{page_response, require_any, scoped_unit, visible_case, Page, PageQuery, Problems},
};

/// 记录接待现场秩序事件
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentRequest {
    pub case_id: Option<Uuid>,
    /// A reference to the person (信访人编号 or a masked name), never an identity number
    pub person_ref: String,
    pub occurred_at: DateTime<Utc>,
    /// 接待场所
    pub location: String,
    /// illegal_gathering | dangerous_items | assault_or_threat | lingering_or_abandoning | incitement | other_disorder (第二十六条)
    pub conduct: String,
    pub description: String,
    /// dissuasion (劝阻) | criticism (批评) | education (教育) | police (移交公安机关, 第四十七条)
    pub response: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IncidentView {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub person_ref: String,
    pub unit: String,
    pub occurred_at: DateTime<Utc>,
    pub location: String,
    pub conduct: String,
    pub conduct_label: String,
    pub description: String,
    pub response: String,
    pub response_label: String,
    pub recorded_by: String,
}

fn view(r: &sqlx::postgres::PgRow) -> Result<IncidentView, sqlx::Error> {
    let conduct: String = r.try_get("conduct")?;
    let response: String = r.try_get("response")?;
    Ok(IncidentView {
        id: r.try_get("id")?,
        case_id: r.try_get("case_id")?,
        person_ref: r.try_get("person_ref")?,
        unit: r.try_get("unit_code")?,
        occurred_at: r.try_get("occurred_at")?,
        location: r.try_get("location")?,
        conduct_label: conduct_label(&conduct).unwrap_or_default().to_string(),
        conduct,
        description: r.try_get("description")?,
        response_label: response_label(&response).unwrap_or_default().to_string(),
        response,
        recorded_by: r.try_get("recorded_by")?,
    })
}

const COLS: &str = "id, case_id, person_ref, unit_code, occurred_at, location, conduct, description, response, recorded_by";

/// Record an incident at reception (记录维护秩序事件): the conduct and the response.
#[utoipa::path(
    post, path = "/api/v1/order-incidents", tag = "维护秩序", request_body = IncidentRequest,
    responses((status = 201, body = IncidentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn record(
    actor: Actor,
    body: web::Json<IncidentRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    require_any(
        &actor,
        &[Permission::RegisterPetition, Permission::Supervise],
    )?;
    let mut p = Problems::default();
    let person_ref = p.text("person_ref", &body.person_ref, 100);
    if looks_like_id_number(&person_ref) {
        p.push("person_ref", "请填写信访人编号等引用，不得填写身份证号");
    }
    let location = p.text("location", &body.location, 200);
    let description = p.text("description", &body.description, 5000);
    if conduct_label(&body.conduct).is_none() {
        p.push(
            "conduct",
            "行为类型不在《信访工作条例》第二十六条所列范围内",
        );
    }
    if response_label(&body.response).is_none() {
        p.push("response", "只能是 dissuasion（劝阻）、criticism（批评）、education（教育）或 police（移交公安机关）");
    }
    if body.occurred_at > Utc::now() + chrono::Duration::minutes(5) {
        p.push("occurred_at", "发生时间不能晚于现在");
    }
    p.finish()?;
    if let Some(c) = body.case_id {
        visible_case(&pool, &actor, c).await?;
    }
    let id = Uuid::now_v7();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    sqlx::query(
        "INSERT INTO order_incidents (id, case_id, person_ref, unit_code, occurred_at, location, conduct, description, response, recorded_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(id)
    .bind(body.case_id)
    .bind(&person_ref)
    .bind(&actor.unit)
    .bind(body.occurred_at)
    .bind(&location)
    .bind(&body.conduct)
    .bind(&description)
    .bind(&body.response)
    .bind(&actor.user_id)
    .execute(uow.conn())
    .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "order_incident.record",
        body.case_id,
        serde_json::json!({ "incident_id": id, "response": body.response }),
    ))
    .await?;
    let created = view(
        &sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {COLS} FROM order_incidents WHERE id = $1"
        )))
        .bind(id)
        .fetch_one(uow.conn())
        .await?,
    )?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IncidentFilter {
    pub person_ref: Option<String>,
    pub case_id: Option<Uuid>,
}

/// List incidents (维护秩序记录): the county sees all, a unit its own.
#[utoipa::path(
    get, path = "/api/v1/order-incidents", tag = "维护秩序", params(PageQuery, IncidentFilter),
    responses((status = 200, body = Page<IncidentView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    actor: Actor,
    page: web::Query<PageQuery>,
    filter: web::Query<IncidentFilter>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let unit = scoped_unit(&actor);
    let sql = format!(
        "SELECT {COLS} FROM order_incidents WHERE id > $1 AND ($2::text IS NULL OR unit_code = $2)
           AND ($3::text IS NULL OR person_ref = $3) AND ($4::uuid IS NULL OR case_id = $4) ORDER BY id LIMIT $5"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(page.after())
        .bind(unit)
        .bind(&filter.person_ref)
        .bind(filter.case_id)
        .bind(page.limit())
        .fetch_all(pool.get_ref())
        .await?;
    page_response(&rows, &page, view, |i| i.id)
}
