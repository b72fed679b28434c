//! The petitioner's self-service (信访人自助查询, 《信访工作条例》第二十一条): with the case number and
//! the query code (查询码), the case's stage in plain Chinese, each decision, the documents (PDF),
//! the dates that apply; after closure, one satisfaction rating (满意度评价).
//!
//! No token: the number and the code are the credential, sent in the body (or in headers for a
//! download), never in a URL. Intake holds the code's hash and compares it in constant time; a
//! wrong code answers exactly as a missing case (same status, same body, one intake call either
//! way). Attempts are limited per client and minute in the database, so across replicas.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_calendar::{compute_due_date_only, DeadlineSpec};
use xinfang_contracts::satisfaction::SatisfactionRatedV1;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    ApiError,
};

use super::documents::{pdf_of, pdf_response};
use super::state::AppState;
use crate::domain::{template::date_zh, NotificationError};
use crate::events::publish;
use crate::store::{self, cases::CaseStatus};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// 信访件编号
    pub case_number: String,
    /// 查询码
    pub query_code: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DocumentEntry {
    pub id: Uuid,
    pub title: String,
    /// 制发机关
    pub organ_name: String,
    pub dated_on: NaiveDate,
    /// When it was served on the petitioner (送达日期), if it was.
    pub delivered_on: Option<NaiveDate>,
    /// `GET` with the headers `X-Case-Number` and `X-Query-Code`.
    pub download: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DateEntry {
    /// e.g. 请求复查的期限
    pub label: String,
    pub date: NaiveDate,
    /// The sentence a petitioner reads.
    pub text: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CaseProgress {
    pub case_number: String,
    /// 登记机关
    pub registering_organ: String,
    pub received_on: NaiveDate,
    /// Where the case stands, in plain Chinese (办理进度).
    pub status: String,
    pub status_on: Option<NaiveDate>,
    pub closed: bool,
    /// Decisions and documents sent to the petitioner, oldest first.
    pub documents: Vec<DocumentEntry>,
    pub dates: Vec<DateEntry>,
    /// 满意 / 基本满意 / 不满意, once rated.
    pub rating: Option<String>,
    pub can_rate: bool,
}

/// The stage as the petitioner reads it.
fn stage_zh(stage: &str) -> &'static str {
    match stage {
        "registered" => "已登记，正在审查是否受理",
        "accepted" => "已受理，正在办理",
        "declined" => "不予受理（已书面告知理由和途径）",
        "barred" => "不再受理（已书面告知）",
        "transferred" => "已转送有权处理的机关办理",
        "assigned" => "已交办有关单位办理",
        "extended" => "办理期限已依法延长",
        "opinion_issued" => "已出具信访处理意见书",
        "review_opinion_issued" => "已出具复查意见书",
        "re_review_opinion_issued" => "已出具复核意见书（终结）",
        "hearing_scheduled" => "已安排听证",
        "mediation" => "正在调解",
        "mediated" => "已调解结案",
        "finalized" => "已办结终结",
        _ => "正在办理",
    }
}

fn rating_zh(r: &str) -> &'static str {
    match r {
        "satisfied" => "满意",
        "basically_satisfied" => "基本满意",
        _ => "不满意",
    }
}

fn client_of(req: &HttpRequest, state: &AppState) -> String {
    if state.self_service.trust_forwarded_for {
        if let Some(first) = req
            .headers()
            .get("X-Forwarded-For")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
        {
            return first.trim().to_string();
        }
    }
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Count the attempt, check the number and code with intake, and find the case; every failure
/// but the limit answers [`NotificationError::NoSuchCase`].
async fn verify(
    req: &HttpRequest,
    state: &AppState,
    pool: &PgPool,
    case_number: &str,
    query_code: &str,
) -> Result<CaseStatus, ApiError> {
    let client = client_of(req, state);
    if store::self_service::attempt(pool, &client).await? > state.self_service.attempts_per_minute {
        tracing::warn!("self-service attempts over the limit");
        return Err(NotificationError::TooManyAttempts.into());
    }
    let (number, code) = (case_number.trim(), query_code.trim().to_ascii_uppercase());
    if number.is_empty() || number.len() > 40 || code.is_empty() || code.len() > 16 {
        return Err(NotificationError::NoSuchCase.into());
    }
    let id = state
        .contacts
        .verify_query_code(number, &code)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "query code check failed");
            NotificationError::Unavailable
        })?
        .ok_or(NotificationError::NoSuchCase)?;
    store::cases::status(pool, id)
        .await?
        .ok_or_else(|| NotificationError::NoSuchCase.into())
}

fn due(state: &AppState, start: NaiveDate, days: u32) -> Option<NaiveDate> {
    compute_due_date_only(&state.calendar, &DeadlineSpec::calendar_days(start, days)).ok()
}

/// The case as the petitioner sees it (办理进度查询).
#[utoipa::path(
    post, path = "/api/v1/self-service/lookup", tag = "自助查询", request_body = Credentials,
    responses((status = 200, body = CaseProgress),
              (status = 404, body = ErrorBody, description = "wrong number or code, or no such case: one answer"),
              (status = 429, body = ErrorBody), (status = 503, body = ErrorBody))
)]
#[tracing::instrument(skip_all)]
pub async fn lookup(
    req: HttpRequest,
    body: web::Json<Credentials>,
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let case = verify(&req, &state, &pool, &body.case_number, &body.query_code).await?;
    let notices = store::notices::for_case(&pool, case.case_id).await?;
    let deliveries = store::deliveries::for_case(&pool, case.case_id).await?;
    let mut documents = Vec::new();
    let mut dates = Vec::new();
    for n in notices.iter().filter(|n| n.recipient_kind == "petitioner") {
        let delivered_on = deliveries
            .iter()
            .filter(|d| d.notice_id == n.id && d.status == "delivered")
            .filter_map(|d| d.delivered_on)
            .min();
        if let Some(on) = delivered_on {
            let (label, what) = match n.kind.as_str() {
                "handling_opinion" => ("请求复查的期限", "请求复查"),
                "review_opinion" => ("请求复核的期限", "请求复核"),
                _ => ("", ""),
            };
            if !label.is_empty() {
                if let Some(until) = due(&state, on, 30) {
                    dates.push(DateEntry {
                        label: label.into(),
                        date: until,
                        text: format!(
                            "您于{}收到《{}》，如不服，可于{}前{}（《信访工作条例》第三十五条）。",
                            date_zh(on),
                            n.title,
                            date_zh(until),
                            what
                        ),
                    });
                }
            }
        }
        documents.push(DocumentEntry {
            id: n.id,
            title: n.title.clone(),
            organ_name: n.organ_name.clone(),
            dated_on: n.dated_on,
            delivered_on,
            download: format!("/api/v1/self-service/documents/{}.pdf", n.id),
        });
    }
    if case.stage == "registered" {
        if let Some(until) = due(&state, case.received_on, 15) {
            dates.push(DateEntry {
                label: "告知是否受理的期限".into(),
                date: until,
                text: format!(
                    "本机关将于{}前告知您是否受理（《信访工作条例》第二十二条、第二十三条）。",
                    date_zh(until)
                ),
            });
        }
    }
    let rating = store::self_service::rating(&pool, case.case_id).await?;
    let progress = CaseProgress {
        case_number: case.case_number.clone(),
        registering_organ: state
            .names
            .name(&case.registering_unit)
            .unwrap_or_else(|| "信访工作机构".into()),
        received_on: case.received_on,
        status: stage_zh(&case.stage).to_string(),
        status_on: case.stage_on,
        closed: case.closed,
        documents,
        dates,
        can_rate: case.closed && rating.is_none(),
        rating: rating.as_deref().map(|r| rating_zh(r).to_string()),
    };
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(progress))
}

/// A document of the case as PDF (文书下载): the headers `X-Case-Number` and `X-Query-Code`
/// carry the credential. The first download serves the document online (网上送达).
#[utoipa::path(
    get, path = "/api/v1/self-service/documents/{id}.pdf", tag = "自助查询",
    params(("id" = Uuid, Path),
           ("X-Case-Number" = String, Header), ("X-Query-Code" = String, Header)),
    responses((status = 200, content_type = "application/pdf", description = "A4 PDF"),
              (status = 404, body = ErrorBody), (status = 429, body = ErrorBody))
)]
#[tracing::instrument(skip_all, fields(notice_id = %path))]
pub async fn document(
    req: HttpRequest,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let case = verify(
        &req,
        &state,
        &pool,
        &header("X-Case-Number"),
        &header("X-Query-Code"),
    )
    .await?;
    let notice = store::notices::get(&pool, path.into_inner())
        .await?
        .filter(|n| n.case_id == case.case_id && n.recipient_kind == "petitioner")
        .ok_or(NotificationError::NoSuchCase)?;
    let pdf = pdf_of(&pool, &state, &notice).await?;
    let today = xinfang_platform::time::today_in_china();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    if store::deliveries::opened_online(uow.conn(), notice.id, today)
        .await?
        .is_some()
    {
        crate::workers::dispatcher::record_served(
            &mut uow,
            &[crate::workers::dispatcher::Served {
                notice: &notice,
                channel: "online",
                on: today,
                proof: Some("信访人网上查阅下载".into()),
            }],
        )
        .await?;
        uow.audit(AuditEntry::system(
            "notification",
            "document.opened_online",
            Some(notice.case_id),
            serde_json::json!({ "notice_id": notice.id }),
        ))
        .await?;
    }
    uow.commit().await?;
    Ok(pdf_response(&notice, pdf))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingRequest {
    pub case_number: String,
    pub query_code: String,
    /// `satisfied` (满意), `basically_satisfied` (基本满意) or `dissatisfied` (不满意)
    pub rating: String,
    /// 评价意见 (optional, at most 500 characters)
    pub comment: Option<String>,
}

/// Rate the handling once, after the case has ended (满意度评价).
#[utoipa::path(
    post, path = "/api/v1/self-service/rating", tag = "自助查询", request_body = RatingRequest,
    responses((status = 201, description = "rated"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
              (status = 422, body = ErrorBody), (status = 429, body = ErrorBody))
)]
#[tracing::instrument(skip_all)]
pub async fn rate(
    req: HttpRequest,
    body: web::Json<RatingRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let case = verify(&req, &state, &pool, &body.case_number, &body.query_code).await?;
    if !matches!(
        body.rating.as_str(),
        "satisfied" | "basically_satisfied" | "dissatisfied"
    ) {
        return Err(NotificationError::Invalid {
            field: "rating",
            message: "评价应为 satisfied（满意）、basically_satisfied（基本满意）或 dissatisfied（不满意）".into(),
        }
        .into());
    }
    let comment = body
        .comment
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    if comment.is_some_and(|c| c.chars().count() > 500) {
        return Err(NotificationError::Invalid {
            field: "comment",
            message: "评价意见不能超过 500 字".into(),
        }
        .into());
    }
    if !case.closed {
        return Err(NotificationError::NotYetClosed.into());
    }
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    if !store::self_service::rate(uow.conn(), case.case_id, &body.rating, comment).await? {
        return Err(NotificationError::AlreadyRated.into());
    }
    let event = SatisfactionRatedV1 {
        petition_id: case.case_id,
        case_number: case.case_number.clone(),
        rating: body.rating.clone(),
        rated_on: xinfang_platform::time::today_in_china(),
        registering_unit: case.registering_unit.clone(),
        has_comment: comment.is_some(),
    };
    uow.enqueue(&publish::satisfaction_rated(&event)).await?;
    uow.audit(AuditEntry::system(
        "notification",
        "satisfaction.rate",
        Some(case.case_id),
        serde_json::json!({ "rating": body.rating }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "rating": rating_zh(&body.rating) })))
}
