//! The three recommendations over HTTP (三项建议) and the recipient's written feedback.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::{PgPool, Row};
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_messaging::OutboxWaker;
use xinfang_messaging::UnitOfWork;
use xinfang_platform::audit::AuditExt;
use xinfang_platform::time::today_in_china;
use xinfang_platform::{audit::AuditEntry, error::ErrorBody, Actor, ApiError, Permission};

use crate::{
    deadlines::{current, json_column, SharedCalendar},
    oversight::{
        calendar_error, page_response, scoped_unit, visible_case, visible_to, working_due,
        OversightSettings, Page, PageQuery, Problems,
    },
    recommendations::{adoption_label, RecommendationKind},
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

const COLS: &str = "id, kind, case_id, unit_code, content, issued_on, feedback_due, explanation, adoption, feedback, feedback_at";

fn view(r: &sqlx::postgres::PgRow, today: NaiveDate) -> Result<RecommendationView, sqlx::Error> {
    let kind: String = r.try_get("kind")?;
    let due: NaiveDate = r.try_get("feedback_due")?;
    let adoption: Option<String> = r.try_get("adoption")?;
    Ok(RecommendationView {
        id: r.try_get("id")?,
        kind_label: RecommendationKind::parse(&kind)
            .map(|k| k.label_zh().to_string())
            .unwrap_or_default(),
        kind,
        case_id: r.try_get("case_id")?,
        unit: r.try_get("unit_code")?,
        content: r.try_get("content")?,
        issued_on: r.try_get("issued_on")?,
        feedback_due: due,
        explanation: json_column(r, "explanation")?,
        overdue: adoption.is_none() && today > due,
        adoption,
        feedback: r.try_get("feedback")?,
        feedback_at: r.try_get("feedback_at")?,
    })
}

async fn load(pool: &PgPool, actor: &Actor, id: Uuid) -> Result<RecommendationView, ApiError> {
    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT {COLS} FROM recommendations WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let v = row.map(|r| view(&r, today_in_china())).transpose()?;
    visible_to(actor, v, |v| &v.unit, "建议不存在或无权查看")
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
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Supervise)?;
    let mut p = Problems::default();
    let kind = RecommendationKind::parse(&body.kind);
    if kind.is_none() {
        p.push("kind", "只能是 improve_work（改进工作建议）、improve_policy（完善政策建议）或 pursue_accountability（追究责任建议）");
    }
    let unit = p.text("unit", &body.unit, 64);
    let content = p.text("content", &body.content, 5000);
    let today = today_in_china();
    if matches!(body.feedback_due, Some(d) if d <= today) {
        p.push("feedback_due", "反馈期限须晚于今天");
    }
    p.finish()?;
    let kind = kind.ok_or_else(|| ApiError::internal("kind passed validation without a value"))?;
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
    sqlx::query(
        "INSERT INTO recommendations (id, kind, case_id, unit_code, content, issued_by, issued_on, feedback_due, explanation)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(kind.as_str())
    .bind(body.case_id)
    .bind(&unit)
    .bind(&content)
    .bind(&actor.user_id)
    .bind(today)
    .bind(due)
    .bind(serde_json::json!(explanation))
    .execute(uow.conn())
    .await?;
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
    let mut p = Problems::default();
    if adoption_label(&body.adoption).is_none() {
        p.push(
            "adoption",
            "只能是 adopted（采纳）、partially_adopted（部分采纳）或 not_adopted（未采纳）",
        );
    }
    let text = p.text("feedback", &body.feedback, 5000);
    p.finish()?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let r = sqlx::query(
        "SELECT unit_code, adoption, case_id FROM recommendations WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(uow.conn())
    .await?
    .ok_or_else(|| ApiError::not_found("建议不存在或无权查看"))?;
    if r.try_get::<String, _>("unit_code")? != actor.unit {
        return Err(ApiError::not_found("建议不存在或无权查看"));
    }
    if r.try_get::<Option<String>, _>("adoption")?.is_some() {
        return Err(ApiError::conflict("feedback_given", "该建议已书面反馈"));
    }
    sqlx::query("UPDATE recommendations SET adoption = $2, feedback = $3, feedback_by = $4, feedback_at = now() WHERE id = $1")
        .bind(id)
        .bind(&body.adoption)
        .bind(&text)
        .bind(&actor.user_id)
        .execute(uow.conn())
        .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "recommendation.feedback",
        r.try_get("case_id")?,
        serde_json::json!({ "recommendation_id": id, "adoption": body.adoption }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(load(&pool, &actor, id).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecommendationFilter {
    /// true: only those past their feedback deadline without feedback
    pub overdue: Option<bool>,
}

/// List recommendations (建议列表); the board of overdue feedback is `?overdue=true`.
#[utoipa::path(
    get, path = "/api/v1/recommendations", tag = "三项建议", params(PageQuery, RecommendationFilter),
    responses((status = 200, body = Page<RecommendationView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    actor: Actor,
    page: web::Query<PageQuery>,
    filter: web::Query<RecommendationFilter>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let today = today_in_china();
    let unit = scoped_unit(&actor);
    let sql = format!(
        "SELECT {COLS} FROM recommendations WHERE id > $1 AND ($2::text IS NULL OR unit_code = $2)
           AND (NOT $3 OR (adoption IS NULL AND feedback_due < $4)) ORDER BY id LIMIT $5"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(page.after())
        .bind(unit)
        .bind(filter.overdue.unwrap_or(false))
        .bind(today)
        .bind(page.limit())
        .fetch_all(pool.get_ref())
        .await?;
    page_response(&rows, &page, |r| view(r, today), |v| v.id)
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct RecommendationBoardRow {
    pub kind: String,
    pub kind_label: String,
    pub issued: i64,
    pub answered: i64,
    pub adopted: i64,
    pub partially_adopted: i64,
    pub not_adopted: i64,
    /// 逾期未反馈
    pub overdue: i64,
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
    let rows = board_rows(&pool, unit.as_deref(), None, today_in_china()).await?;
    Ok(HttpResponse::Ok().json(rows))
}

/// Per-kind figures, for recommendations issued in [from, to] when given.
pub async fn board_rows(
    pool: &PgPool,
    unit: Option<&str>,
    period: Option<(NaiveDate, NaiveDate)>,
    today: NaiveDate,
) -> Result<Vec<RecommendationBoardRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT kind, count(*)::int8 AS issued, count(adoption)::int8 AS answered,
                count(*) FILTER (WHERE adoption = 'adopted')::int8 AS adopted,
                count(*) FILTER (WHERE adoption = 'partially_adopted')::int8 AS partially,
                count(*) FILTER (WHERE adoption = 'not_adopted')::int8 AS not_adopted,
                count(*) FILTER (WHERE adoption IS NULL AND feedback_due < $4)::int8 AS overdue
         FROM recommendations WHERE ($1::text IS NULL OR unit_code = $1)
           AND ($2::date IS NULL OR issued_on BETWEEN $2 AND $3) GROUP BY kind",
    )
    .bind(unit)
    .bind(period.map(|p| p.0))
    .bind(period.map(|p| p.1))
    .bind(today)
    .fetch_all(pool)
    .await?;
    let mut out = Vec::new();
    for k in RecommendationKind::ALL {
        let r = rows
            .iter()
            .find(|r| r.try_get::<String, _>("kind").ok().as_deref() == Some(k.as_str()));
        let g = |c: &str| {
            r.map(|r| r.try_get::<i64, _>(c))
                .transpose()
                .map(|v| v.unwrap_or(0))
        };
        out.push(RecommendationBoardRow {
            kind: k.as_str().into(),
            kind_label: k.label_zh().into(),
            issued: g("issued")?,
            answered: g("answered")?,
            adopted: g("adopted")?,
            partially_adopted: g("partially")?,
            not_adopted: g("not_adopted")?,
            overdue: g("overdue")?,
        });
    }
    Ok(out)
}
