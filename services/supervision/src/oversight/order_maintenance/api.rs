//! Order-maintenance records over HTTP (维护秩序记录).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    Actor, ApiError, Permission,
};

use crate::{
    api::support::{
        page_response, require_any, scoped_unit, visible_case, Page, PageQuery, Problems,
    },
    oversight::order_maintenance::{
        domain::{conduct_label, looks_like_id_number, response_label},
        store::{self, IncidentRow, NewIncident},
    },
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

impl From<IncidentRow> for IncidentView {
    fn from(r: IncidentRow) -> IncidentView {
        IncidentView {
            conduct_label: conduct_label(&r.conduct).unwrap_or_default().to_string(),
            response_label: response_label(&r.response).unwrap_or_default().to_string(),
            id: r.id,
            case_id: r.case_id,
            person_ref: r.person_ref,
            unit: r.unit_code,
            occurred_at: r.occurred_at,
            location: r.location,
            conduct: r.conduct,
            description: r.description,
            response: r.response,
            recorded_by: r.recorded_by,
        }
    }
}

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
    let incident = NewIncident {
        id,
        case_id: body.case_id,
        person_ref: &person_ref,
        unit: &actor.unit,
        occurred_at: body.occurred_at,
        location: &location,
        conduct: &body.conduct,
        description: &description,
        response: &body.response,
        recorded_by: &actor.user_id,
    };
    store::insert(uow.conn(), &incident).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "order_incident.record",
        body.case_id,
        serde_json::json!({ "incident_id": id, "response": body.response }),
    ))
    .await?;
    let created = store::get(uow.conn(), id)
        .await?
        .map(IncidentView::from)
        .ok_or_else(|| ApiError::internal("the incident just written is missing"))?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(created))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct IncidentFilter {
    /// 上一页最后一条的 id
    pub after: Option<Uuid>,
    /// 每页条数 1–200, 默认 50
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    pub person_ref: Option<String>,
    pub case_id: Option<Uuid>,
}

impl IncidentFilter {
    /// The keyset page asked for (one query string: the page and the filter, unknown keys refused).
    pub fn page(&self) -> PageQuery {
        PageQuery {
            after: self.after,
            limit: self.limit,
        }
    }
}

/// List incidents (维护秩序记录): the county sees all, a unit its own.
#[utoipa::path(
    get, path = "/api/v1/order-incidents", tag = "维护秩序", params(IncidentFilter),
    responses((status = 200, body = Page<IncidentView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    actor: Actor,
    filter: xinfang_platform::http::Query<IncidentFilter>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let page = filter.page();
    actor.require(Permission::ReadCases)?;
    let unit = scoped_unit(&actor);
    let items: Vec<IncidentView> = store::list(
        &pool,
        page.after(),
        unit.as_deref(),
        filter.person_ref.as_deref(),
        filter.case_id,
        page.limit(),
    )
    .await?
    .into_iter()
    .map(IncidentView::from)
    .collect();
    Ok(page_response(items, &page, |i| i.id))
}
