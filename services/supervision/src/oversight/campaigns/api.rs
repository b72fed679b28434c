//! Backlog campaigns over HTTP (专项攻坚, 百日百件).

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    time::today_in_china,
    Actor, ApiError, Permission,
};

use crate::{
    api::support::{page_response, scoped_unit, Page, PageQuery, Problems},
    domain::error::SupervisionError,
    oversight::campaigns::{
        domain::{Board, UnitProgress},
        store::{self, CampaignRow, CampaignSummaryRow, NewCampaign},
    },
};

/// 创建专项攻坚
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCampaignRequest {
    /// e.g. 百日百件
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// defaults to today
    pub start_on: Option<NaiveDate>,
    /// 目标完成日期
    pub target_on: NaiveDate,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CampaignView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub start_on: NaiveDate,
    pub target_on: NaiveDate,
}

/// Create a backlog campaign (创建专项攻坚).
#[utoipa::path(
    post, path = "/api/v1/campaigns", tag = "专项攻坚", request_body = CreateCampaignRequest,
    responses((status = 201, body = CampaignView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn create(
    actor: Actor,
    body: web::Json<CreateCampaignRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Supervise)?;
    let mut p = Problems::default();
    let name = p.text("name", &body.name, 100);
    let start_on = body.start_on.unwrap_or_else(today_in_china);
    if body.target_on < start_on {
        p.push("target_on", "目标日期不能早于开始日期");
    }
    if body.description.chars().count() > 2000 {
        p.push("description", "不能超过 2000 个字符");
    }
    p.finish()?;
    let id = Uuid::now_v7();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let campaign = NewCampaign {
        id,
        name: &name,
        description: body.description.trim(),
        start_on,
        target_on: body.target_on,
        created_by: &actor.user_id,
    };
    store::insert(uow.conn(), &campaign).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "campaign.create",
        None,
        serde_json::json!({ "campaign_id": id, "name": name }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(CampaignView {
        id,
        name,
        description: body.description.trim().to_string(),
        start_on,
        target_on: body.target_on,
    }))
}

/// 纳入攻坚的信访件: by id, by case number (案件编号, as the receipt prints it), or both; 1–500
/// cases in all.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddCasesRequest {
    /// case ids
    #[serde(default)]
    pub case_ids: Vec<Uuid>,
    /// case numbers (案件编号)
    #[serde(default)]
    pub case_numbers: Vec<String>,
}

/// At most this many cases in one request.
const MAX_CASES_PER_REQUEST: usize = 500;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AddCasesResult {
    pub added: u64,
    pub already_in: u64,
}

async fn campaign(pool: &PgPool, id: Uuid) -> Result<CampaignRow, ApiError> {
    Ok(store::get(pool, id)
        .await?
        .ok_or(SupervisionError::CampaignNotFound)?)
}

/// Add backlog cases to a campaign (纳入攻坚), by id or by case number. Every case must exist;
/// an unknown one is named and nothing is added.
#[utoipa::path(
    post, path = "/api/v1/campaigns/{id}/cases", tag = "专项攻坚", params(("id" = Uuid, Path)), request_body = AddCasesRequest,
    responses((status = 200, body = AddCasesResult), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn add_cases(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<AddCasesRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Supervise)?;
    let id = path.into_inner();
    campaign(&pool, id).await?;
    let body = body.into_inner();
    let numbers: Vec<String> = body
        .case_numbers
        .iter()
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    let asked = body.case_ids.len() + numbers.len();
    if asked == 0 || asked > MAX_CASES_PER_REQUEST {
        let field = if body.case_ids.is_empty() {
            "case_numbers"
        } else {
            "case_ids"
        };
        return Err(ApiError::validation(
            field,
            format!("须包含 1 至 {MAX_CASES_PER_REQUEST} 个信访件"),
        ));
    }
    let known = store::known_cases(&pool, &body.case_ids).await?;
    let unknown: Vec<String> = body
        .case_ids
        .iter()
        .filter(|c| !known.contains(c))
        .map(|c| c.to_string())
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::validation(
            "case_ids",
            format!("以下信访件不存在：{}", unknown.join("，")),
        ));
    }
    let by_number = store::cases_by_number(&pool, &numbers).await?;
    let unknown: Vec<&str> = numbers
        .iter()
        .filter(|n| !by_number.iter().any(|(number, _)| number == *n))
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::validation(
            "case_numbers",
            format!("以下案件编号未找到：{}", unknown.join("，")),
        ));
    }
    let mut case_ids = body.case_ids;
    case_ids.extend(by_number.into_iter().map(|(_, case_id)| case_id));
    case_ids.sort();
    case_ids.dedup();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let added = store::add_cases(uow.conn(), id, &case_ids, &actor.user_id).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "campaign.add_cases",
        None,
        serde_json::json!({ "campaign_id": id, "added": added }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(AddCasesResult {
        added,
        already_in: case_ids.len() as u64 - added,
    }))
}

/// Progress board of a campaign (攻坚进度看板): closed/total, overdue, per unit. A unit sees its own
/// cases in it.
#[utoipa::path(
    get, path = "/api/v1/campaigns/{id}/board", tag = "专项攻坚", params(("id" = Uuid, Path)),
    responses((status = 200, body = Board), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn board(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let id = path.into_inner();
    let CampaignRow { name, target_on } = campaign(&pool, id).await?;
    let unit = (!actor.county_wide()).then_some(actor.unit.as_str());
    let today = today_in_china();
    let by_unit = store::progress(&pool, id, target_on, today, unit)
        .await?
        .into_iter()
        .map(|r| UnitProgress {
            unit: r.unit,
            total: r.total,
            closed: r.closed,
            overdue: r.overdue,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Board::new(id, name, target_on, today, by_unit)))
}

/// A campaign in the list (专项攻坚列表): its dates and how many of its cases are closed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CampaignSummary {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub start_on: NaiveDate,
    pub target_on: NaiveDate,
    /// 纳入攻坚的信访件数 (a unit counts its own)
    pub total: i64,
    /// 其中已办结
    pub closed: i64,
}

impl From<CampaignSummaryRow> for CampaignSummary {
    fn from(r: CampaignSummaryRow) -> CampaignSummary {
        CampaignSummary {
            id: r.id,
            name: r.name,
            description: r.description,
            start_on: r.start_on,
            target_on: r.target_on,
            total: r.total,
            closed: r.closed,
        }
    }
}

/// List campaigns (专项攻坚列表), oldest first, in keyset pages. Everyone who reads cases sees
/// every campaign; a unit's counts are of its own cases.
#[utoipa::path(
    get, path = "/api/v1/campaigns", tag = "专项攻坚", params(PageQuery),
    responses((status = 200, body = Page<CampaignSummary>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    actor: Actor,
    page: xinfang_platform::http::Query<PageQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let unit = scoped_unit(&actor);
    let items: Vec<CampaignSummary> =
        store::list(&pool, page.after(), page.limit(), unit.as_deref())
            .await?
            .into_iter()
            .map(CampaignSummary::from)
            .collect();
    Ok(page_response(items, &page, |c| c.id))
}
