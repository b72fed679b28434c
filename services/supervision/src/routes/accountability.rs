//! Accountability cases and misconduct reports over HTTP (追责问责, 双向规范). Accusation material
//! never reaches the accused unit (第三十条, 第四十六条第（五）项): only county-wide supervision
//! staff read these records.

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
    accountability::{ground, outcome_label, responsibility_label},
    oversight::{page_response, require_any, Page, PageQuery, Problems},
};

fn county_reader(actor: &Actor) -> Result<(), ApiError> {
    actor.require(Permission::ReadCases)?;
    if !actor.county_wide() {
        return Err(ApiError::forbidden("追责问责材料仅限县级督查人员查阅"));
    }
    Ok(())
}

/// 立案追责
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenAccountabilityRequest {
    pub case_id: Option<Uuid>,
    /// 被追责单位
    pub unit: String,
    /// A ground code mapped to 第四十二至四十六条 (e.g. `delayed_handling`, `retaliation`)
    pub ground: String,
    pub summary: String,
    /// The misconduct report this case investigates (应查处)
    pub misconduct_report_id: Option<Uuid>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonView {
    pub id: Uuid,
    pub name: String,
    pub position: String,
    pub unit: String,
    /// direct (直接责任人员) | supervising (直接负责的主管人员)
    pub responsibility: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EvidenceView {
    pub id: Uuid,
    /// An event on the case timeline
    pub event_id: Option<Uuid>,
    /// `seq` of an audit record
    pub audit_seq: Option<i64>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountabilityView {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub unit: String,
    pub ground: String,
    /// e.g. 第四十五条第（一）项
    pub article: String,
    pub ground_label: String,
    pub summary: String,
    /// open | concluded
    pub status: String,
    pub opened_by: String,
    pub opened_at: DateTime<Utc>,
    pub outcome: Option<String>,
    pub outcome_detail: Option<String>,
    pub concluded_on: Option<NaiveDate>,
    pub people: Vec<PersonView>,
    pub evidence: Vec<EvidenceView>,
    pub misconduct_reports: Vec<Uuid>,
}

async fn load(pool: &PgPool, id: Uuid) -> Result<AccountabilityView, ApiError> {
    let r = sqlx::query(
        "SELECT id, case_id, unit_code, ground, article, summary, status, opened_by, opened_at, outcome, outcome_detail, concluded_on
         FROM accountability_cases WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| ApiError::not_found("追责案件不存在"))?;
    let people = sqlx::query("SELECT id, name, position, unit_code, responsibility FROM accountability_people WHERE accountability_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|p| {
            Ok(PersonView {
                id: p.try_get("id")?,
                name: p.try_get("name")?,
                position: p.try_get("position")?,
                unit: p.try_get("unit_code")?,
                responsibility: p.try_get("responsibility")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let evidence = sqlx::query("SELECT id, event_id, audit_seq, note FROM accountability_evidence WHERE accountability_id = $1 ORDER BY id")
        .bind(id)
        .fetch_all(pool)
        .await?
        .iter()
        .map(|e| {
            Ok(EvidenceView {
                id: e.try_get("id")?,
                event_id: e.try_get("event_id")?,
                audit_seq: e.try_get("audit_seq")?,
                note: e.try_get("note")?,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let misconduct_reports: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM misconduct_reports WHERE accountability_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(pool)
    .await?;
    let g: String = r.try_get("ground")?;
    Ok(AccountabilityView {
        id,
        case_id: r.try_get("case_id")?,
        unit: r.try_get("unit_code")?,
        ground_label: ground(&g).map(|x| x.1.to_string()).unwrap_or_default(),
        ground: g,
        article: r.try_get("article")?,
        summary: r.try_get("summary")?,
        status: r.try_get("status")?,
        opened_by: r.try_get("opened_by")?,
        opened_at: r.try_get("opened_at")?,
        outcome: r.try_get("outcome")?,
        outcome_detail: r.try_get("outcome_detail")?,
        concluded_on: r.try_get("concluded_on")?,
        people,
        evidence,
        misconduct_reports,
    })
}

/// Open an accountability case (立案追责). Linking a misconduct report records its investigation.
#[utoipa::path(
    post, path = "/api/v1/accountability-cases", tag = "追责问责", request_body = OpenAccountabilityRequest,
    responses((status = 201, body = AccountabilityView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn open(
    actor: Actor,
    body: web::Json<OpenAccountabilityRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Supervise)?;
    let mut p = Problems::default();
    let unit = p.text("unit", &body.unit, 64);
    let summary = p.text("summary", &body.summary, 5000);
    let g = ground(&body.ground);
    if g.is_none() {
        p.push("ground", "追责情形不在第四十二至四十六条所列范围内");
    }
    p.finish()?;
    let (article, _) =
        g.ok_or_else(|| ApiError::internal("ground passed validation without a value"))?;
    let case_number: Option<String> = match body.case_id {
        Some(c) => Some(
            sqlx::query_scalar("SELECT case_number FROM case_facts WHERE case_id = $1")
                .bind(c)
                .fetch_optional(pool.get_ref())
                .await?
                .ok_or_else(|| ApiError::not_found("信访件不存在"))?,
        ),
        None => None,
    };
    let id = Uuid::now_v7();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    sqlx::query(
        "INSERT INTO accountability_cases (id, case_id, unit_code, ground, status, opened_by, case_number, article, summary, opened_unit)
         VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $8, $9)",
    )
    .bind(id)
    .bind(body.case_id)
    .bind(&unit)
    .bind(&body.ground)
    .bind(&actor.user_id)
    .bind(&case_number)
    .bind(article)
    .bind(&summary)
    .bind(&actor.unit)
    .execute(uow.conn())
    .await?;
    if let Some(m) = body.misconduct_report_id {
        let linked = sqlx::query("UPDATE misconduct_reports SET accountability_id = $2 WHERE id = $1 AND accountability_id IS NULL")
            .bind(m)
            .bind(id)
            .execute(uow.conn())
            .await?
            .rows_affected();
        if linked == 0 {
            let exists: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM misconduct_reports WHERE id = $1)",
            )
            .bind(m)
            .fetch_one(uow.conn())
            .await?;
            return Err(if exists {
                ApiError::conflict("already_investigated", "该反映已有追责案件调查")
            } else {
                ApiError::not_found("问题反映不存在")
            });
        }
    }
    uow.audit(AuditEntry::by(
        &actor,
        "accountability.open",
        body.case_id,
        serde_json::json!({ "accountability_id": id, "ground": body.ground, "unit": unit }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(load(&pool, id).await?))
}

/// 责任人员
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddPersonRequest {
    pub name: String,
    #[serde(default)]
    pub position: String,
    pub unit: String,
    /// direct (直接责任人员) | supervising (直接负责的主管人员)
    pub responsibility: String,
}

async fn ensure_open(conn: &mut sqlx::PgConnection, id: Uuid) -> Result<Option<Uuid>, ApiError> {
    let r =
        sqlx::query("SELECT status, case_id FROM accountability_cases WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| ApiError::not_found("追责案件不存在"))?;
    if r.try_get::<String, _>("status")? != "open" {
        return Err(ApiError::conflict(
            "accountability_concluded",
            "该追责案件已办结",
        ));
    }
    Ok(r.try_get("case_id")?)
}

/// Add a person responsible (增加责任人员).
#[utoipa::path(
    post, path = "/api/v1/accountability-cases/{id}/people", tag = "追责问责", params(("id" = Uuid, Path)), request_body = AddPersonRequest,
    responses((status = 201, body = AccountabilityView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn add_person(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<AddPersonRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Supervise)?;
    let id = path.into_inner();
    let mut p = Problems::default();
    let name = p.text("name", &body.name, 100);
    let unit = p.text("unit", &body.unit, 64);
    if responsibility_label(&body.responsibility).is_none() {
        p.push(
            "responsibility",
            "只能是 direct（直接责任人员）或 supervising（直接负责的主管人员）",
        );
    }
    if body.position.chars().count() > 100 {
        p.push("position", "不能超过 100 个字符");
    }
    p.finish()?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case_id = ensure_open(uow.conn(), id).await?;
    sqlx::query("INSERT INTO accountability_people (id, accountability_id, name, position, unit_code, responsibility) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(Uuid::now_v7())
        .bind(id)
        .bind(&name)
        .bind(body.position.trim())
        .bind(&unit)
        .bind(&body.responsibility)
        .execute(uow.conn())
        .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "accountability.add_person",
        case_id,
        serde_json::json!({ "accountability_id": id, "unit": unit }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(load(&pool, id).await?))
}

/// 证据：办理轨迹中的事件或审计记录
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddEvidenceRequest {
    pub event_id: Option<Uuid>,
    pub audit_seq: Option<i64>,
    #[serde(default)]
    pub note: String,
}

/// Link evidence from the case history (关联证据): an event of the case timeline or an audit record.
#[utoipa::path(
    post, path = "/api/v1/accountability-cases/{id}/evidence", tag = "追责问责", params(("id" = Uuid, Path)), request_body = AddEvidenceRequest,
    responses((status = 201, body = AccountabilityView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn add_evidence(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<AddEvidenceRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Supervise)?;
    let id = path.into_inner();
    if body.event_id.is_none() && body.audit_seq.is_none() {
        return Err(ApiError::validation(
            "event_id",
            "须指明办理轨迹中的事件（event_id）或审计记录（audit_seq）",
        ));
    }
    if body.note.chars().count() > 2000 {
        return Err(ApiError::validation("note", "不能超过 2000 个字符"));
    }
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case_id = ensure_open(uow.conn(), id).await?;
    if let Some(e) = body.event_id {
        let ok: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM case_events WHERE event_id = $1 AND ($2::uuid IS NULL OR case_id = $2))")
            .bind(e)
            .bind(case_id)
            .fetch_one(uow.conn())
            .await?;
        if !ok {
            return Err(ApiError::validation("event_id", "该事件不在本案办理轨迹中"));
        }
    }
    if let Some(s) = body.audit_seq {
        let ok: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM audit_log WHERE seq = $1 AND ($2::uuid IS NULL OR case_id = $2))")
            .bind(s)
            .bind(case_id)
            .fetch_one(uow.conn())
            .await?;
        if !ok {
            return Err(ApiError::validation("audit_seq", "该审计记录不属于本案"));
        }
    }
    sqlx::query("INSERT INTO accountability_evidence (id, accountability_id, event_id, audit_seq, note, added_by) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(Uuid::now_v7())
        .bind(id)
        .bind(body.event_id)
        .bind(body.audit_seq)
        .bind(body.note.trim())
        .bind(&actor.user_id)
        .execute(uow.conn())
        .await?;
    uow.audit(AuditEntry::by(&actor, "accountability.add_evidence", case_id, serde_json::json!({ "accountability_id": id, "event_id": body.event_id, "audit_seq": body.audit_seq })))
        .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(load(&pool, id).await?))
}

/// 处理结果
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OutcomeRequest {
    /// ordered_to_correct | criticism_education | admonishment | organizational_handling | disciplinary_sanction | referred_to_judiciary | no_liability
    pub outcome: String,
    pub detail: String,
    /// defaults to today
    pub concluded_on: Option<NaiveDate>,
}

/// Record the outcome and conclude (办结追责).
#[utoipa::path(
    post, path = "/api/v1/accountability-cases/{id}/outcome", tag = "追责问责", params(("id" = Uuid, Path)), request_body = OutcomeRequest,
    responses((status = 200, body = AccountabilityView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
              (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn conclude(
    actor: Actor,
    path: web::Path<Uuid>,
    body: web::Json<OutcomeRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Supervise)?;
    let id = path.into_inner();
    let mut p = Problems::default();
    if outcome_label(&body.outcome).is_none() {
        p.push("outcome", "处理结果不在可选范围内");
    }
    let detail = p.text("detail", &body.detail, 5000);
    let today = today_in_china();
    let on = body.concluded_on.unwrap_or(today);
    if on > today {
        p.push("concluded_on", "办结日期不能晚于今天");
    }
    p.finish()?;
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let case_id = ensure_open(uow.conn(), id).await?;
    sqlx::query("UPDATE accountability_cases SET status = 'concluded', outcome = $2, outcome_detail = $3, concluded_on = $4 WHERE id = $1")
        .bind(id)
        .bind(&body.outcome)
        .bind(&detail)
        .bind(on)
        .execute(uow.conn())
        .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "accountability.conclude",
        case_id,
        serde_json::json!({ "accountability_id": id, "outcome": body.outcome }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Ok().json(load(&pool, id).await?))
}

/// Read an accountability case with its people, evidence and outcome.
#[utoipa::path(
    get, path = "/api/v1/accountability-cases/{id}", tag = "追责问责", params(("id" = Uuid, Path)),
    responses((status = 200, body = AccountabilityView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn get(
    actor: Actor,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    county_reader(&actor)?;
    Ok(HttpResponse::Ok().json(load(&pool, path.into_inner()).await?))
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccountabilitySummary {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub unit: String,
    pub ground: String,
    pub article: String,
    pub status: String,
    pub outcome: Option<String>,
}

/// List accountability cases (追责案件列表).
#[utoipa::path(
    get, path = "/api/v1/accountability-cases", tag = "追责问责", params(PageQuery),
    responses((status = 200, body = Page<AccountabilitySummary>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list(
    actor: Actor,
    page: web::Query<PageQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    county_reader(&actor)?;
    let rows = sqlx::query("SELECT id, case_id, unit_code, ground, article, status, outcome FROM accountability_cases WHERE id > $1 ORDER BY id LIMIT $2")
        .bind(page.after())
        .bind(page.limit())
        .fetch_all(pool.get_ref())
        .await?;
    page_response(
        &rows,
        &page,
        |r| {
            Ok(AccountabilitySummary {
                id: r.try_get("id")?,
                case_id: r.try_get("case_id")?,
                unit: r.try_get("unit_code")?,
                ground: r.try_get("ground")?,
                article: r.try_get("article")?,
                status: r.try_get("status")?,
                outcome: r.try_get("outcome")?,
            })
        },
        |a| a.id,
    )
}

/// 反映工作人员问题
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MisconductReportRequest {
    pub case_id: Option<Uuid>,
    /// 所涉单位
    pub unit: String,
    /// A reference to the staff member (工号 or name), never an identity number
    pub staff_ref: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MisconductReportView {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    pub unit: String,
    pub staff_ref: String,
    pub description: String,
    pub reported_by: String,
    pub reported_at: DateTime<Utc>,
    /// The accountability case investigating it; null = not yet investigated (应查处)
    pub accountability_id: Option<Uuid>,
}

/// Record staff misconduct (反映工作人员问题, 双向规范). Any staff member may report; the report is
/// visible to county supervision only.
#[utoipa::path(
    post, path = "/api/v1/misconduct-reports", tag = "追责问责", request_body = MisconductReportRequest,
    responses((status = 201, body = MisconductReportView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn report_misconduct(
    actor: Actor,
    body: web::Json<MisconductReportRequest>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
) -> Result<HttpResponse, ApiError> {
    require_any(&actor, &[Permission::ReadCases, Permission::Supervise])?;
    let mut p = Problems::default();
    let unit = p.text("unit", &body.unit, 64);
    let staff_ref = p.text("staff_ref", &body.staff_ref, 100);
    if crate::order_maintenance::looks_like_id_number(&staff_ref) {
        p.push("staff_ref", "请填写工号或姓名，不得填写身份证号");
    }
    let description = p.text("description", &body.description, 5000);
    p.finish()?;
    let id = Uuid::now_v7();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let reported_at: DateTime<Utc> = sqlx::query_scalar(
        "INSERT INTO misconduct_reports (id, case_id, unit_code, description, reported_by, reporter_unit, staff_ref)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING reported_at",
    )
    .bind(id)
    .bind(body.case_id)
    .bind(&unit)
    .bind(&description)
    .bind(&actor.user_id)
    .bind(&actor.unit)
    .bind(&staff_ref)
    .fetch_one(uow.conn())
    .await?;
    uow.audit(AuditEntry::by(
        &actor,
        "misconduct.report",
        body.case_id,
        serde_json::json!({ "report_id": id, "unit": unit }),
    ))
    .await?;
    uow.commit().await?;
    Ok(HttpResponse::Created().json(MisconductReportView {
        id,
        case_id: body.case_id,
        unit,
        staff_ref,
        description,
        reported_by: actor.user_id.clone(),
        reported_at,
        accountability_id: None,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MisconductFilter {
    /// true: only reports with no accountability case yet (未查处)
    pub uninvestigated: Option<bool>,
}

/// List misconduct reports (问题反映列表), county supervision only.
#[utoipa::path(
    get, path = "/api/v1/misconduct-reports", tag = "追责问责", params(PageQuery, MisconductFilter),
    responses((status = 200, body = Page<MisconductReportView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_misconduct(
    actor: Actor,
    page: web::Query<PageQuery>,
    filter: web::Query<MisconductFilter>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    county_reader(&actor)?;
    let rows = sqlx::query(
        "SELECT id, case_id, unit_code, staff_ref, description, reported_by, reported_at, accountability_id FROM misconduct_reports
         WHERE id > $1 AND (NOT $2 OR accountability_id IS NULL) ORDER BY id LIMIT $3",
    )
    .bind(page.after())
    .bind(filter.uninvestigated.unwrap_or(false))
    .bind(page.limit())
    .fetch_all(pool.get_ref())
    .await?;
    page_response(
        &rows,
        &page,
        |r| {
            Ok(MisconductReportView {
                id: r.try_get("id")?,
                case_id: r.try_get("case_id")?,
                unit: r.try_get("unit_code")?,
                staff_ref: r.try_get("staff_ref")?,
                description: r.try_get("description")?,
                reported_by: r.try_get("reported_by")?,
                reported_at: r.try_get("reported_at")?,
                accountability_id: r.try_get("accountability_id")?,
            })
        },
        |m| m.id,
    )
}
