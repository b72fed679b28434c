//! Case-owning leaders over HTTP (领导包案).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    idempotency,
    time::today_in_china,
    Actor, ApiError, Permission, Role,
};

use crate::{
    api::support::{page_response, scoped_unit, visible_case, Page, PageQuery, Problems},
    domain::error::SupervisionError,
    oversight::leaders::{
        domain::LeaderAction,
        store::{self, AssignmentRow, NewAction, NewAssignment},
    },
};

/// 指定包案领导
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignLeaderRequest {
    pub case_id: Uuid,
    /// The leader's user id
    pub leader_id: String,
    /// 领导姓名、职务
    pub leader_name: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeaderAssignmentView {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    pub leader_id: String,
    pub leader_name: String,
    pub assigned_on: NaiveDate,
    pub note: String,
    /// Case status from the read model (e.g. registered, accepted, assigned, finalized)
    pub case_status: String,
    pub responsible_unit: String,
    pub actions: i64,
    pub last_action_on: Option<NaiveDate>,
}

impl From<AssignmentRow> for LeaderAssignmentView {
    fn from(r: AssignmentRow) -> LeaderAssignmentView {
        LeaderAssignmentView {
            id: r.id,
            case_id: r.case_id,
            case_number: r.case_number,
            leader_id: r.leader_id,
            leader_name: r.leader_name,
            assigned_on: r.assigned_on,
            note: r.note,
            case_status: r.case_status,
            responsible_unit: r.unit_code,
            actions: r.actions,
            last_action_on: r.last_action_on,
        }
    }
}

/// Assign a leader to own a case (指定包案领导).
#[utoipa::path(
    post, path = "/api/v1/leader-assignments", tag = "领导包案",
    request_body = AssignLeaderRequest,
    responses((status = 201, body = LeaderAssignmentView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody, description = "已包案"), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn assign(
    req: HttpRequest,
    actor: Actor,
    body: web::Json<AssignLeaderRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Supervise)?;
    let body = body.into_inner();
    let mut p = Problems::default();
    let leader_id = p.text("leader_id", &body.leader_id, 64);
    let leader_name = p.text("leader_name", &body.leader_name, 100);
    if body.note.chars().count() > 2000 {
        p.push("note", "不能超过 2000 个字符");
    }
    p.finish()?;
    let case = visible_case(&pool, &actor, body.case_id).await?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let key = idempotency::key_of(&req)?;
    let replay = idempotency::begin_request(uow.conn(), &actor, key.as_deref(), &body).await?;
    if let Some(r) = replay {
        return Ok(r);
    }
    let id = Uuid::now_v7();
    let assignment = NewAssignment {
        id,
        case_id: case.case_id,
        leader_id: &leader_id,
        leader_name: &leader_name,
        assigned_by: &actor.user_id,
        assigned_on: today_in_china(),
        note: body.note.trim(),
    };
    if !store::assign(uow.conn(), &assignment).await? {
        return Err(SupervisionError::AlreadyAssigned.into());
    }
    uow.audit(AuditEntry::by(
        &actor,
        "leader.assign",
        Some(case.case_id),
        serde_json::json!({ "assignment_id": id, "leader_id": leader_id }),
    ))
    .await?;
    let created = store::get(uow.conn(), id)
        .await?
        .map(LeaderAssignmentView::from)
        .ok_or_else(|| ApiError::internal("the assignment just written is missing"))?;
    idempotency::created(uow, &actor, key.as_deref(), &created).await
}

/// 记录包案领导履职
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaderActionRequest {
    /// interview (接访约谈) | site_visit (实地走访) | coordination_meeting (召开协调会) | instruction (批示) | other
    pub action: String,
    /// defaults to today
    pub acted_on: Option<NaiveDate>,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LeaderActionView {
    pub id: Uuid,
    pub action: String,
    pub action_label: String,
    pub acted_on: NaiveDate,
    pub description: String,
    pub recorded_by: String,
}

/// Record what the case-owning leader did (记录包案领导履职). The leader or supervisors.
#[utoipa::path(
    post, path = "/api/v1/leader-assignments/{id}/actions", tag = "领导包案",
    params(("id" = Uuid, Path)), request_body = LeaderActionRequest,
    responses((status = 201, body = LeaderActionView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn record_action(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<LeaderActionRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    let assignment = store::live(&pool, id)
        .await?
        .ok_or(SupervisionError::LeaderAssignmentNotFound)?;
    let case_id = assignment.case_id;
    if assignment.leader_id != actor.user_id {
        actor.require(Permission::Supervise)?;
    }
    let mut p = Problems::default();
    let action = LeaderAction::parse(&body.action);
    if action.is_none() {
        p.push(
            "action",
            "只能是 interview、site_visit、coordination_meeting、instruction 或 other",
        );
    }
    let description = p.text("description", &body.description, 5000);
    let today = today_in_china();
    let acted_on = body.acted_on.unwrap_or(today);
    if acted_on > today {
        p.push("acted_on", "履职日期不能晚于今天");
    }
    p.finish()?;
    let action =
        action.ok_or_else(|| ApiError::internal("action passed validation without a value"))?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let action_id = Uuid::now_v7();
    let recorded = NewAction {
        id: action_id,
        assignment_id: id,
        action: action.as_str(),
        acted_on,
        description: &description,
        recorded_by: &actor.user_id,
    };
    store::record_action(uow.conn(), &recorded).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "leader.action",
        Some(case_id),
        serde_json::json!({ "assignment_id": id, "action": action.as_str() }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(LeaderActionView {
        id: action_id,
        action: action.as_str().into(),
        action_label: action.label_zh().into(),
        acted_on,
        description,
        recorded_by: actor.user_id.clone(),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LeaderFilter {
    /// 上一页最后一条的 id
    pub after: Option<Uuid>,
    /// 每页条数 1–200, 默认 50
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// A leader's user id; leaders default to their own cases
    pub leader_id: Option<String>,
}

impl LeaderFilter {
    /// The keyset page asked for (one query string: the page and the filter, unknown keys refused).
    pub fn page(&self) -> PageQuery {
        PageQuery {
            after: self.after,
            limit: self.limit,
        }
    }
}

/// List leaders' cases with their progress (包案领导及其案件进展).
#[utoipa::path(
    get, path = "/api/v1/leader-assignments", tag = "领导包案",
    params(LeaderFilter),
    responses((status = 200, body = Page<LeaderAssignmentView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    actor: Actor,
    filter: xinfang_platform::http::Query<LeaderFilter>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let page = filter.page();
    actor.require(Permission::ReadCases)?;
    let leader = filter.leader_id.clone().or_else(|| {
        (actor.roles.contains(&Role::Leader) && !actor.has(Permission::Administer))
            .then(|| actor.user_id.clone())
    });
    let unit = scoped_unit(&actor);
    let items: Vec<LeaderAssignmentView> = store::list(
        &pool,
        page.after(),
        leader.as_deref(),
        unit.as_deref(),
        page.limit(),
    )
    .await?
    .into_iter()
    .map(LeaderAssignmentView::from)
    .collect();
    Ok(page_response(items, &page, |a| a.id))
}
