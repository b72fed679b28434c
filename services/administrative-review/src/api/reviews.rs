//! Review (复查, art 35) and re-review (复核, art 36) requests to the organ one level above, within
//! the window that runs from delivery; hearings (听证), whose days only the re-review clock skips;
//! follow-up (后续工作, art 37) and referrals after finality.

use actix_web::{web, HttpResponse};
use chrono::NaiveDate;
use serde::Deserialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;
use xinfang_contracts::{
    notices::templates,
    review::{FollowUpRecordedV1, HearingHeldV1, ReviewRefusedV1, ReviewRequestedV1},
};
use xinfang_messaging::{OutboxWaker, UnitOfWork};
use xinfang_platform::{
    audit::AuditExt, directory::Directory, error::ErrorBody, time::today_in_china, Actor, ApiError,
    Permission,
};

use crate::{
    api::support::{can_see, ensure_level_unit, Changed},
    domain::{
        inputs::{optional_text, past_date, text, NewFollowUp},
        ladder::{check_window, Position, Step},
        organs::Organ,
        ReviewError,
    },
    events::{
        publish::{envelope, Notice},
        steps::{self, Who},
    },
    store::{cases, clocks, records},
};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequestBody {
    /// The day the organ received the request (收到复查 / 复核请求之日; default today).
    pub requested_on: Option<NaiveDate>,
}

/// Record a petitioner's request for review or re-review (复查 / 复核请求), which goes to the organ
/// one level above the one whose opinion was delivered. Within the window the case moves to that
/// organ (forwarded when it is outside the deployment); after it the request is refused with the
/// date the window closed (不予受理, with its notice) and answered 422 `late_request`.
#[utoipa::path(
    post, path = "/api/v1/handling/cases/{case_id}/review-requests", tag = "复查复核",
    params(("case_id" = Uuid, Path)), request_body = ReviewRequestBody,
    responses((status = 201, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, case_id = %path))]
pub async fn request_review(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<ReviewRequestBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    if !(actor.has(Permission::HandleCase) || actor.has(Permission::DecidePetition)) {
        actor.require(Permission::HandleCase)?;
    }
    let today = today_in_china();
    let requested_on = past_date(
        "requested_on",
        "收到请求日期",
        body.requested_on.unwrap_or(today),
        today,
    )?;
    let case_id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = cases::lock(uow.conn(), case_id)
        .await?
        .ok_or(ReviewError::CaseHidden)?;
    let position = case.position()?;
    let current = records::issued_of_level(uow.conn(), case_id, position.level.as_str()).await?;
    let issuing_unit = current
        .as_ref()
        .map(|o| o.issuing_unit.clone())
        .unwrap_or_else(|| case.level_unit.clone());
    let organ: Option<Organ> = directory.parent_of(&issuing_unit).map(Organ::from);
    // The organ above, the bureau, or (to forward) the organ that issued the opinion.
    let may_record = actor.bureau
        || organ.as_ref().is_some_and(|o| o.code == actor.unit)
        || (organ.as_ref().is_none_or(|o| o.outside_deployment()) && actor.unit == issuing_unit);
    if !may_record {
        return Err(ReviewError::CaseHidden.into());
    }
    let level = position.requestable()?;
    if let Some(delivered_on) = current.as_ref().and_then(|o| o.delivered_on) {
        if requested_on < delivered_on {
            return Err(ReviewError::invalid(
                "requested_on",
                format!("收到请求日期不能早于意见书送达日期 {delivered_on}"),
            )
            .into());
        }
    }
    let organ = organ.ok_or_else(|| ReviewError::NoOrganAbove {
        unit: issuing_unit.clone(),
        level_zh: level.label_zh(),
    })?;
    let window = level.window_kind().unwrap_or("review_window");
    let last_day = clocks::get(uow.conn(), case_id, window)
        .await?
        .and_then(|c| c.due_on);
    let id = Uuid::now_v7();
    if let Err(refusal) = check_window(level, requested_on, last_day) {
        let ReviewError::LateRequest {
            window_closed_on, ..
        } = refusal
        else {
            return Err(refusal.into());
        };
        records::insert_review_request(
            uow.conn(),
            id,
            case_id,
            level.as_str(),
            requested_on,
            &organ.code,
            false,
            "refused",
            Some(window_closed_on),
            &actor.user_id,
        )
        .await?;
        cases::touch(uow.conn(), case_id).await?;
        let event = ReviewRefusedV1 {
            petition_id: case_id,
            case_number: case.case_number.clone(),
            level: level.as_str().to_string(),
            requested_on,
            window_closed_on,
        };
        uow.enqueue(&envelope(&event, case_id, None)).await?;
        steps::request_notice(
            &mut uow,
            Notice {
                case_id,
                case_number: &case.case_number,
                template: templates::LATE_REQUEST_REFUSAL,
                issuing_unit: &organ.code,
                recipient_unit: None,
                document_number: None,
                dated_on: today,
                fields: vec![
                    ("level", level.label_zh().to_string()),
                    ("window_closed_on", window_closed_on.to_string()),
                    ("requested_on", requested_on.to_string()),
                ],
            },
            None,
            None,
        )
        .await?;
        uow.audit(Who::Person(&actor).entry(
            "review.refuse_late",
            case_id,
            serde_json::json!({ "level": level.as_str(), "requested_on": requested_on, "window_closed_on": window_closed_on }),
        ))
        .await?;
        uow.commit().await?;
        return Err(refusal.into());
    }
    let forwarded = organ.outside_deployment();
    records::insert_review_request(
        uow.conn(),
        id,
        case_id,
        level.as_str(),
        requested_on,
        &organ.code,
        forwarded,
        "accepted",
        None,
        &actor.user_id,
    )
    .await?;
    cases::grant(uow.conn(), case_id, &organ.code).await?;
    let version = cases::move_to(
        uow.conn(),
        case_id,
        Position {
            level,
            step: Step::InProgress,
        },
        &organ.code,
    )
    .await?;
    let event = ReviewRequestedV1 {
        review_id: id,
        petition_id: case_id,
        case_number: case.case_number.clone(),
        level: level.as_str().to_string(),
        organ_unit: organ.code.clone(),
        requested_on,
        forwarded,
    };
    uow.enqueue(&envelope(&event, case_id, None)).await?;
    uow.audit(Who::Person(&actor).entry(
        "review.request",
        case_id,
        serde_json::json!({ "request_id": id, "level": level.as_str(), "organ": organ.code,
                            "requested_on": requested_on, "forwarded": forwarded, "window_last_day": last_day }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(Changed {
        id: Some(id),
        case_id,
        version,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HearingBody {
    pub version: i32,
    /// 听证日期
    pub scheduled_on: NaiveDate,
    pub place: String,
    /// 主持人
    pub chair: String,
    /// 参加人
    #[serde(default)]
    pub participants: Vec<String>,
}

/// Schedule a hearing (举行听证, arts 31(6), 36): the 听证通知 goes to the petitioner.
#[utoipa::path(
    post, path = "/api/v1/handling/cases/{case_id}/hearings", tag = "复查复核",
    params(("case_id" = Uuid, Path)), request_body = HearingBody,
    responses((status = 201, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, case_id = %path))]
pub async fn schedule_hearing(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<HearingBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let place = text("place", "听证地点", &body.place, 200)?;
    let chair = text("chair", "听证主持人", &body.chair, 100)?;
    let case_id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = cases::lock_at_version(uow.conn(), case_id, body.version, can_see(&actor)).await?;
    ensure_level_unit(&actor, &case)?;
    let position = case.position()?;
    position.ensure_in_progress()?;
    let id = Uuid::now_v7();
    records::insert_hearing(
        uow.conn(),
        id,
        case_id,
        position.level.as_str(),
        &actor.unit,
        body.scheduled_on,
        &place,
        &chair,
        &body.participants,
    )
    .await?;
    let version = cases::touch(uow.conn(), case_id).await?;
    steps::request_notice(
        &mut uow,
        Notice {
            case_id,
            case_number: &case.case_number,
            template: templates::HEARING_NOTICE,
            issuing_unit: &actor.unit,
            recipient_unit: None,
            document_number: None,
            dated_on: today_in_china(),
            fields: vec![
                ("hearing_on", body.scheduled_on.to_string()),
                ("place", place.clone()),
                ("chair", chair.clone()),
            ],
        },
        None,
        None,
    )
    .await?;
    uow.audit(Who::Person(&actor).entry(
        "hearing.schedule",
        case_id,
        serde_json::json!({ "hearing_id": id, "level": position.level.as_str(), "scheduled_on": body.scheduled_on }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(Changed {
        id: Some(id),
        case_id,
        version,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HearingRecordBody {
    pub version: i32,
    /// First and last day the hearing took (inclusive).
    pub held_from: NaiveDate,
    pub held_to: NaiveDate,
    pub participants: Vec<String>,
    /// 听证笔录
    pub record: String,
    /// 向社会公示 (the organ's decision)
    #[serde(default)]
    pub publish: bool,
    pub published_result: Option<String>,
}

/// Record a hearing held (听证笔录): at re-review its days are not counted (art 36 ¶2), which
/// supervision applies to the re-review clock only.
#[utoipa::path(
    post, path = "/api/v1/handling/hearings/{hearing_id}/record", tag = "复查复核",
    params(("hearing_id" = Uuid, Path)), request_body = HearingRecordBody,
    responses((status = 200, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, hearing_id = %path))]
pub async fn record_hearing(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<HearingRecordBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let today = today_in_china();
    let record = text("record", "听证笔录", &body.record, 20000)?;
    let published_result = optional_text(
        "published_result",
        "公示内容",
        body.published_result.as_deref(),
        4000,
    )?;
    if body.publish && published_result.is_none() {
        return Err(ReviewError::invalid("published_result", "决定公示的，请填写公示内容").into());
    }
    let held_to = past_date("held_to", "听证结束日期", body.held_to, today)?;
    if body.held_from > held_to {
        return Err(ReviewError::invalid("held_from", "听证开始日期不能晚于结束日期").into());
    }
    let hearing_id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let hearing = records::hearing(uow.conn(), hearing_id)
        .await?
        .ok_or(ReviewError::RecordHidden)?;
    let case = cases::lock_at_version(uow.conn(), hearing.case_id, body.version, can_see(&actor))
        .await
        .map_err(|e| match e {
            ReviewError::CaseHidden => ReviewError::RecordHidden,
            other => other,
        })?;
    if actor.unit != hearing.unit_code {
        return Err(ReviewError::NotResponsibleUnit.into());
    }
    if hearing.held_from.is_some() {
        return Err(ReviewError::not_allowed("该听证已经登记").into());
    }
    let position = case.position()?;
    position.ensure_in_progress()?;
    if position.level.as_str() != hearing.level {
        return Err(ReviewError::not_allowed("听证所在阶段已经结束").into());
    }
    records::record_hearing(
        uow.conn(),
        hearing_id,
        body.held_from,
        held_to,
        &body.participants,
        &record,
        body.publish,
        published_result.as_deref(),
    )
    .await?;
    let version = cases::touch(uow.conn(), case.case_id).await?;
    let event = HearingHeldV1 {
        hearing_id,
        petition_id: case.case_id,
        case_number: case.case_number.clone(),
        level: hearing.level.clone(),
        unit: hearing.unit_code.clone(),
        held_from: body.held_from,
        held_to,
        published: body.publish,
    };
    uow.enqueue(&envelope(&event, case.case_id, None)).await?;
    uow.audit(Who::Person(&actor).entry(
        "hearing.record",
        case.case_id,
        serde_json::json!({ "hearing_id": hearing_id, "held_from": body.held_from, "held_to": held_to,
                            "published": body.publish }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(Changed {
        id: Some(hearing_id),
        case_id: case.case_id,
        version,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUpBody {
    pub version: i32,
    /// `counselling` (疏导教育) | `conflict_resolution` (矛盾化解) | `assistance` (帮扶救助) |
    /// `referral` (移送)
    pub kind: String,
    pub occurred_on: NaiveDate,
    /// Who did it (工作人员)
    pub performed_by: String,
    pub summary: String,
    /// 帮扶救助: the aid given
    pub aid_given: Option<String>,
    /// 移送: `court` | `procuratorate` | `peoples_congress` | `cppcc` | `discipline_inspection`
    pub body: Option<String>,
    /// The body's reference (接收机关文号)
    pub body_reference: Option<String>,
}

/// Record follow-up work after finality (后续工作, art 37 ¶3) or a referral to an outside body.
#[utoipa::path(
    post, path = "/api/v1/handling/cases/{case_id}/follow-ups", tag = "后续工作",
    params(("case_id" = Uuid, Path)), request_body = FollowUpBody,
    responses((status = 201, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id, case_id = %path))]
pub async fn follow_up(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<FollowUpBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let f = NewFollowUp::parse(
        &body.kind,
        body.occurred_on,
        &body.performed_by,
        &body.summary,
        body.aid_given.as_deref(),
        body.body.as_deref(),
        body.body_reference.as_deref(),
        today_in_china(),
    )?;
    let case_id = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = cases::lock_at_version(uow.conn(), case_id, body.version, can_see(&actor)).await?;
    if !(actor.unit == case.unit_code || actor.bureau) {
        return Err(ReviewError::NotResponsibleUnit.into());
    }
    if case.position()?.step != Step::Final {
        return Err(ReviewError::not_allowed(
            "后续工作在信访事项终结后登记（《信访工作条例》第三十七条）",
        )
        .into());
    }
    let id = Uuid::now_v7();
    records::insert_follow_up(uow.conn(), id, case_id, &f, &actor.user_id).await?;
    let version = cases::touch(uow.conn(), case_id).await?;
    let event = FollowUpRecordedV1 {
        follow_up_id: id,
        petition_id: case_id,
        case_number: case.case_number.clone(),
        unit: actor.unit.clone(),
        kind: f.kind.to_string(),
        on: f.occurred_on,
        body: f.body.map(str::to_string),
    };
    uow.enqueue(&envelope(&event, case_id, None)).await?;
    uow.audit(Who::Person(&actor).entry(
        "follow_up.record",
        case_id,
        serde_json::json!({ "follow_up_id": id, "kind": f.kind, "body": f.body, "aid_given": f.aid_given }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(Changed {
        id: Some(id),
        case_id,
        version,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReferralOutcomeBody {
    pub version: i32,
    /// The outside body's reported outcome (移送结果)
    pub outcome: String,
    pub reported_on: NaiveDate,
}

/// Record the outcome an outside body reported on a referral (移送结果).
#[utoipa::path(
    post, path = "/api/v1/handling/cases/{case_id}/follow-ups/{follow_up_id}/outcome", tag = "后续工作",
    params(("case_id" = Uuid, Path), ("follow_up_id" = Uuid, Path)), request_body = ReferralOutcomeBody,
    responses((status = 200, body = Changed), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
#[tracing::instrument(skip_all, fields(user = %actor.user_id))]
pub async fn referral_outcome(
    actor: Actor,
    path: web::Path<(Uuid, Uuid)>,
    body: web::Json<ReferralOutcomeBody>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::HandleCase)?;
    let outcome = text("outcome", "移送结果", &body.outcome, 4000)?;
    let reported_on = past_date(
        "reported_on",
        "反馈日期",
        body.reported_on,
        today_in_china(),
    )?;
    let (case_id, follow_up_id) = path.into_inner();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case = cases::lock_at_version(uow.conn(), case_id, body.version, can_see(&actor)).await?;
    if !(actor.unit == case.unit_code || actor.bureau) {
        return Err(ReviewError::NotResponsibleUnit.into());
    }
    if !records::record_referral_outcome(uow.conn(), case_id, follow_up_id, &outcome, reported_on)
        .await?
    {
        return Err(ReviewError::RecordHidden.into());
    }
    let version = cases::touch(uow.conn(), case_id).await?;
    let event = FollowUpRecordedV1 {
        follow_up_id,
        petition_id: case_id,
        case_number: case.case_number.clone(),
        unit: actor.unit.clone(),
        kind: "referral_outcome".into(),
        on: reported_on,
        body: None,
    };
    uow.enqueue(&envelope(&event, case_id, None)).await?;
    uow.audit(Who::Person(&actor).entry(
        "follow_up.referral_outcome",
        case_id,
        serde_json::json!({ "follow_up_id": follow_up_id, "reported_on": reported_on }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(Changed {
        id: Some(follow_up_id),
        case_id,
        version,
    }))
}
