//! The statutory deadlines of one case over HTTP (法定期限), scoped to the caller's unit.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_calendar::{ClockStop, Extension};
use xinfang_platform::{error::ErrorBody, Actor, ApiError};

use crate::{
    api::support::ensure_case_readable,
    deadlines::{
        domain::kind::DeadlineKind,
        store::deadlines::{self, lenient},
    },
};

/// One timer step as shown (期限提醒).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StepView {
    /// `warning` (临期预警), `due` (到期), `overdue` (超期), `long_overdue` (严重超期)
    pub step: String,
    /// The day it fires (or fired); null while the calendar does not cover it.
    pub fire_on: Option<NaiveDate>,
    /// `pending`, `fired` or `cancelled`
    pub state: String,
    pub fired_at: Option<DateTime<Utc>>,
}

/// A deadline as stored and shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeadlineView {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    /// e.g. `acceptance`, `handling`
    pub kind: String,
    /// 期限名称
    pub kind_label: String,
    /// 法律依据
    pub basis: String,
    /// 责任单位
    pub unit_code: String,
    pub start_date: NaiveDate,
    pub period: i32,
    /// `calendar_days`, `working_days` or `fixed_date`
    pub period_unit: String,
    /// 中止计时
    #[schema(value_type = Vec<Object>)]
    pub stops: Vec<ClockStop>,
    /// 延期
    #[schema(value_type = Vec<Object>)]
    pub extensions: Vec<Extension>,
    /// 届满日; null while the holiday calendar does not cover the dates needed.
    pub due_date: Option<NaiveDate>,
    /// How the due date was computed (计算过程).
    pub explanation: Vec<String>,
    /// `open`, `met`, `cancelled` or `paused`
    pub status: String,
    /// First stopped day of a clock stop still running (status `paused`).
    pub paused_since: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    /// Met after the due date (逾期办结).
    pub closed_late: Option<bool>,
    /// Timer steps (期限提醒).
    pub steps: Vec<StepView>,
}

/// The deadlines of a case as shown, each with its steps.
pub async fn views_of(pool: &PgPool, case_id: Uuid) -> Result<Vec<DeadlineView>, sqlx::Error> {
    let (rows, steps) = deadlines::for_case(pool, case_id).await?;
    let mut views: Vec<DeadlineView> = rows
        .into_iter()
        .map(|r| DeadlineView {
            kind_label: DeadlineKind::parse(&r.kind)
                .map(|k| k.label_zh().to_string())
                .unwrap_or_default(),
            id: r.id,
            case_id: r.case_id,
            case_number: r.case_number,
            kind: r.kind,
            basis: r.basis,
            unit_code: r.unit_code,
            start_date: r.start_date,
            period: r.period,
            period_unit: r.period_unit,
            stops: lenient(r.stops),
            extensions: lenient(r.extensions),
            due_date: r.due_date,
            explanation: lenient(r.explanation),
            status: r.status,
            paused_since: r.paused_since,
            closed_on: r.closed_on,
            closed_late: r.closed_late,
            steps: Vec::new(),
        })
        .collect();
    for s in steps {
        let state = match (s.fired_at, s.cancelled_at) {
            (Some(_), _) => "fired",
            (None, Some(_)) => "cancelled",
            (None, None) => "pending",
        };
        if let Some(v) = views.iter_mut().find(|v| v.id == s.deadline_id) {
            v.steps.push(StepView {
                step: s.step,
                fire_on: s.fire_on,
                state: state.to_string(),
                fired_at: s.fired_at,
            });
        }
    }
    Ok(views)
}

/// The statutory deadlines of a case (法定期限).
#[utoipa::path(
    get, path = "/api/v1/cases/{case_id}/deadlines", tag = "期限",
    params(("case_id" = Uuid, Path)),
    responses((status = 200, body = [DeadlineView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn deadlines(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let case_id = path.into_inner();
    ensure_case_readable(&pool, &actor, case_id).await?;
    Ok(HttpResponse::Ok().json(views_of(&pool, case_id).await?))
}
