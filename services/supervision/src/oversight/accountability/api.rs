//! Accountability cases and misconduct reports over HTTP (追责问责, 双向规范). Accusation material
//! never reaches the accused unit (第三十条, 第四十六条第（五）项): only county-wide supervision
//! staff read these records.

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
    api::support::{page_response, require_any, Page, PageQuery, Problems},
    domain::error::SupervisionError,
    oversight::{
        accountability::{
            domain::{ground, outcome_label, responsibility_label},
            store::{
                self, AccountabilityRecord, NewAccountability, NewEvidence, NewMisconductReport,
                NewPerson,
            },
        },
        order_maintenance::domain::looks_like_id_number,
        store::case_number,
    },
};

/// Accountability material (追责问责材料) is for county supervision staff only: the right is a
/// function of role and unit ([`Permission::ReadAccountability`]), not of the unit alone.
fn county_reader(actor: &Actor) -> Result<(), ApiError> {
    if !actor.has(Permission::ReadAccountability) {
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

impl From<AccountabilityRecord> for AccountabilityView {
    fn from(r: AccountabilityRecord) -> AccountabilityView {
        let c = r.case;
        AccountabilityView {
            ground_label: ground(&c.ground)
                .map(|x| x.1.to_string())
                .unwrap_or_default(),
            id: c.id,
            case_id: c.case_id,
            unit: c.unit_code,
            ground: c.ground,
            article: c.article,
            summary: c.summary,
            status: c.status,
            opened_by: c.opened_by,
            opened_at: c.opened_at,
            outcome: c.outcome,
            outcome_detail: c.outcome_detail,
            concluded_on: c.concluded_on,
            people: r
                .people
                .into_iter()
                .map(|p| PersonView {
                    id: p.id,
                    name: p.name,
                    position: p.position,
                    unit: p.unit_code,
                    responsibility: p.responsibility,
                })
                .collect(),
            evidence: r
                .evidence
                .into_iter()
                .map(|e| EvidenceView {
                    id: e.id,
                    event_id: e.event_id,
                    audit_seq: e.audit_seq,
                    note: e.note,
                })
                .collect(),
            misconduct_reports: r.misconduct_reports,
        }
    }
}

async fn load(pool: &PgPool, id: Uuid) -> Result<AccountabilityView, ApiError> {
    Ok(store::get(pool, id)
        .await?
        .map(AccountabilityView::from)
        .ok_or(SupervisionError::AccountabilityNotFound)?)
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
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Supervise)?;
    let mut p = Problems::default();
    let unit = p.unit(&directory, "unit", &body.unit);
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
            case_number(&pool, c)
                .await?
                .ok_or(SupervisionError::CaseUnknown)?,
        ),
        None => None,
    };
    let id = Uuid::now_v7();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let opened = NewAccountability {
        id,
        case_id: body.case_id,
        unit: &unit,
        ground: &body.ground,
        opened_by: &actor.user_id,
        case_number: case_number.as_deref(),
        article,
        summary: &summary,
        opened_unit: &actor.unit,
    };
    store::open(uow.conn(), &opened).await?;
    if let Some(m) = body.misconduct_report_id {
        if !store::link_misconduct(uow.conn(), m, id).await? {
            return Err(if store::misconduct_exists(uow.conn(), m).await? {
                SupervisionError::AlreadyInvestigated
            } else {
                SupervisionError::MisconductNotFound
            }
            .into());
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

/// Lock an accountability case still open; returns its case.
async fn ensure_open(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
) -> Result<Option<Uuid>, SupervisionError> {
    let state = store::lock_state(conn, id)
        .await?
        .ok_or(SupervisionError::AccountabilityNotFound)?;
    if state.status != "open" {
        return Err(SupervisionError::AccountabilityConcluded);
    }
    Ok(state.case_id)
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
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    actor.require(Permission::Supervise)?;
    let id = path.into_inner();
    let mut p = Problems::default();
    let name = p.text("name", &body.name, 100);
    let unit = p.unit(&directory, "unit", &body.unit);
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
    let person = NewPerson {
        accountability_id: id,
        name: &name,
        position: body.position.trim(),
        unit: &unit,
        responsibility: &body.responsibility,
    };
    store::add_person(uow.conn(), &person).await?;
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
        if !store::event_on_timeline(uow.conn(), e, case_id).await? {
            return Err(ApiError::validation("event_id", "该事件不在本案办理轨迹中"));
        }
    }
    if let Some(s) = body.audit_seq {
        if !store::audit_record_of(uow.conn(), s, case_id).await? {
            return Err(ApiError::validation("audit_seq", "该审计记录不属于本案"));
        }
    }
    let evidence = NewEvidence {
        accountability_id: id,
        event_id: body.event_id,
        audit_seq: body.audit_seq,
        note: body.note.trim(),
        added_by: &actor.user_id,
    };
    store::add_evidence(uow.conn(), &evidence).await?;
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
    store::conclude(uow.conn(), id, &body.outcome, &detail, on).await?;
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
    page: xinfang_platform::http::Query<PageQuery>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    county_reader(&actor)?;
    let items: Vec<AccountabilitySummary> = store::list(&pool, page.after(), page.limit())
        .await?
        .into_iter()
        .map(|r| AccountabilitySummary {
            id: r.id,
            case_id: r.case_id,
            unit: r.unit_code,
            ground: r.ground,
            article: r.article,
            status: r.status,
            outcome: r.outcome,
        })
        .collect();
    Ok(page_response(items, &page, |a| a.id))
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
    directory: web::Data<Directory>,
) -> Result<HttpResponse, ApiError> {
    require_any(&actor, &[Permission::ReadCases, Permission::Supervise])?;
    let mut p = Problems::default();
    let unit = p.unit(&directory, "unit", &body.unit);
    let staff_ref = p.text("staff_ref", &body.staff_ref, 100);
    if looks_like_id_number(&staff_ref) {
        p.push("staff_ref", "请填写工号或姓名，不得填写身份证号");
    }
    let description = p.text("description", &body.description, 5000);
    p.finish()?;
    let id = Uuid::now_v7();
    let mut uow = UnitOfWork::begin(&pool, &waker).await?;
    let report = NewMisconductReport {
        id,
        case_id: body.case_id,
        unit: &unit,
        description: &description,
        reported_by: &actor.user_id,
        reporter_unit: &actor.unit,
        staff_ref: &staff_ref,
    };
    let reported_at = store::report_misconduct(uow.conn(), &report).await?;
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
#[serde(deny_unknown_fields)]
pub struct MisconductFilter {
    /// 上一页最后一条的 id
    pub after: Option<Uuid>,
    /// 每页条数 1–200, 默认 50
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// true: only reports with no accountability case yet (未查处)
    pub uninvestigated: Option<bool>,
}

impl MisconductFilter {
    /// The keyset page asked for (one query string: the page and the filter, unknown keys refused).
    pub fn page(&self) -> PageQuery {
        PageQuery {
            after: self.after,
            limit: self.limit,
        }
    }
}

/// List misconduct reports (问题反映列表), county supervision only.
#[utoipa::path(
    get, path = "/api/v1/misconduct-reports", tag = "追责问责", params(MisconductFilter),
    responses((status = 200, body = Page<MisconductReportView>), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn list_misconduct(
    actor: Actor,
    filter: xinfang_platform::http::Query<MisconductFilter>,
    pool: web::Data<PgPool>,
) -> Result<HttpResponse, ApiError> {
    let page = filter.page();
    county_reader(&actor)?;
    let items: Vec<MisconductReportView> = store::list_misconduct(
        &pool,
        page.after(),
        filter.uninvestigated.unwrap_or(false),
        page.limit(),
    )
    .await?
    .into_iter()
    .map(|r| MisconductReportView {
        id: r.id,
        case_id: r.case_id,
        unit: r.unit_code,
        staff_ref: r.staff_ref,
        description: r.description,
        reported_by: r.reported_by,
        reported_at: r.reported_at,
        accountability_id: r.accountability_id,
    })
    .collect();
    Ok(page_response(items, &page, |m| m.id))
}
