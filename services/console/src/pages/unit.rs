//! The unit's pages (承办单位): the inbox of the unit's cases by due date (本单位待办), and one
//! case (办理页面) — accepting or objecting to a transfer or assignment (签收、异议), handling
//! entries (办理记录), the extension (延期申请与审批), the opinion (意见书起草、审批、出具) and its
//! delivery (送达). Every change goes to the service that owns it with the staff member's own
//! token: intake (签收、异议), administrative review (办理), supervision (due dates, read only).

use std::collections::BTreeMap;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{json, Map, Value};
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::{time::today_in_china, ApiError};

use super::{
    client::{Services, Svc},
    forms::{provisional, Flash, Urgency},
    security::see_other,
    staff::{csrf_ok_for, current, field, form_pairs, to_login, Staff},
    view::{error_page, render},
};
use crate::{api::state::AppState, store};

fn may_handle(staff: &Staff) -> bool {
    staff.has_any(&["handler", "unit_head"])
}

fn forbidden() -> HttpResponse {
    error_page(
        StatusCode::FORBIDDEN,
        "当前账号不是承办人或单位负责人，无权查看本单位待办",
        "/console/",
    )
}

/// The Chinese name of a clock (期限名称), as supervision names them.
pub fn clock_zh(kind: &str) -> &'static str {
    match kind {
        "acceptance" => "受理期限",
        "upstream_assignment" => "上级交办期限",
        "receipt_notice" => "受理告知期限",
        "objection_window" => "签收或异议期限",
        "assignment" => "交办期限",
        "handling" => "办理期限",
        "simple_acceptance" => "简易办理受理期限",
        "simple_opinion" => "简易办理答复期限",
        "opinion_delivery" | "delivery" => "意见书送达期限",
        "review_window" => "复查请求期限",
        "review" => "复查期限",
        "re_review_window" => "复核请求期限",
        "re_review" => "复核期限",
        "implementation" => "落实期限",
        "judicial_confirmation" => "司法确认申请期限",
        _ => "期限",
    }
}

fn level_zh(level: &str) -> &'static str {
    match level {
        "handling" => "办理",
        "review" => "复查",
        "re_review" => "复核",
        _ => "办理",
    }
}

fn step_zh(step: &str) -> &'static str {
    match step {
        "in_progress" => "办理中",
        "issued" => "意见书已出具，待送达",
        "delivered" => "意见书已送达",
        "closed" => "已办结",
        "final" => "已终结",
        _ => "办理中",
    }
}

/// One due date as the pages show it: the date, its urgency in words (and colour), and how
/// supervision computed it.
#[derive(Debug, Serialize)]
pub struct Due {
    pub label: String,
    pub due_on: Option<String>,
    pub urgency: &'static str,
    pub urgency_label: &'static str,
    pub explanation: Vec<String>,
    pub provisional: bool,
    /// The explanation in one line for the hover title.
    pub title: String,
}

impl Due {
    pub fn new(
        label: &str,
        due_on: Option<NaiveDate>,
        explanation: Vec<String>,
        today: NaiveDate,
        soon_until: Option<NaiveDate>,
    ) -> Due {
        let u = Urgency::of(due_on, today, soon_until);
        let provisional = provisional(&explanation);
        let mut title = explanation.join("\n");
        if title.is_empty() {
            title = "尚无计算过程".into();
        }
        Due {
            label: label.to_string(),
            due_on: due_on.map(|d| d.to_string()),
            urgency: u.css(),
            urgency_label: u.label(),
            explanation,
            provisional,
            title,
        }
    }
}

/// The day three working days from today, by supervision's public calculator (None when it
/// cannot be reached: only 已超期 is then told apart).
pub async fn soon_until(services: &Services, today: NaiveDate) -> Option<NaiveDate> {
    let a = services
        .get(
            Svc::Supervision,
            &format!("calendar/due?start={today}&days=3&unit=working"),
            None,
        )
        .await;
    a.ok()
        .then(|| a.body["due"].as_str().and_then(|d| d.parse().ok()))
        .flatten()
}

fn date_of(v: &Value) -> Option<NaiveDate> {
    v.as_str().and_then(|s| s.parse().ok())
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// One line of the inbox (待办事项).
#[derive(Debug, Serialize)]
struct InboxRow {
    case_id: String,
    case_number: String,
    summary: String,
    stage: String,
    due: Due,
    note: Option<String>,
}

/// The pending transfer or assignment of a case to `unit` (待签收), from intake's case view.
fn pending_hand_off<'a>(detail: &'a Value, unit: &str) -> Option<&'a Value> {
    detail["hand_offs"]
        .as_array()?
        .iter()
        .rev()
        .find(|h| h["status"] == "pending" && h["to_unit"] == unit)
}

fn hand_off_zh(kind: &str) -> &'static str {
    match kind {
        "assign" | "assigned" => "交办",
        _ => "转送",
    }
}

/// The supervision clock of `kind` for `unit` that is still open, if any.
fn open_deadline<'a>(deadlines: &'a Value, kind: &str, unit: &str) -> Option<&'a Value> {
    deadlines.as_array()?.iter().rev().find(|d| {
        d["kind"] == kind && d["unit_code"] == unit && matches!(d["status"].as_str(), Some("open"))
    })
}

/// `GET /console/unit`: the unit's cases, the earliest due first (本单位待办).
#[tracing::instrument(skip_all)]
pub async fn inbox(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let Some(staff) = current(&req, &pool, &waker, &state).await? else {
        return Ok(to_login());
    };
    if !may_handle(&staff) {
        return Ok(forbidden());
    }
    let token = Some(staff.access_token.as_str());
    let today = today_in_china();
    let (queue, petitions, soon) = tokio::join!(
        services.get(Svc::Review, "handling/queue?limit=200", token),
        services.get(Svc::Intake, "petitions?limit=200", token),
        soon_until(&services, today),
    );
    let mut problems = Vec::new();
    let mut summaries: BTreeMap<String, String> = BTreeMap::new();
    let mut candidates = Vec::new();
    if petitions.ok() {
        for p in petitions.body["items"].as_array().into_iter().flatten() {
            let id = p["id"].as_str().unwrap_or_default().to_string();
            summaries.insert(id.clone(), p["summary"].as_str().unwrap_or("").to_string());
            if matches!(p["status"].as_str(), Some("assigned" | "transferred"))
                && p["registering_unit"] != staff.unit.as_str()
            {
                candidates.push((id, p["case_number"].as_str().unwrap_or("").to_string()));
            }
        }
    } else {
        problems.push(format!("信访件列表暂时无法读取：{}", petitions.message()));
    }
    let mut rows = Vec::new();
    // Transfers and assignments waiting for this unit's answer (待签收).
    for (id, case_number) in candidates {
        let detail = services
            .get(Svc::Intake, &format!("petitions/{id}"), token)
            .await;
        let Some(h) = detail
            .ok()
            .then(|| pending_hand_off(&detail.body, &staff.unit))
            .flatten()
        else {
            continue;
        };
        let deadlines = services
            .get(Svc::Supervision, &format!("cases/{id}/deadlines"), token)
            .await;
        let window = open_deadline(&deadlines.body, "objection_window", &staff.unit);
        let explanation = window
            .map(|w| strings(&w["explanation"]))
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| {
                vec!["《信访工作条例》第二十三条：收到之日起 5 个工作日内签收或提出异议".into()]
            });
        let due_on = window
            .and_then(|w| date_of(&w["due_date"]))
            .or_else(|| date_of(&h["object_by"]));
        rows.push(InboxRow {
            summary: summaries.get(&id).cloned().unwrap_or_default(),
            case_id: id,
            case_number,
            stage: format!(
                "待签收（{}）",
                hand_off_zh(h["kind"].as_str().unwrap_or(""))
            ),
            due: Due::new("签收或异议期限", due_on, explanation, today, soon),
            note: date_of(&h["due_on"]).map(|d| format!("办结期限 {d}")),
        });
    }
    // Cases in the unit's hands at administrative review (办理中、待送达).
    if queue.ok() {
        for q in queue.body.as_array().into_iter().flatten() {
            if q["unit"] != staff.unit.as_str() {
                continue;
            }
            let id = q["case_id"].as_str().unwrap_or_default().to_string();
            rows.push(InboxRow {
                summary: summaries.get(&id).cloned().unwrap_or_default(),
                case_number: q["case_number"].as_str().unwrap_or("").to_string(),
                stage: format!(
                    "{}：{}",
                    level_zh(q["level"].as_str().unwrap_or("")),
                    step_zh(q["step"].as_str().unwrap_or(""))
                ),
                due: Due::new(
                    clock_zh(q["clock"].as_str().unwrap_or("")),
                    date_of(&q["due_on"]),
                    strings(&q["explanation"]),
                    today,
                    soon,
                ),
                note: None,
                case_id: id,
            });
        }
    } else {
        problems.push(format!("办理队列暂时无法读取：{}", queue.message()));
    }
    rows.sort_by(|a, b| {
        (a.due.due_on.is_none(), &a.due.due_on, &a.case_number).cmp(&(
            b.due.due_on.is_none(),
            &b.due.due_on,
            &b.case_number,
        ))
    });
    if soon.is_none() {
        problems.push("工作日计算暂时不可用：仅标出已超期事项".into());
    }
    Ok(render(
        StatusCode::OK,
        "unit_inbox.html",
        minijinja::context! {
            title => "本单位待办",
            staff => staff.view(),
            rows => rows,
            today => today.to_string(),
            problems => problems,
        },
    ))
}

/// What a case page shows besides the submitted form.
struct CasePage {
    case_id: Uuid,
    petition: Option<Value>,
    review: Option<Value>,
    hand_off: Option<Value>,
    deadlines: Vec<Due>,
    names: BTreeMap<String, String>,
    units: Vec<(String, String)>,
}

#[tracing::instrument(skip_all, fields(case_id = %case_id))]
async fn load_case(
    staff: &Staff,
    case_id: Uuid,
    pool: &PgPool,
    services: &Services,
) -> Result<Option<CasePage>, ApiError> {
    let token = Some(staff.access_token.as_str());
    let today = today_in_china();
    let (petition_path, review_path, deadlines_path) = (
        format!("petitions/{case_id}"),
        format!("handling/cases/{case_id}"),
        format!("cases/{case_id}/deadlines"),
    );
    let (petition, review, deadlines, soon) = tokio::join!(
        services.get(Svc::Intake, &petition_path, token),
        services.get(Svc::Review, &review_path, token),
        services.get(Svc::Supervision, &deadlines_path, token),
        soon_until(services, today),
    );
    if !petition.ok() && !review.ok() {
        return Ok(None);
    }
    let hand_off = petition
        .ok()
        .then(|| pending_hand_off(&petition.body, &staff.unit).cloned())
        .flatten();
    let mut dues = Vec::new();
    for d in deadlines.body.as_array().into_iter().flatten() {
        if d["unit_code"] != staff.unit.as_str() || !matches!(d["status"].as_str(), Some("open")) {
            continue;
        }
        let label = d["kind_label"]
            .as_str()
            .filter(|l| !l.is_empty())
            .unwrap_or_else(|| clock_zh(d["kind"].as_str().unwrap_or("")));
        dues.push(Due::new(
            label,
            date_of(&d["due_date"]),
            strings(&d["explanation"]),
            today,
            soon,
        ));
    }
    // Who recorded what: the console knows its people (人员).
    let mut names = BTreeMap::new();
    if review.ok() {
        let mut ids: Vec<String> = Vec::new();
        for (list, keys) in [
            ("entries", &["recorded_by"][..]),
            ("extensions", &["requested_by", "decided_by"][..]),
            ("opinions", &["drafted_by", "approved_by"][..]),
        ] {
            for r in review.body[list].as_array().into_iter().flatten() {
                for k in keys {
                    if let Some(s) = r[*k].as_str() {
                        ids.push(s.to_string());
                    }
                }
            }
        }
        ids.sort();
        ids.dedup();
        let mut conn = pool.acquire().await?;
        for id in ids {
            if let Ok(uuid) = Uuid::parse_str(&id) {
                if let Some(a) = store::accounts::get(&mut conn, uuid).await? {
                    names.insert(id, a.display_name);
                }
            }
        }
    }
    let units = store::units::list(
        pool,
        &store::units::UnitFilter {
            active: Some(true),
            ..Default::default()
        },
    )
    .await?
    .into_iter()
    .map(|u| (u.code, u.name))
    .collect();
    Ok(Some(CasePage {
        case_id,
        petition: petition.ok().then_some(petition.body),
        review: review.ok().then_some(review.body),
        hand_off,
        deadlines: dues,
        names,
        units,
    }))
}

fn done_zh(action: &str) -> Option<&'static str> {
    Some(match action {
        "accept" => "已签收，本单位开始办理",
        "objection" => "异议已提出，等待交办（转送）机关核实",
        "entry" => "办理记录已保存",
        "extension" => "延期申请已提交，等待单位负责人审批",
        "extension_decision" => "延期审批意见已保存",
        "opinion" => "意见书草稿已保存，等待单位负责人审批",
        "approval" => "意见书已审批",
        "issue" => "意见书已出具",
        "delivery" => "送达情况已登记",
        _ => return None,
    })
}

fn case_page(
    staff: &Staff,
    page: &CasePage,
    flash: &Flash,
    done: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let review = page.review.clone().unwrap_or(Value::Null);
    let opinions: Vec<Value> = review["opinions"].as_array().cloned().unwrap_or_default();
    let extensions: Vec<Value> = review["extensions"].as_array().cloned().unwrap_or_default();
    let in_progress = review["step"] == "in_progress";
    let open_opinion = opinions
        .iter()
        .any(|o| matches!(o["status"].as_str(), Some("draft" | "approved")));
    let live_extension = extensions
        .iter()
        .any(|e| matches!(e["status"].as_str(), Some("requested" | "approved")));
    let pending_extension = extensions.iter().find(|e| e["status"] == "requested");
    let is_head = staff.has_any(&["unit_head"]);
    let is_handler = staff.has_any(&["handler"]);
    let account = staff.account_id.to_string();
    let ctx = minijinja::context! {
        title => "案件办理",
        staff => staff.view(),
        case_id => page.case_id.to_string(),
        petition => page.petition,
        review => review,
        hand_off => page.hand_off,
        hand_off_kind => page.hand_off.as_ref().map(|h| hand_off_zh(h["kind"].as_str().unwrap_or(""))),
        deadlines => page.deadlines,
        names => page.names,
        units => page.units,
        flash => flash,
        done => done.and_then(done_zh),
        today => today_in_china().to_string(),
        idem => Uuid::new_v4().to_string(),
        level => level_zh(review["level"].as_str().unwrap_or("")),
        step => step_zh(review["step"].as_str().unwrap_or("")),
        may_entry => page.review.is_some() && in_progress,
        may_extend => is_handler && in_progress && review["level"] == "handling" && !live_extension,
        pending_extension => pending_extension,
        may_decide_extension => is_head && pending_extension.is_some_and(|e| e["requested_by"] != account.as_str()),
        may_draft => page.review.is_some() && in_progress && !open_opinion,
        draft => opinions.iter().find(|o| o["status"] == "draft"),
        may_approve => is_head,
        approved => opinions.iter().find(|o| o["status"] == "approved"),
        undelivered => opinions.iter().find(|o| o["status"] == "issued" && o["delivered_on"].is_null()),
        opinions => opinions,
        extensions => extensions,
    };
    render(status, "unit_case.html", ctx)
}

/// `GET /console/unit/cases/{id}`: one case of the unit, everything recorded and the forms of the
/// next steps.
pub async fn case(
    req: HttpRequest,
    path: web::Path<Uuid>,
    query: web::Query<BTreeMap<String, String>>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let Some(staff) = current(&req, &pool, &waker, &state).await? else {
        return Ok(to_login());
    };
    if !may_handle(&staff) {
        return Ok(forbidden());
    }
    let Some(page) = load_case(&staff, path.into_inner(), &pool, &services).await? else {
        return Ok(error_page(
            StatusCode::NOT_FOUND,
            "未找到该信访事项，或本单位无权查看",
            "/console/unit",
        ));
    };
    let done = query.get("done").map(String::as_str);
    Ok(case_page(
        &staff,
        &page,
        &Flash::default(),
        done,
        StatusCode::OK,
    ))
}

/// A change as it goes to its service.
struct Call {
    svc: Svc,
    path: String,
    body: Value,
    idempotency_key: Option<String>,
    /// The form's fields (an error naming another goes above the form).
    known: &'static [&'static str],
}

fn insert_opt(b: &mut Map<String, Value>, k: &str, v: Option<String>) {
    if let Some(v) = v {
        b.insert(k.into(), json!(v));
    }
}

/// The call of `action`, or the errors already found on the page.
fn call_of(action: &str, case_id: Uuid, f: &mut Flash) -> Option<Call> {
    let version = f.value("version").parse::<i32>().ok();
    let target = Uuid::parse_str(&f.target).ok();
    let review = matches!(
        action,
        "entry"
            | "extension"
            | "extension_decision"
            | "opinion"
            | "approval"
            | "issue"
            | "delivery"
    );
    if review && version.is_none() {
        f.error("form", "页面缺少版本号，请刷新页面后重试");
        return None;
    }
    if matches!(
        action,
        "extension_decision" | "approval" | "issue" | "delivery"
    ) && target.is_none()
    {
        f.error("form", "页面缺少所办理的记录，请刷新页面后重试");
        return None;
    }
    let target = target.unwrap_or_default();
    let mut b = Map::new();
    if let (true, Some(v)) = (review, version) {
        b.insert("version".into(), json!(v));
    }
    let idem_key = f.text("idem");
    let call = |svc, path: String, b: Map<String, Value>, idem: bool, known| Call {
        svc,
        path,
        body: Value::Object(b),
        idempotency_key: idem.then(|| idem_key.clone()).flatten(),
        known,
    };
    let c = match action {
        "accept" => {
            insert_opt(
                &mut b,
                "accepted_on",
                f.optional_date("accepted_on", "签收日期")
                    .map(|d| d.to_string()),
            );
            call(
                Svc::Intake,
                format!("petitions/{case_id}/assignment/accept"),
                b,
                false,
                &["accepted_on"][..],
            )
        }
        "objection" => {
            b.insert("reasons".into(), json!(f.value("reasons")));
            insert_opt(
                &mut b,
                "objected_on",
                f.optional_date("objected_on", "提出异议日期")
                    .map(|d| d.to_string()),
            );
            call(
                Svc::Intake,
                format!("petitions/{case_id}/assignment/objection"),
                b,
                false,
                &["reasons", "objected_on"][..],
            )
        }
        "entry" => {
            b.insert("kind".into(), json!(f.value("kind")));
            let on = f.date("occurred_on", "发生日期");
            b.insert("occurred_on".into(), json!(on));
            b.insert("summary".into(), json!(f.value("summary")));
            insert_opt(&mut b, "consulted_unit", f.text("consulted_unit"));
            let mut attachments = Vec::new();
            if let Some(name) = f.text("att_name") {
                let size = f
                    .number("att_size", "文件大小（字节）", 0..=i64::MAX)
                    .unwrap_or(0);
                attachments.push(json!({ "file_name": name, "sha256": f.value("att_sha256"), "size_bytes": size }));
            }
            b.insert("attachments".into(), Value::Array(attachments));
            call(
                Svc::Review,
                format!("handling/cases/{case_id}/entries"),
                b,
                true,
                &[
                    "kind",
                    "occurred_on",
                    "summary",
                    "consulted_unit",
                    "attachments",
                ][..],
            )
        }
        "extension" => {
            let days = f.number("days", "延长日数", 1..=30);
            b.insert("days".into(), json!(days));
            b.insert("reason".into(), json!(f.value("reason")));
            call(
                Svc::Review,
                format!("handling/cases/{case_id}/extensions"),
                b,
                false,
                &["days", "reason"][..],
            )
        }
        "extension_decision" => {
            let approve = match f.value("approve") {
                "yes" => true,
                "no" => false,
                _ => {
                    f.error("approve", "请选择批准或不批准");
                    false
                }
            };
            b.insert("approve".into(), json!(approve));
            insert_opt(&mut b, "note", f.text("note"));
            call(
                Svc::Review,
                format!("handling/cases/{case_id}/extensions/{target}/decision"),
                b,
                false,
                &["approve", "note"][..],
            )
        }
        "opinion" => {
            for k in ["outcome", "facts", "reasons", "legal_basis"] {
                b.insert(k.into(), json!(f.value(k)));
            }
            insert_opt(&mut b, "implementation_task", f.text("implementation_task"));
            insert_opt(&mut b, "implementing_unit", f.text("implementing_unit"));
            insert_opt(
                &mut b,
                "implement_by",
                f.optional_date("implement_by", "落实期限")
                    .map(|d| d.to_string()),
            );
            call(
                Svc::Review,
                format!("handling/cases/{case_id}/opinions"),
                b,
                true,
                &[
                    "outcome",
                    "facts",
                    "reasons",
                    "legal_basis",
                    "implementation_task",
                    "implementing_unit",
                    "implement_by",
                ][..],
            )
        }
        "approval" => call(
            Svc::Review,
            format!("handling/opinions/{target}/approval"),
            b,
            false,
            &[][..],
        ),
        "issue" => {
            insert_opt(
                &mut b,
                "issued_on",
                f.optional_date("issued_on", "成文日期")
                    .map(|d| d.to_string()),
            );
            insert_opt(&mut b, "document_number", f.text("document_number"));
            call(
                Svc::Review,
                format!("handling/opinions/{target}/issue"),
                b,
                false,
                &["issued_on", "document_number"][..],
            )
        }
        "delivery" => {
            let on = f.date("delivered_on", "送达日期");
            b.insert("delivered_on".into(), json!(on));
            b.insert("method".into(), json!(f.value("method")));
            insert_opt(&mut b, "proof", f.text("proof"));
            call(
                Svc::Review,
                format!("handling/opinions/{target}/delivery"),
                b,
                false,
                &["delivered_on", "method", "proof"][..],
            )
        }
        _ => {
            f.error("form", "未知的操作，请刷新页面后重试");
            return None;
        }
    };
    (!f.has_errors()).then_some(c)
}

/// `POST /console/unit/cases/{id}`: one step (`action`) on the case; back to the case page, or
/// the page again with the service's errors beside their fields.
#[tracing::instrument(skip_all, fields(case_id = %path))]
pub async fn act(
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: web::Bytes,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let Some(staff) = current(&req, &pool, &waker, &state).await? else {
        return Ok(to_login());
    };
    if !may_handle(&staff) {
        return Ok(forbidden());
    }
    let case_id = path.into_inner();
    let pairs = form_pairs(&body);
    let action = field(&pairs, "action").to_string();
    let mut flash = Flash::new(&action, field(&pairs, "target"), &pairs);
    let status = if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        flash.error("form", "页面已过期，请核对后重新提交");
        StatusCode::FORBIDDEN
    } else if let Some(call) = call_of(&action, case_id, &mut flash) {
        let answer = services
            .post(
                call.svc,
                &call.path,
                &staff.access_token,
                call.idempotency_key.as_deref(),
                &call.body,
            )
            .await;
        if answer.ok() {
            return Ok(
                see_other(&format!("/console/unit/cases/{case_id}?done={action}#done")).finish(),
            );
        }
        for e in answer.errors_for("form") {
            flash.add(&e, call.known);
        }
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY)
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let Some(page) = load_case(&staff, case_id, &pool, &services).await? else {
        return Ok(error_page(
            StatusCode::NOT_FOUND,
            "未找到该信访事项，或本单位无权查看",
            "/console/unit",
        ));
    };
    Ok(case_page(&staff, &page, &flash, None, status))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flash(action: &str, pairs: &[(&str, &str)]) -> Flash {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Flash::new(action, field(&pairs, "target"), &pairs)
    }

    #[test]
    fn a_form_becomes_its_services_call() {
        let id = Uuid::now_v7();
        let mut f = flash(
            "entry",
            &[
                ("version", "3"),
                ("kind", "talk"),
                ("occurred_on", "2026-11-30"),
                ("summary", "约谈信访人"),
                ("att_name", "笔录.pdf"),
                ("att_sha256", "ab"),
                ("att_size", "1024"),
                ("idem", "k-1"),
            ],
        );
        let c = call_of("entry", id, &mut f).unwrap();
        assert_eq!(c.path, format!("handling/cases/{id}/entries"));
        assert_eq!(c.body["version"], 3);
        assert_eq!(c.body["attachments"][0]["size_bytes"], 1024);
        assert_eq!(c.idempotency_key.as_deref(), Some("k-1"));
        let mut f = flash(
            "extension",
            &[("version", "3"), ("days", "40"), ("reason", "x")],
        );
        assert!(call_of("extension", id, &mut f).is_none());
        assert!(f.errors["days"].contains("1 至 30"));
        let mut f = flash("approval", &[("version", "3")]);
        assert!(call_of("approval", id, &mut f).is_none());
        assert!(f.errors.contains_key("form"));
        let mut f = flash("accept", &[("accepted_on", "2026-11-30")]);
        let c = call_of("accept", id, &mut f).unwrap();
        assert_eq!(c.body, json!({ "accepted_on": "2026-11-30" }));
    }

    #[test]
    fn a_pending_hand_off_is_the_units_own() {
        let detail = json!({ "hand_offs": [
            { "status": "pending", "to_unit": "140423-ZRZYJ", "kind": "assign" },
            { "status": "accepted", "to_unit": "140423-RSJ", "kind": "transfer" } ] });
        assert!(pending_hand_off(&detail, "140423-ZRZYJ").is_some());
        assert!(pending_hand_off(&detail, "140423-RSJ").is_none());
    }
}
