//! The three recommendations over HTTP (三项建议) and the recipient's written feedback.

use actix_web::{web, HttpResponse};
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
        recommendations::{
            domain::{adoption_label, RecommendationBoardRow, RecommendationKind},
            store::{self, NewRecommendation, RecommendationRow},
        },
    },
};

/// 提出建议
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRecommendationRequest {
    /// improve_work (改进工作建议) | improve_policy (完善政策建议) | pursue_accountability (追究责任建议)
    pub kind: String,
    /// 建议对象单位
    pub unit: String,
    pub case_id: Option<Uuid>,
    pub content: String,
    /// 发现的问题 (opens the 三项建议书); default: the finding article 40 names for the kind
    #[serde(default)]
    pub findings: Option<String>,
    /// 反馈期限; default today + the configured working days
    pub feedback_due: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecommendationView {
    pub id: Uuid,
    pub kind: String,
    pub kind_label: String,
    pub case_id: Option<Uuid>,
    pub unit: String,
    pub content: String,
    pub issued_on: NaiveDate,
    pub feedback_due: NaiveDate,
    pub explanation: Vec<String>,
    /// adopted | partially_adopted | not_adopted; null until the feedback arrives
    pub adoption: Option<String>,
    pub feedback: Option<String>,
    pub feedback_at: Option<DateTime<Utc>>,
    /// No feedback and past the deadline (逾期未反馈)
    pub overdue: bool,
}

fn view(r: RecommendationRow, today: NaiveDate) -> RecommendationView {
    RecommendationView {
        kind_label: RecommendationKind::parse(&r.kind)
            .map(|k| k.label_zh().to_string())
            .unwrap_or_default(),
        overdue: r.adoption.is_none() && today > r.feedback_due,
        id: r.id,
        kind: r.kind,
        case_id: r.case_id,
        unit: r.unit_code,
        content: r.content,
        issued_on: r.issued_on,
        feedback_due: r.feedback_due,
        explanation: lenient(r.explanation),
        adoption: r.adoption,
        feedback: r.feedback,
        feedback_at: r.feedback_at,
    }
}

async fn load(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<RecommendationView, ApiError> {
    let today = today_in_china();
    let v = store::get(pool, id).await?.map(|r| view(r, today));
    Ok(visible_to(
        actor,
        v,
        |v| &v.unit,
        SupervisionError::RecommendationNotFound,
    )?)
}

/// Issue one of the three recommendations (提出改进工作、完善政策、追究责任建议).
#[utoipa::path(
    post, path = "/api/v1/recommendations", tag = "三项建议", request_body = IssueRecommendationRequest,
    responses((status = 201, body = RecommendationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn issue(
    actor: Actor,
    body: web::Json<IssueRecommendationRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    calendar: web::Data<SharedCalendar>,
    settings: web::Data<OversightSettings>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Supervise)?;
    let mut p = Problems::default();
    let kind = RecommendationKind::parse(&body.kind);
    if kind.is_none() {
        p.push("kind", "只能是 improve_work（改进工作建议）、improve_policy（完善政策建议）或 pursue_accountability（追究责任建议）");
    }
    let unit = p.unit(&directory, "unit", &body.unit);
    let content = p.text("content", &body.content, 5000);
    let findings = body.findings.as_deref().map(str::trim).unwrap_or("");
    if findings.chars().count() > 2000 {
        p.push("findings", "不能超过 2000 个字符");
    }
    let today = today_in_china();
    if matches!(body.feedback_due, Some(d) if d <= today) {
        p.push("feedback_due", "反馈期限须晚于今天");
    }
    p.finish()?;
    let kind = kind.ok_or_else(|| ApiError::internal("kind passed validation without a value"))?;
    let findings = if findings.is_empty() {
        kind.default_findings()
    } else {
        findings
    };
    if let Some(c) = body.case_id {
        visible_case(&pool, &actor, c).await?;
    }
    let (due, explanation) = match body.feedback_due {
        Some(d) => (d, vec![format!("建议单位指定反馈期限：{d}")]),
        None => {
            let days = settings.recommendation_feedback_days;
            let (due, mut ex) = working_due(&current(&calendar), today, days)
                .map_err(|e| calendar_error("feedback_due", e))?;
            ex.insert(
                0,
                format!("书面反馈采纳情况期限：自提出之日起{days}个工作日"),
            );
            (due, ex)
        }
    };
    let id = Uuid::now_v7();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let recommendation = NewRecommendation {
        id,
        kind,
        case_id: body.case_id,
        unit: &unit,
        content: &content,
        findings,
        issued_by: &actor.user_id,
        issuing_unit: &actor.unit,
        issued_on: today,
        feedback_due: due,
        explanation: &explanation,
    };
    store::insert(&mut uow, &recommendation).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "recommendation.issue",
        body.case_id,
        serde_json::json!({ "recommendation_id": id, "kind": kind.as_str(), "unit": unit }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(load(&pool, &actor, id).await?))
}

/// 书面反馈采纳情况
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackRequest {
    /// adopted (采纳) | partially_adopted (部分采纳) | not_adopted (未采纳)
    pub adoption: String,
    /// 书面反馈内容 (reasons when not adopted)
    pub feedback: String,
}

/// The recipient answers in writing on adoption (书面反馈采纳情况). Only the addressed unit.
#[utoipa::path(
    post, path = "/api/v1/recommendations/{id}/feedback", tag = "三项建议", params(("id" = Uuid, Path)), request_body = FeedbackRequest,
    responses((status = 200, body = RecommendationView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn feedback(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<FeedbackRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    // Authorize first: another unit learns nothing of the recommendation, not even from a 422.
    let state = store::lock_feedback_state(uow.conn(), id)
        .await?
        .filter(|s| s.unit_code == actor.unit)
        .ok_or(SupervisionError::RecommendationNotFound)?;
    let mut p = Problems::default();
    if adoption_label(&body.adoption).is_none() {
        p.push(
            "adoption",
            "只能是 adopted（采纳）、partially_adopted（部分采纳）或 not_adopted（未采纳）",
        );
    }
    let text = p.text("feedback", &body.feedback, 5000);
    p.finish()?;
    if state.adoption.is_some() {
        return Err(SupervisionError::FeedbackGiven.into());
    }
    store::record_feedback(uow.conn(), id, &body.adoption, &text, &actor.user_id).await?;
    uow.audit(AuditEntry::by(
        &actor,
        "recommendation.feedback",
        state.case_id,
        serde_json::json!({ "recommendation_id": id, "adoption": body.adoption }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(load(&pool, &actor, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecommendationFilter {
    /// 上一页最后一条的 id
    pub after: Option<Uuid>,
    /// 每页条数 1–200, 默认 50
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// true: only those past their feedback deadline without feedback
    pub overdue: Option<bool>,
}

impl RecommendationFilter {
    /// The keyset page asked for (one query string: the page and the filter, unknown keys refused).
    pub fn page(&self) -> PageQuery {
        PageQuery {
            after: self.after,
            limit: self.limit,
        }
    }
}

/// List recommendations (建议列表); the board of overdue feedback is `?overdue=true`.
#[utoipa::path(
    get, path = "/api/v1/recommendations", tag = "三项建议", params(RecommendationFilter),
    responses((status = 200, body = Page<RecommendationView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    actor: Actor,
    filter: xinfang_platform::http::Query<RecommendationFilter>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let page = filter.page();
    actor.require(Permission::ReadCases)?;
    let today = today_in_china();
    let unit = scoped_unit(&actor);
    let items: Vec<RecommendationView> = store::list(
        &pool,
        page.after(),
        unit.as_deref(),
        filter.overdue.unwrap_or(false),
        today,
        page.limit(),
    )
    .await?
    .into_iter()
    .map(|r| view(r, today))
    .collect();
    Ok(page_response(items, &page, |v| v.id))
}

/// Board of the three recommendations (建议办理看板): per kind, issued, answered, adoption and
/// overdue feedback.
#[utoipa::path(
    get, path = "/api/v1/recommendations/board", tag = "三项建议",
    responses((status = 200, body = [RecommendationBoardRow]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn board(actor: Actor, pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let unit = scoped_unit(&actor);
    let rows = store::board_rows(&pool, unit.as_deref(), None, today_in_china()).await?;
    Ok(HttpResponse::Ok().json(rows))
}
