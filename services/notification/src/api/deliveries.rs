//! Deliveries (送达) for operators: the list (failed ones included), a hand retry of a failed SMS or
//! e-mail, the post room's letters (queue, tracking number, receipt), in-person handovers, and the
//! delivery metric.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use prometheus::{Encoder, IntGaugeVec, Opts, Registry, TextEncoder};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    error::ErrorBody,
    Actor, ApiError, Permission,
};

use super::documents::{pdf_of, pdf_response};
use super::state::AppState;
use crate::domain::delivery::{self, Action};
use crate::domain::NotificationError;
use crate::store::{self, deliveries::DeliveryRow};
use crate::workers::dispatcher::{record_served, Served};

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DeliveryView {
    pub id: Uuid,
    pub notice_id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    /// The template code of the notice.
    pub kind: String,
    pub recipient_kind: String,
    pub recipient_unit: Option<String>,
    /// `sms`, `email`, `letter`, `in_person`, `online`, `system`
    pub channel: String,
    /// `queued`, `sending`, `retrying`, `failed`, `delivered`, `awaiting_post`, `posted`,
    /// `awaiting_handover`, `available`
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub delivered_on: Option<NaiveDate>,
    /// 送达回证: receipt, signer, tracking number.
    pub proof: Option<String>,
    pub tracking_number: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl From<DeliveryRow> for DeliveryView {
    fn from(d: DeliveryRow) -> Self {
        DeliveryView {
            id: d.id,
            notice_id: d.notice_id,
            case_id: d.case_id,
            case_number: d.case_number,
            kind: d.kind,
            recipient_kind: d.recipient_kind,
            recipient_unit: d.recipient_unit,
            channel: d.channel,
            status: d.status,
            attempts: d.attempts,
            next_attempt_at: d.next_attempt_at,
            last_error: d.last_error,
            sent_at: d.sent_at,
            delivered_on: d.delivered_on,
            proof: d.proof,
            tracking_number: d.tracking_number,
            updated_at: d.updated_at,
        }
    }
}

fn visible(actor: &Actor, d: &DeliveryRow) -> bool {
    actor.can_see_unit(&d.unit_code) || d.recipient_unit.as_deref() == Some(actor.unit.as_str())
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    pub status: Option<String>,
    pub channel: Option<String>,
    pub case_id: Option<Uuid>,
    /// 1–500, default 100
    pub limit: Option<i64>,
}

/// Deliveries (送达记录), newest change first: `?status=failed` for the ones to look at,
/// `?channel=letter&status=awaiting_post` for the post room.
#[utoipa::path(
    get, path = "/api/v1/deliveries", tag = "送达",
    params(DeliveryQuery),
    responses((status = 200, body = [DeliveryView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    actor: Actor,
    query: xinfang_platform::http::Query<DeliveryQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let q = query.into_inner();
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(NotificationError::InvalidLimit { min: 1, max: 500 }.into());
    }
    let rows = store::deliveries::list(
        &pool,
        q.status.as_deref(),
        q.channel.as_deref(),
        q.case_id,
        limit,
    )
    .await?;
    Ok(HttpResponse::Ok().json(
        rows.into_iter()
            .filter(|d| visible(&actor, d))
            .map(DeliveryView::from)
            .collect::<Vec<_>>(),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryAction {
    /// 邮件号 (letters, `posted`).
    pub tracking_number: Option<String>,
    /// 签收日期 / 签名日期 (`received`, `handover`); today when absent.
    pub delivered_on: Option<NaiveDate>,
    /// 签收人 (`received`, `handover`).
    pub signed_by: Option<String>,
}

async fn act(
    actor: Actor,
    id: Uuid,
    action: Action,
    body: DeliveryAction,
    pool: &PgPool,
    waker: &OutboxWaker,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::DecidePetition)?;
    let mut uow = UnitOfWork::begin(pool, waker).await?;
    let d = store::deliveries::lock(uow.conn(), id)
        .await?
        .filter(|d| actor.can_see_unit(&d.unit_code))
        .ok_or(NotificationError::NotFound)?;
    let next = action.apply(&d.channel, &d.status)?;
    let today = xinfang_platform::time::today_in_china();
    let (on, proof, tracking) = match action {
        Action::Retry => (None, None, None),
        Action::Posted => {
            let t = body
                .tracking_number
                .as_deref()
                .map(str::trim)
                .filter(|t| !t.is_empty() && t.chars().count() <= 64)
                .ok_or(NotificationError::Invalid {
                    field: "tracking_number",
                    message: "请填写邮件号（64 字符以内）".into(),
                })?;
            (None, Some(format!("邮件号 {t}")), Some(t.to_string()))
        }
        Action::Received | Action::HandedOver => {
            let on = body.delivered_on.unwrap_or(today);
            if on > today {
                return Err(NotificationError::Invalid {
                    field: "delivered_on",
                    message: "签收日期不能晚于今天".into(),
                }
                .into());
            }
            let signer = body
                .signed_by
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| s.chars().take(64).collect::<String>());
            let proof = match (action, signer) {
                (Action::HandedOver, Some(s)) => format!("当面送达，{s}签收"),
                (Action::HandedOver, None) => "当面送达".to_string(),
                (_, Some(s)) => format!("邮寄送达，{s}签收"),
                (_, None) => "邮寄送达，已签收".to_string(),
            };
            (Some(on), Some(proof), None)
        }
    };
    store::deliveries::set_state(
        uow.conn(),
        id,
        next,
        on,
        proof.as_deref(),
        tracking.as_deref(),
    )
    .await?;
    if let (Some(on), "delivered") = (on, next) {
        if let Some(notice) = store::notices::many(uow.conn(), &[d.notice_id])
            .await?
            .pop()
        {
            if delivery::serves(&d.channel, notice.needs_proof) {
                record_served(
                    &mut uow,
                    &[Served {
                        notice: &notice,
                        channel: &d.channel,
                        on,
                        proof: proof.clone(),
                    }],
                )
                .await?;
            }
        }
    }
    uow.audit(AuditEntry::by(
        &actor,
        match action {
            Action::Retry => "delivery.retry",
            Action::Posted => "delivery.posted",
            Action::Received => "delivery.received",
            Action::HandedOver => "delivery.handover",
        },
        Some(d.case_id),
        serde_json::json!({ "delivery_id": id, "channel": d.channel, "from": d.status, "to": next }),
    ))
    .await?;
    uow.commit().await?;
    let mut conn = pool.acquire().await?;
    let row = store::deliveries::lock(&mut conn, id)
        .await?
        .ok_or(NotificationError::NotFound)?;
    Ok(HttpResponse::Ok().json(DeliveryView::from(row)))
}

macro_rules! action_handler {
    ($name:ident, $path:literal, $action:expr, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(
            post, path = $path, tag = "送达",
            params(("id" = Uuid, Path)), request_body = DeliveryAction,
            responses((status = 200, body = DeliveryView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
                      (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
            security(("bearer" = []))
        )]
        #[tracing::instrument(skip_all, fields(delivery_id = %path))]
        pub async fn $name(
            actor: Actor,
            path: web::Path<Uuid>,
            body: Option<web::Json<DeliveryAction>>,
            pool: web::Data<PgPool>,
            waker: web::Data<OutboxWaker>,
        ) -> Result<HttpResponse, ApiError> {
            let body = body.map(|b| b.into_inner()).unwrap_or_default();
            act(actor, path.into_inner(), $action, body, &pool, &waker).await
        }
    };
}

action_handler!(
    retry,
    "/api/v1/deliveries/{id}/retry",
    Action::Retry,
    "Retry a failed SMS or e-mail by hand (手动重试): queued again, attempts from zero."
);
action_handler!(
    posted,
    "/api/v1/deliveries/{id}/posted",
    Action::Posted,
    "A letter handed to the post (已交寄), with its tracking number (邮件号)."
);
action_handler!(
    received,
    "/api/v1/deliveries/{id}/received",
    Action::Received,
    "The post confirms receipt (已签收): the notice is served on that date."
);
action_handler!(
    handover,
    "/api/v1/deliveries/{id}/handover",
    Action::HandedOver,
    "Handed over in person and signed for (当面送达): served on the signature date."
);

/// The letter's document for the post room (信件打印).
#[utoipa::path(
    get, path = "/api/v1/deliveries/{id}/letter.pdf", tag = "送达",
    params(("id" = Uuid, Path)),
    responses((status = 200, content_type = "application/pdf", description = "A4 PDF"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn letter(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let id = path.into_inner();
    let mut conn = pool.acquire().await?;
    let d = store::deliveries::lock(&mut conn, id)
        .await?
        .filter(|d| visible(&actor, d))
        .ok_or(NotificationError::NotFound)?;
    let notice = store::notices::many(&mut conn, &[d.notice_id])
        .await?
        .pop()
        .ok_or(NotificationError::NotFound)?;
    drop(conn);
    let pdf = pdf_of(&pool, &state, &notice).await?;
    Ok(pdf_response(&notice, pdf))
}

/// At most this many letters in one printed batch.
const MAX_BATCH: i64 = 200;

/// Every letter awaiting the post (待寄信件) that the caller may see, oldest first, printed into one
/// PDF for the post room (批量打印), each letter on its own pages with its own page numbers. The
/// letters stay `awaiting_post` until each is marked posted with its tracking number. 404 when
/// there is none. `X-Letter-Count` says how many letters the PDF holds.
#[utoipa::path(
    get, path = "/api/v1/deliveries/letters.pdf", tag = "送达",
    responses((status = 200, content_type = "application/pdf", description = "A4 PDF, the letters in order"),
              (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn letters_batch(
    actor: Actor,
    pool: web::Data<PgPool>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::ReadCases)?;
    let mut rows: Vec<DeliveryRow> = store::deliveries::list(
        &pool,
        Some("awaiting_post"),
        Some("letter"),
        None,
        MAX_BATCH,
    )
    .await?
    .into_iter()
    .filter(|d| visible(&actor, d))
    .collect();
    if rows.is_empty() {
        return Err(ApiError::not_found("当前没有待寄信件"));
    }
    // Oldest first: the order they were queued in.
    rows.reverse();
    let ids: Vec<Uuid> = rows.iter().map(|d| d.notice_id).collect();
    let mut conn = pool.acquire().await?;
    let notices = store::notices::many(&mut conn, &ids).await?;
    drop(conn);
    let docs: Vec<_> = ids
        .iter()
        .filter_map(|id| notices.iter().find(|n| n.id == *id))
        .map(|n| n.document())
        .collect();
    let count = docs.len();
    let today = xinfang_platform::time::today_in_china();
    let pdf = state
        .fonts
        .render_batch_blocking(format!("待寄信件（{count} 件，{today}）"), docs)
        .await
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("application/pdf")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Letter-Count", count.to_string()))
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"letters-{today}.pdf\""),
        ))
        .body(pdf))
}

/// Deliveries by status and channel, in the Prometheus text format
/// (`notification_deliveries{status,channel}`): alert on `status="failed"`.
#[utoipa::path(
    get, path = "/api/v1/deliveries/metrics", tag = "送达",
    responses((status = 200, content_type = "text/plain", description = "Prometheus text format"))
)]
pub async fn metrics(pool: web::Data<PgPool>) -> Result<HttpResponse, ApiError> {
    let registry = Registry::new();
    let gauge = IntGaugeVec::new(
        Opts::new(
            "notification_deliveries",
            "Deliveries by status and channel (送达记录)",
        ),
        &["status", "channel"],
    )
    .map_err(ApiError::internal)?;
    registry
        .register(Box::new(gauge.clone()))
        .map_err(ApiError::internal)?;
    for (status, channel, n) in store::deliveries::counts(&pool).await? {
        gauge
            .with_label_values(&[status.as_str(), channel.as_str()])
            .set(n);
    }
    let mut buf = Vec::new();
    TextEncoder::new()
        .encode(&registry.gather(), &mut buf)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(buf))
}
