//! Supervision orders over HTTP (督办令): issue, respond in writing, list and read.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
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

use crate::{
    api::{
        error::calendar_error,
        support::{
            page_response, scoped_unit, visible_case, visible_to, Page, PageQuery, Problems,
        },
    },
    configuration::OversightSettings,
    deadlines::{
        domain::calendar::{current, SharedCalendar},
        store::deadlines::lenient,
    },
    domain::error::SupervisionError,
    oversight::{
        domain::working_due,
        orders::{
            domain::{ensure_answerable, NewOrder, OrderKind},
            store::{self, OrderListFilter, OrderRow},
        },
    },
};

/// 下达督办令
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueOrderRequest {
    /// reminder (催办) | supervision (督办) | listed (挂牌督办) | interview (约谈) | circular (通报)
    pub kind: String,
    /// 责任单位 (the unit addressed)
    pub unit: String,
    /// The case concerned (或 pattern)
    pub case_id: Option<Uuid>,
    /// A pattern across cases (e.g. "多件交办事项逾期未办结")
    pub pattern: Option<String>,
    /// 督办事项
    pub summary: String,
    /// 书面答复期限; default: today + the configured working days for the kind
    pub respond_by: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrderView {
    pub id: Uuid,
    pub kind: String,
    pub kind_label: String,
    pub case_id: Option<Uuid>,
    pub case_number: Option<String>,
    pub pattern: Option<String>,
    pub unit: String,
    pub summary: String,
    pub issued_by: String,
    pub issued_on: NaiveDate,
    /// 书面答复期限
    pub respond_by: NaiveDate,
    /// How respond_by was computed (计算过程)
    pub explanation: Vec<String>,
    /// open | responded | escalated | overdue
    pub status: String,
    /// The order this one escalated from
    pub parent_id: Option<Uuid>,
    pub response: Option<String>,
    pub responded_by: Option<String>,
    pub responded_at: Option<DateTime<Utc>>,
}

impl From<OrderRow> for OrderView {
    fn from(r: OrderRow) -> OrderView {
        OrderView {
            kind_label: OrderKind::parse(&r.kind)
                .map(|k| k.label_zh().to_string())
                .unwrap_or_default(),
            id: r.id,
            kind: r.kind,
            case_id: r.case_id,
            case_number: r.case_number,
            pattern: r.pattern,
            unit: r.unit_code,
            summary: r.summary,
            issued_by: r.issued_by,
            issued_on: r.issued_on,
            respond_by: r.respond_by,
            explanation: lenient(r.explanation),
            status: r.status,
            parent_id: r.parent_id,
            response: r.response,
            responded_by: r.responded_by,
            responded_at: r.responded_at,
        }
    }
}

async fn load(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<OrderView, ApiError> {
    let mut conn = pool.acquire().await?;
    let order = store::get(&mut conn, id).await?.map(OrderView::from);
    Ok(visible_to(
        actor,
        order,
        |o| &o.unit,
        SupervisionError::OrderNotFound,
    )?)
}
/// Issue a supervision order (下达督办令) to a unit about a case or a pattern.
#[utoipa::path(
    post, path = "/api/v1/orders", tag = "督查督办",
    request_body = IssueOrderRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "幂等键")),
    responses(
        (status = 201, body = OrderView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "信访件不存在"),
        (status = 422, body = ErrorBody, description = "字段校验失败或日期超出节假日日历"),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "issue_order", skip_all, fields(user = %actor.user_id))]
// Actix extractors, one per kind of shared state.
#[allow(clippy::too_many_arguments)]
pub async fn issue(
    req: HttpRequest,
    actor: Actor,
    body: web::Json<IssueOrderRequest>,
    pool: web::Data<PgPool>,
    calendar: web::Data<SharedCalendar>,
    settings: web::Data<OversightSettings>,
    waker: web::Data<OutboxWaker>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Supervise)?;
    let body = body.into_inner();
    let mut p = Problems::default();
    let kind = OrderKind::parse(&body.kind);
    if kind.is_none() {
        p.push(
            "kind",
            "只能是 reminder（催办）、supervision（督办）、listed（挂牌督办）、interview（约谈）或 circular（通报）",
        );
    }
    let unit = p.unit(&directory, "unit", &body.unit);
    let summary = p.text("summary", &body.summary, 2000);
    let pattern = body.pattern.as_deref().map(|s| p.text("pattern", s, 500));
    if body.case_id.is_none() && pattern.is_none() {
        p.push(
            "case_id",
            "须指明所督办的信访件（case_id）或共性问题（pattern）",
        );
    }
    let today = today_in_china();
    if let Some(d) = body.respond_by {
        if d <= today {
            p.push("respond_by", "书面答复期限须晚于今天");
        }
    }
    p.finish()?;
    let kind = kind.ok_or_else(|| ApiError::internal("kind passed validation without a value"))?;
    let case = match body.case_id {
        Some(id) => Some(visible_case(&pool, &actor, id).await?),
        None => None,
    };
    let (respond_by, explanation) = match body.respond_by {
        Some(d) => (d, vec![format!("督办单位指定书面答复期限：{d}")]),
        None => {
            let days = kind.response_days(&settings.order_response_days);
            let (due, mut ex) = working_due(&current(&calendar), today, days)
                .map_err(|e| calendar_error("respond_by", e))?;
            ex.insert(
                0,
                format!(
                    "{}书面答复期限：自下达之日起{days}个工作日",
                    kind.label_zh()
                ),
            );
            (due, ex)
        }
    };
    let new = NewOrder {
        kind,
        case_id: case.as_ref().map(|c| c.case_id),
        case_number: case.as_ref().map(|c| c.case_number.clone()),
        pattern,
        unit_code: unit,
        summary,
        issued_on: today,
        respond_by,
        explanation,
        parent_id: None,
    };
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let key = idempotency::key_of(&req)?;
    let replay = idempotency::begin_request(uow.conn(), &actor, key.as_deref(), &body).await?;
    if let Some(r) = replay {
        uow.rollback().await?;
        return Ok(r);
    }
    let id = store::insert(
        &mut uow,
        &new,
        &actor.user_id,
        &actor.unit,
        AuditEntry::by(
            &actor,
            "order.issue",
            new.case_id,
            serde_json::json!({ "kind": kind.as_str(), "unit": new.unit_code, "respond_by": respond_by }),
        ),
    )
    .await?;
    let created = store::get(uow.conn(), id)
        .await?
        .map(OrderView::from)
        .ok_or_else(|| ApiError::internal("the order just written is missing"))?;
    tracing::info!(order_id = %id, kind = kind.as_str(), "supervision order issued");
    idempotency::created(uow, &actor, key.as_deref(), &created).await
}

/// 书面答复
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RespondRequest {
    /// 书面答复内容
    pub response: String,
}

/// The addressed unit answers an order in writing (书面答复督办).
#[utoipa::path(
    post, path = "/api/v1/orders/{id}/response", tag = "督查督办",
    params(("id" = Uuid, Path)),
    request_body = RespondRequest,
    responses(
        (status = 200, body = OrderView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "已答复或已升级"), (status = 422, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "respond_order", skip_all, fields(user = %actor.user_id))]
pub async fn respond(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<RespondRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let state = store::lock_state(uow.conn(), id)
        .await?
        // Only the addressed unit answers; other units do not learn that the order exists, so
        // the body is checked only after that (authorize first, then validate).
        .filter(|s| s.unit_code == actor.unit)
        .ok_or(SupervisionError::OrderNotFound)?;
    let mut p = Problems::default();
    let response = p.text("response", &body.response, 5000);
    p.finish()?;
    ensure_answerable(&state.status)?;
    store::record_response(uow.conn(), id, &response, &actor.user_id).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "order.respond",
        state.case_id,
        serde_json::json!({ "order_id": id }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(load(&pool, &actor, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OrderFilter {
    /// 上一页最后一条的 id
    pub after: Option<Uuid>,
    /// 每页条数 1–200, 默认 50
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// open | responded | escalated | overdue
    pub status: Option<String>,
    pub case_id: Option<Uuid>,
}

impl OrderFilter {
    /// The keyset page asked for (one query string: the page and the filter, unknown keys refused).
    pub fn page(&self) -> PageQuery {
        PageQuery {
            after: self.after,
            limit: self.limit,
        }
    }
}

/// List orders (督办令列表): the bureau and leaders see all, a unit its own. Keyset pages.
#[utoipa::path(
    get, path = "/api/v1/orders", tag = "督查督办",
    params(OrderFilter),
    responses((status = 200, body = Page<OrderView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    actor: Actor,
    filter: xinfang_platform::http::Query<OrderFilter>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let page = filter.page();
    actor.require(Permission::ReadCases)?;
    let unit = scoped_unit(&actor);
    let filter = OrderListFilter {
        after: page.after(),
        unit,
        status: filter.status.clone(),
        case_id: filter.case_id,
        limit: page.limit(),
    };
    let items: Vec<OrderView> = store::list(&pool, &filter)
        .await?
        .into_iter()
        .map(OrderView::from)
        .collect();
    Ok(page_response(items, &page, |o| o.id))
}

/// Read one order (督办令详情).
#[utoipa::path(
    get, path = "/api/v1/orders/{id}", tag = "督查督办",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = OrderView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    Ok(HttpResponse::Ok().json(load(&pool, &actor, path.into_inner()).await?))
}
