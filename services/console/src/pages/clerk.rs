//! The window clerk's case pages (窗口分办): the registered petitions still waiting for a decision
//! (待分办), and one petition (分办页面) — its repeat candidates side by side with it (重复信访核对:
//! link to an earlier case or confirm it new), the routing suggestion (分类建议), the decision
//! (受理、不予受理、不再受理、转送、交办) and a preview of the notice it sends (告知书预览).
//! Intake decides and notification renders, each with the clerk's own token.

use std::collections::BTreeMap;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{json, Map, Value};
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_contracts::events::LegalChannel;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::{time::today_in_china, ApiError};

use super::{
    client::Services,
    forms::Flash,
    intake::FieldError,
    security::see_other,
    staff::{channel_zh, csrf_ok_for, current, field, form_pairs, to_login, Staff},
    view::{error_page, render},
};
use crate::{api::state::AppState, store};

/// The kinds of decision (决定类型), as intake names them, with their Chinese names.
pub const KINDS: [(&str, &str); 5] = [
    ("accept", "受理"),
    ("decline", "不予受理"),
    ("bar", "不再受理"),
    ("transfer", "转送"),
    ("assign", "交办"),
];

/// The legal channels a decline may name (法定途径, 《信访工作条例》第三十一条).
pub const LEGAL_CHANNELS: [LegalChannel; 13] = [
    LegalChannel::Litigation,
    LegalChannel::Arbitration,
    LegalChannel::AdministrativeReconsideration,
    LegalChannel::AdministrativeRuling,
    LegalChannel::AdministrativeConfirmation,
    LegalChannel::AdministrativeLicensing,
    LegalChannel::AdministrativePenalty,
    LegalChannel::AdministrativeProcedure,
    LegalChannel::DisciplineInspection,
    LegalChannel::PoliticalLegal,
    LegalChannel::PartyAppeal,
    LegalChannel::PartyReview,
    LegalChannel::Other,
];

/// A legal channel's code (`litigation`) as intake's JSON writes it.
fn channel_code(c: LegalChannel) -> String {
    serde_json::to_value(c)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

/// The Chinese name of a legal channel code, or the code when unknown.
pub fn legal_channel_zh(code: &str) -> String {
    serde_json::from_value::<LegalChannel>(json!(code))
        .map(|c| c.label_zh().to_string())
        .unwrap_or_else(|_| code.to_string())
}

fn kind_zh(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, z)| *z)
        .unwrap_or("决定")
}

fn status_zh(status: &str) -> &'static str {
    match status {
        "registered" => "已登记，待分办",
        "accepted" => "已受理",
        "declined" => "不予受理",
        "barred" => "不再受理",
        "transferred" => "已转送",
        "assigned" => "已交办",
        "in_handling" => "办理中",
        "returned" => "退回重新分办",
        _ => "其他状态",
    }
}

fn may_decide(staff: &Staff) -> bool {
    staff.has_any(&["clerk", "admin"])
}

fn forbidden() -> HttpResponse {
    error_page(
        StatusCode::FORBIDDEN,
        "当前账号不是窗口登记员，无权分办信访事项",
        "/console/",
    )
}

/// One notice a decision sends (决定所发告知文书): the template and the fields to fill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticePlan {
    pub code: &'static str,
    /// 送达对象: 信访人 or the receiving organ's name.
    pub to: String,
    pub fields: BTreeMap<String, String>,
}

/// What a decision's notices need to know besides the form (案件情况).
pub struct NoticeFacts<'a> {
    pub case_number: &'a str,
    /// 作出决定的机关 (the clerk's organ).
    pub organ_name: &'a str,
    pub category: Option<&'a str>,
    /// The organ's name of a unit code (from the console's units directory).
    pub unit_name: &'a dyn Fn(&str) -> String,
    /// The case number of a prior petition, and whether it is final (复核终结).
    pub prior: Option<(&'a str, bool)>,
}

/// The notices the decision on the form sends, as notification drafts them from intake's event
/// (`notification::domain::templates`): template codes and fields, unit codes as organ names.
pub fn notices_of(f: &Flash, facts: &NoticeFacts<'_>, today: NaiveDate) -> Vec<NoticePlan> {
    let on = f
        .text("decided_on")
        .filter(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok())
        .unwrap_or_else(|| today.to_string());
    let common = |to: &str| {
        BTreeMap::from([
            ("case_number".to_string(), facts.case_number.to_string()),
            ("organ_name".to_string(), facts.organ_name.to_string()),
            ("recipient_name".to_string(), to.to_string()),
            ("dated_on".to_string(), on.clone()),
        ])
    };
    let plan = |code, to: &str, pairs: &[(&str, String)]| {
        let mut fields = common(to);
        for (k, v) in pairs {
            fields.insert(k.to_string(), v.clone());
        }
        NoticePlan {
            code,
            to: to.to_string(),
            fields,
        }
    };
    let petitioner = "信访人";
    let reason = f.value("reason").trim_end_matches('。').to_string();
    let unit = |name: &str| f.text(name).map(|c| (facts.unit_name)(&c));
    match f.value("kind") {
        "accept" => {
            let handling = unit("handling_unit");
            let limit = if f.value("simple_track") == "on" {
                "本事项适用简易办理程序，将自受理之日起10个工作日内作出处理意见。"
            } else if facts.category == Some("claim") {
                "依照《信访工作条例》第三十四条，将自受理之日起60日内办结并出具信访处理意见书；情况复杂的，经批准可以适当延长办理期限，但延长期限不得超过30日，并告知您延期理由。"
            } else {
                ""
            };
            let reason = if reason.is_empty() {
                String::new()
            } else {
                format!("受理理由：{reason}。")
            };
            let mut out = vec![plan(
                "acceptance_notice",
                petitioner,
                &[
                    ("accepted_on", on.clone()),
                    (
                        "handling_unit",
                        handling.clone().unwrap_or(facts.organ_name.to_string()),
                    ),
                    ("handling_limit", limit.to_string()),
                    ("reason", reason),
                ],
            )];
            if let Some(h) = handling.filter(|h| h != facts.organ_name) {
                out.push(plan("handling_to_unit", &h, &[("accepted_on", on.clone())]));
            }
            out
        }
        "decline" => {
            let outside = match f.value("ground") {
                "outside_remit" => true,
                "legal_channel" => false,
                _ => f.text("legal_channel").is_none(),
            };
            let guidance = f.value("guidance").to_string();
            if outside {
                vec![plan(
                    "decline_notice_outside_remit",
                    petitioner,
                    &[("reason", reason), ("guidance", guidance)],
                )]
            } else {
                let channel = f
                    .text("legal_channel")
                    .map(|c| legal_channel_zh(&c))
                    .unwrap_or_else(|| "其他法定途径".into());
                vec![plan(
                    "decline_notice",
                    petitioner,
                    &[
                        ("reason", reason),
                        ("legal_channel", channel),
                        ("guidance", guidance),
                    ],
                )]
            }
        }
        "bar" => {
            let (prior, finalized) = facts.prior.unwrap_or(("", false));
            let code = if finalized {
                "bar_notice"
            } else {
                "decline_notice_in_progress"
            };
            vec![plan(
                code,
                petitioner,
                &[
                    ("prior_case_number", prior.to_string()),
                    ("reason", f.value("reason").to_string()),
                ],
            )]
        }
        "transfer" => {
            let to = unit("to_unit").unwrap_or_default();
            vec![
                plan(
                    "transfer_notice",
                    petitioner,
                    &[("decided_on", on.clone()), ("to_unit", to.clone())],
                ),
                plan(
                    "transfer_to_unit",
                    &to,
                    &[("decided_on", on.clone()), ("reason", reason)],
                ),
            ]
        }
        "assign" => {
            let to = unit("to_unit").unwrap_or_default();
            vec![
                plan(
                    "assignment_info",
                    petitioner,
                    &[("decided_on", on.clone()), ("to_unit", to.clone())],
                ),
                plan(
                    "assignment_to_unit",
                    &to,
                    &[
                        ("due_on", f.value("due_on").to_string()),
                        ("instructions", f.value("instructions").to_string()),
                    ],
                ),
            ]
        }
        _ => Vec::new(),
    }
}

/// The form field beside which a template field's problem is shown.
fn form_field_of(template_field: &str) -> &str {
    match template_field {
        "accepted_on" | "decided_on" | "dated_on" => "decided_on",
        "prior_case_number" => "prior_petition_id",
        other => other,
    }
}

/// The form's fields, as the decision form has them (the errors of others go above the form).
pub const DECISION_FIELDS: [&str; 13] = [
    "kind",
    "decided_on",
    "reason",
    "handling_unit",
    "simple_track",
    "override_reason",
    "ground",
    "legal_channel",
    "guidance",
    "prior_petition_id",
    "to_unit",
    "due_on",
    "instructions",
];

/// The body of intake's `POST /api/v1/petitions/{id}/decisions` from the form: only the fields of
/// the chosen kind; dates and the prior petition checked here, the rest by intake.
pub fn decision_body(f: &mut Flash) -> Option<Value> {
    let kind = f.value("kind").to_string();
    if !KINDS.iter().any(|(k, _)| *k == kind) {
        f.error("kind", "请选择决定类型");
        return None;
    }
    let mut b = Map::new();
    b.insert("kind".into(), json!(kind));
    let put = |b: &mut Map<String, Value>, f: &Flash, name: &str| {
        if let Some(v) = f.text(name) {
            b.insert(name.into(), json!(v));
        }
    };
    if let Some(d) = f.optional_date("decided_on", "作出决定日期") {
        b.insert("decided_on".into(), json!(d.to_string()));
    }
    match kind.as_str() {
        "accept" => {
            b.insert("reason".into(), json!(f.value("reason")));
            put(&mut b, f, "handling_unit");
            b.insert(
                "simple_track".into(),
                json!(f.value("simple_track") == "on"),
            );
            put(&mut b, f, "override_reason");
        }
        "decline" => {
            b.insert("reason".into(), json!(f.value("reason")));
            for k in ["ground", "legal_channel", "guidance"] {
                put(&mut b, f, k);
            }
        }
        "bar" => {
            match Uuid::parse_str(f.value("prior_petition_id")) {
                Ok(id) => {
                    b.insert("prior_petition_id".into(), json!(id));
                }
                Err(_) => f.error("prior_petition_id", "请选择前案（重复信访候选之一）"),
            }
            put(&mut b, f, "reason");
        }
        "transfer" => {
            b.insert("to_unit".into(), json!(receiving_unit(f)));
            b.insert("reason".into(), json!(f.value("reason")));
            put(&mut b, f, "override_reason");
        }
        _ => {
            b.insert("to_unit".into(), json!(receiving_unit(f)));
            if let Some(d) = f.date("due_on", "办结期限") {
                b.insert("due_on".into(), json!(d.to_string()));
            }
            b.insert("instructions".into(), json!(f.value("instructions")));
            put(&mut b, f, "override_reason");
        }
    }
    (!f.has_errors()).then_some(Value::Object(b))
}

/// The receiving unit of a transfer or assignment, or the error beside its field.
fn receiving_unit(f: &mut Flash) -> String {
    let unit = f.value("to_unit").to_string();
    if unit.is_empty() {
        f.error("to_unit", "请选择接收单位（转送、交办）");
    }
    unit
}

/// A service's message for the page: without the field's code (`field: …`, `（field）`), since
/// the message stands beside the field.
fn beside(e: &FieldError) -> FieldError {
    let message = e
        .message
        .strip_prefix(&format!("{}: ", e.field))
        .or_else(|| e.message.strip_prefix(&format!("{}：", e.field)))
        .unwrap_or(&e.message)
        .replace(&format!("（{}）", e.field), "");
    FieldError {
        field: e.field.clone(),
        message,
    }
}

/// The form as first shown: today's date, and the routing suggestion's channel or unit.
pub fn prefilled(suggestion: &Value, today: NaiveDate) -> Flash {
    let mut values = BTreeMap::from([
        ("decided_on".to_string(), today.to_string()),
        ("kind".to_string(), "accept".to_string()),
    ]);
    if let Some(channel) = suggestion["legal_channel"].as_str() {
        values.insert("kind".into(), "decline".into());
        values.insert("ground".into(), "legal_channel".into());
        values.insert("legal_channel".into(), channel.into());
        if let Some(g) = suggestion["guidance"].as_str() {
            values.insert("guidance".into(), g.into());
        }
    } else if let Some(unit) = suggestion["unit"].as_str() {
        values.insert("kind".into(), "transfer".into());
        values.insert("to_unit".into(), unit.into());
        values.insert("handling_unit".into(), unit.into());
    }
    Flash {
        form: "decide".into(),
        values,
        ..Flash::default()
    }
}

/// One repeat candidate beside the new petition (重复信访候选).
#[derive(Debug, Serialize)]
struct CandidateView {
    id: String,
    case_number: String,
    reasons: Vec<&'static str>,
    /// The candidate as intake shows it to the clerk (absent when it cannot be read).
    detail: Option<Value>,
    status: &'static str,
    finalized: bool,
}

fn reason_zh(reason: &str) -> &'static str {
    match reason {
        "same_id_number" => "身份证号相同",
        "same_phone" => "联系电话相同",
        "similar_content" => "反映内容相近",
        _ => "其他线索",
    }
}

/// Everything the case page shows besides the form.
struct CaseData {
    id: Uuid,
    petition: Value,
    candidates: Vec<CandidateView>,
    suggestion: Option<Value>,
    units: Vec<(String, String)>,
}

impl CaseData {
    fn unit_name(&self, code: &str) -> String {
        self.units
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| code.to_string())
    }

    /// How the repeat check ended: `repeat` (with the earlier case), `new`, or not yet.
    fn repeat_decision(&self) -> Option<String> {
        if let Some(earlier) = self.petition["repeat_of"].as_str() {
            let number = self
                .candidates
                .iter()
                .find(|c| c.id == earlier)
                .map(|c| c.case_number.clone())
                .unwrap_or_else(|| earlier.to_string());
            return Some(format!("已认定为 {number} 号信访事项的重复信访"));
        }
        let confirmed = self.petition["history"]
            .as_array()
            .is_some_and(|h| h.iter().any(|e| e["action"] == "petition.confirmed_new"));
        confirmed.then(|| "已确认为新的信访事项".to_string())
    }

    fn decidable(&self) -> bool {
        matches!(
            self.petition["status"].as_str(),
            Some("registered" | "returned")
        )
    }
}

#[tracing::instrument(skip_all, fields(case_id = %id))]
async fn load(
    staff: &Staff,
    id: Uuid,
    pool: &PgPool,
    services: &Services,
) -> Result<Option<CaseData>, ApiError> {
    let token = staff.access_token.as_str();
    let (petition_path, suggestion_path) = (
        format!("petitions/{id}"),
        format!("petitions/{id}/routing-suggestion"),
    );
    let (petition, suggestion) = tokio::join!(
        services.intake.get(&petition_path, token),
        services.intake.get(&suggestion_path, token),
    );
    let petition = match petition {
        Ok(a) if a.status == 200 => a.body,
        Ok(_) => return Ok(None),
        Err(e) => {
            tracing::warn!(error = %e, "intake unreachable");
            return Err(ApiError::unavailable("登记服务暂时无法连接，请稍后重试"));
        }
    };
    let mut candidates = Vec::new();
    for c in petition["repeat_candidates"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let cid = c["petition_id"].as_str().unwrap_or_default().to_string();
        let detail = match services
            .intake
            .get(&format!("petitions/{cid}"), token)
            .await
        {
            Ok(a) if a.status == 200 => Some(a.body),
            _ => None,
        };
        let status = detail
            .as_ref()
            .map(|d| status_zh(d["status"].as_str().unwrap_or("")))
            .unwrap_or("无权查看");
        let finalized = detail
            .as_ref()
            .is_some_and(|d| !d["finalized_on"].is_null());
        candidates.push(CandidateView {
            case_number: c["case_number"].as_str().unwrap_or("").to_string(),
            reasons: c["reasons"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str().map(reason_zh))
                .collect(),
            id: cid,
            detail,
            status,
            finalized,
        });
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
    Ok(Some(CaseData {
        id,
        petition,
        candidates,
        suggestion: suggestion.ok().filter(|a| a.status == 200).map(|a| a.body),
        units,
    }))
}

/// A rendered notice of the preview (告知书预览).
#[derive(Debug, Serialize)]
struct Preview {
    name: String,
    to: String,
    title: String,
    paragraphs: Vec<String>,
    /// What the notice as sent will say differently from the preview, if anything.
    note: Option<&'static str>,
}

fn done_zh(done: &str) -> Option<&'static str> {
    Some(match done {
        "repeat" => "已认定为重复信访并关联到前案",
        "new" => "已确认为新的信访事项",
        "decide" => "决定已作出，告知书将由通知送达服务制作并送达",
        _ => return None,
    })
}

fn page(
    staff: &Staff,
    data: &CaseData,
    flash: &Flash,
    repeat_error: Option<&str>,
    previews: &[Preview],
    done: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let p = &data.petition;
    let suggestion = data.suggestion.as_ref().map(|s| {
        minijinja::context! {
            unit => s["unit"].as_str().map(|u| data.unit_name(u)),
            legal_channel => s["legal_channel"].as_str().map(legal_channel_zh),
            guidance => s["guidance"].as_str(),
            rule => s["rule_index"].as_u64().map(|i| i + 1),
            version => s["rule_version"].as_i64(),
        }
    });
    let override_required = data
        .suggestion
        .as_ref()
        .is_some_and(|s| s["legal_channel"].is_string());
    let decisions: Vec<Value> = p["decisions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            let details = &d["details"];
            let unit = ["to_unit", "handling_unit"]
                .iter()
                .find_map(|k| details[*k].as_str())
                .map(|u| data.unit_name(u));
            json!({
                "kind": kind_zh(d["kind"].as_str().unwrap_or("")),
                "decided_on": d["decided_on"],
                "reason": d["reason"],
                "unit": unit,
                "due_on": details["due_on"],
                "legal_channel": details["legal_channel"].as_str().map(legal_channel_zh),
            })
        })
        .collect();
    let channels: Vec<(String, &str)> = LEGAL_CHANNELS
        .iter()
        .map(|c| (channel_code(*c), c.label_zh()))
        .collect();
    render(
        status,
        "clerk_case.html",
        minijinja::context! {
            title => "分办信访事项",
            staff => staff.view(),
            case_id => data.id.to_string(),
            petition => p,
            channel => channel_zh(p["channel"].as_str().unwrap_or("")),
            status => status_zh(p["status"].as_str().unwrap_or("")),
            candidates => data.candidates,
            repeat_decision => data.repeat_decision(),
            decidable => data.decidable(),
            suggestion => suggestion,
            override_required => override_required,
            units => data.units,
            kinds => KINDS,
            channels => channels,
            flash => flash,
            repeat_error => repeat_error,
            previews => previews,
            decisions => decisions,
            done => done.and_then(done_zh),
        },
    )
}

/// `GET /console/cases/{id}`: one registered petition, its repeat candidates beside it, and the
/// decision form prefilled from the routing suggestion.
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
    if !may_decide(&staff) {
        return Ok(forbidden());
    }
    let Some(data) = load(&staff, path.into_inner(), &pool, &services).await? else {
        return Ok(not_found());
    };
    let mut flash = prefilled(
        data.suggestion.as_ref().unwrap_or(&Value::Null),
        today_in_china(),
    );
    flash
        .values
        .insert("idem".into(), Uuid::new_v4().to_string());
    let done = query.get("done").map(String::as_str);
    Ok(page(&staff, &data, &flash, None, &[], done, StatusCode::OK))
}

fn not_found() -> HttpResponse {
    error_page(
        StatusCode::NOT_FOUND,
        "未找到该信访事项，或本单位无权查看",
        "/console/cases",
    )
}

/// `POST /console/cases/{id}`: `repeat` (link to the candidate `target`), `new`, `preview` (the
/// page again with the notices as they would read) or `decide`; back to the page, or the page
/// again with the errors beside their fields and everything typed kept.
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
    if !may_decide(&staff) {
        return Ok(forbidden());
    }
    let id = path.into_inner();
    let pairs = form_pairs(&body);
    let action = field(&pairs, "action").to_string();
    let Some(data) = load(&staff, id, &pool, &services).await? else {
        return Ok(not_found());
    };
    let token = staff.access_token.as_str();
    if matches!(action.as_str(), "repeat" | "new") {
        // The decision form below keeps its first values; the refusal goes above the candidates.
        let mut form = prefilled(
            data.suggestion.as_ref().unwrap_or(&Value::Null),
            today_in_china(),
        );
        form.values
            .insert("idem".into(), Uuid::new_v4().to_string());
        let (message, status) = if !csrf_ok_for(&req, field(&pairs, "csrf")) {
            (
                "页面已过期，请核对后重新提交".to_string(),
                StatusCode::FORBIDDEN,
            )
        } else {
            let body = if action == "repeat" {
                json!({ "decision": "repeat", "earlier_petition_id": field(&pairs, "target") })
            } else {
                json!({ "decision": "new" })
            };
            let answer = services
                .intake
                .send(
                    reqwest::Method::POST,
                    &format!("petitions/{id}/repeat"),
                    token,
                    &body,
                )
                .await;
            match answer {
                Ok(a) if a.status == 200 => {
                    return Ok(
                        see_other(&format!("/console/cases/{id}?done={action}#done")).finish(),
                    )
                }
                Ok(a) => (
                    a.message(),
                    StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_GATEWAY),
                ),
                Err(_) => (
                    "登记服务暂时无法连接，请稍后重试".to_string(),
                    StatusCode::BAD_GATEWAY,
                ),
            }
        };
        return Ok(page(
            &staff,
            &data,
            &form,
            Some(&message),
            &[],
            None,
            status,
        ));
    }
    let mut flash = Flash::new("decide", "", &pairs);
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        flash.error("form", "页面已过期，请核对后重新提交");
        return Ok(page(
            &staff,
            &data,
            &flash,
            None,
            &[],
            None,
            StatusCode::FORBIDDEN,
        ));
    }
    let mut previews = Vec::new();
    let status = match action.as_str() {
        "preview" => {
            let unit_name = |c: &str| data.unit_name(c);
            let prior_id = flash.value("prior_petition_id").to_string();
            let prior = data
                .candidates
                .iter()
                .find(|c| c.id == prior_id)
                .map(|c| (c.case_number.as_str(), c.finalized));
            let facts = NoticeFacts {
                case_number: data.petition["case_number"].as_str().unwrap_or(""),
                organ_name: &staff.unit_name,
                category: data.petition["category"].as_str(),
                unit_name: &unit_name,
                prior,
            };
            let plans = notices_of(&flash, &facts, today_in_china());
            if plans.is_empty() {
                flash.error("kind", "请选择决定类型");
            }
            let mut worst = StatusCode::OK;
            for plan in plans {
                let answer = services
                    .notification
                    .send(
                        reqwest::Method::POST,
                        &format!("templates/{}/preview", plan.code),
                        token,
                        &json!(plan.fields),
                    )
                    .await;
                match answer {
                    Ok(a) if a.status == 200 => previews.push(Preview {
                        name: a.body["name"].as_str().unwrap_or("").to_string(),
                        to: plan.to.clone(),
                        title: a.body["title"].as_str().unwrap_or("").to_string(),
                        paragraphs: a.body["body"]
                            .as_str()
                            .unwrap_or("")
                            .lines()
                            .map(str::to_string)
                            .collect(),
                        // Intake writes a bar's reason itself from the prior case (第十九条 or
                        // 第三十六条), before the clerk's addition.
                        note: matches!(plan.code, "bar_notice" | "decline_notice_in_progress")
                            .then_some("正式告知书的理由由登记系统按前案办理情况写明（第十九条或第三十六条），此处只显示补充理由。"),
                    }),
                    Ok(a) => {
                        for e in a.field_errors() {
                            let message = preview_message(&e);
                            flash.add(
                                &FieldError {
                                    field: form_field_of(&e.field).to_string(),
                                    message,
                                },
                                &DECISION_FIELDS,
                            );
                        }
                        if a.field_errors().is_empty() {
                            flash.error("form", &format!("告知书预览失败：{}", a.message()));
                        }
                        worst = StatusCode::UNPROCESSABLE_ENTITY;
                    }
                    Err(_) => {
                        flash.error("form", "通知送达服务暂时无法连接，无法预览告知书");
                        worst = StatusCode::BAD_GATEWAY;
                    }
                }
            }
            worst
        }
        "decide" => match decision_body(&mut flash) {
            None => StatusCode::UNPROCESSABLE_ENTITY,
            Some(body) => {
                let key = Uuid::parse_str(flash.value("idem"))
                    .unwrap_or_else(|_| Uuid::new_v4())
                    .to_string();
                let answer = services
                    .intake
                    .post_once(&format!("petitions/{id}/decisions"), token, &key, &body)
                    .await;
                match answer {
                    Ok(a) if (200..300).contains(&a.status) => {
                        return Ok(
                            see_other(&format!("/console/cases/{id}?done=decide#done")).finish()
                        )
                    }
                    Ok(a) => {
                        let errors = a.field_errors();
                        for e in &errors {
                            flash.add(&beside(e), &DECISION_FIELDS);
                        }
                        if errors.is_empty() {
                            flash.error("form", &a.message());
                        }
                        // A refused decision is sent again under a new key.
                        flash
                            .values
                            .insert("idem".into(), Uuid::new_v4().to_string());
                        StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_GATEWAY)
                    }
                    Err(_) => {
                        flash.error("form", "登记服务暂时无法连接，请稍后重试（已填内容未丢失）");
                        StatusCode::BAD_GATEWAY
                    }
                }
            }
        },
        _ => {
            flash.error("form", "未知的操作，请刷新页面后重试");
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    Ok(page(&staff, &data, &flash, None, &previews, None, status))
}

/// A preview's refusal in the clerk's words (the template's field named by its form label).
fn preview_message(e: &FieldError) -> String {
    let label = match e.field.as_str() {
        "to_unit" => "接收单位",
        "due_on" => "办结期限",
        "reason" => "理由",
        "legal_channel" => "法定途径",
        "handling_unit" => "办理单位",
        "prior_case_number" => "前案",
        "accepted_on" | "decided_on" => "作出决定日期",
        "instructions" => "交办要求",
        _ => return e.message.clone(),
    };
    format!("预览告知书需要填写{label}")
}

/// One line of the pending list (待分办).
#[derive(Debug, Serialize)]
struct PendingRow {
    id: String,
    case_number: String,
    received_on: String,
    channel: &'static str,
    summary: String,
    status: &'static str,
}

/// `GET /console/cases`: the registered petitions still waiting for a decision (待分办), oldest
/// received first; each links to its case page.
pub async fn pending(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let Some(staff) = current(&req, &pool, &waker, &state).await? else {
        return Ok(to_login());
    };
    if !may_decide(&staff) {
        return Ok(forbidden());
    }
    let token = staff.access_token.as_str();
    let (registered, returned) = tokio::join!(
        services
            .intake
            .get("petitions?status=registered&limit=200", token),
        services
            .intake
            .get("petitions?status=returned&limit=200", token),
    );
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    for answer in [registered, returned] {
        match answer {
            Ok(a) if a.status == 200 => {
                for p in a.body["items"].as_array().into_iter().flatten() {
                    rows.push(PendingRow {
                        id: p["id"].as_str().unwrap_or("").to_string(),
                        case_number: p["case_number"].as_str().unwrap_or("").to_string(),
                        received_on: p["received_on"].as_str().unwrap_or("").to_string(),
                        channel: channel_zh(p["channel"].as_str().unwrap_or("")),
                        summary: p["summary"].as_str().unwrap_or("").to_string(),
                        status: status_zh(p["status"].as_str().unwrap_or("")),
                    });
                }
            }
            Ok(a) => problems.push(format!("待分办列表暂时无法读取：{}", a.message())),
            Err(_) => problems.push("登记服务暂时无法连接，请稍后重试".to_string()),
        }
    }
    rows.sort_by(|a, b| (&a.received_on, &a.case_number).cmp(&(&b.received_on, &b.case_number)));
    Ok(render(
        StatusCode::OK,
        "clerk_cases.html",
        minijinja::context! {
            title => "待分办信访事项",
            staff => staff.view(),
            rows => rows,
            problems => problems,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flash(pairs: &[(&str, &str)]) -> Flash {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Flash::new("decide", "", &pairs)
    }

    fn names(code: &str) -> String {
        match code {
            "140423-RSJ" => "襄垣县人力资源和社会保障局".into(),
            other => other.into(),
        }
    }

    fn facts<'a>(unit_name: &'a dyn Fn(&str) -> String) -> NoticeFacts<'a> {
        NoticeFacts {
            case_number: "140423-2026-000002",
            organ_name: "襄垣县信访局",
            category: Some("claim"),
            unit_name,
            prior: Some(("140423-2026-000001", false)),
        }
    }

    #[test]
    fn each_decision_sends_its_own_notices() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let n = &names;
        let codes = |pairs: &[(&str, &str)]| {
            notices_of(&flash(pairs), &facts(n), today)
                .iter()
                .map(|p| p.code)
                .collect::<Vec<_>>()
        };
        assert_eq!(codes(&[("kind", "accept")]), ["acceptance_notice"]);
        assert_eq!(
            codes(&[("kind", "accept"), ("handling_unit", "140423-RSJ")]),
            ["acceptance_notice", "handling_to_unit"]
        );
        assert_eq!(
            codes(&[("kind", "decline"), ("legal_channel", "litigation")]),
            ["decline_notice"]
        );
        assert_eq!(
            codes(&[("kind", "decline"), ("ground", "outside_remit")]),
            ["decline_notice_outside_remit"]
        );
        assert_eq!(codes(&[("kind", "bar")]), ["decline_notice_in_progress"]);
        assert_eq!(
            codes(&[("kind", "transfer")]),
            ["transfer_notice", "transfer_to_unit"]
        );
        assert_eq!(
            codes(&[("kind", "assign")]),
            ["assignment_info", "assignment_to_unit"]
        );
        assert!(codes(&[("kind", "")]).is_empty());
        // A final prior case: 不再受理告知书 (art 36).
        let mut f = facts(n);
        f.prior = Some(("140423-2025-000009", true));
        let plans = notices_of(&flash(&[("kind", "bar")]), &f, today);
        assert_eq!(plans[0].code, "bar_notice");
        assert_eq!(plans[0].fields["prior_case_number"], "140423-2025-000009");
        // The assignment's notices: the organ's name, never the code; the date of the act.
        let plans = notices_of(
            &flash(&[
                ("kind", "assign"),
                ("to_unit", "140423-RSJ"),
                ("due_on", "2026-12-20"),
                ("decided_on", "2026-11-30"),
            ]),
            &facts(n),
            today,
        );
        assert_eq!(plans[0].fields["to_unit"], "襄垣县人力资源和社会保障局");
        assert_eq!(plans[0].fields["decided_on"], "2026-11-30");
        assert_eq!(plans[1].to, "襄垣县人力资源和社会保障局");
        assert_eq!(plans[1].fields["due_on"], "2026-12-20");
        assert_eq!(plans[1].fields["case_number"], "140423-2026-000002");
        assert_eq!(form_field_of("prior_case_number"), "prior_petition_id");
        assert_eq!(form_field_of("accepted_on"), "decided_on");
    }

    #[test]
    fn the_form_becomes_intakes_decision_body() {
        let mut f = flash(&[
            ("kind", "assign"),
            ("to_unit", "140423-RSJ"),
            ("due_on", "2026-12-20"),
            ("instructions", "请核实"),
            ("decided_on", "2026-11-30"),
            ("reason", "不属于交办的字段"),
            ("handling_unit", "140423-ZJJ"),
            ("override_reason", ""),
        ]);
        let b = decision_body(&mut f).unwrap();
        assert_eq!(
            b,
            json!({ "kind": "assign", "to_unit": "140423-RSJ", "due_on": "2026-12-20",
                    "instructions": "请核实", "decided_on": "2026-11-30" })
        );
        let mut f = flash(&[
            ("kind", "accept"),
            ("reason", "符合受理条件"),
            ("simple_track", "on"),
        ]);
        let b = decision_body(&mut f).unwrap();
        assert_eq!(b["simple_track"], true);
        assert!(b.get("handling_unit").is_none());
        let mut f = flash(&[("kind", "assign"), ("due_on", "")]);
        assert!(decision_body(&mut f).is_none());
        assert_eq!(f.errors["due_on"], "请填写办结期限");
        assert!(f.errors["to_unit"].contains("接收单位"));
        let e = beside(&FieldError {
            field: "to_unit".into(),
            message: "to_unit: 单位目录中没有该单位".into(),
        });
        assert_eq!(e.message, "单位目录中没有该单位");
        let e = beside(&FieldError {
            field: "override_reason".into(),
            message: "须填写偏离建议的理由（override_reason）".into(),
        });
        assert_eq!(e.message, "须填写偏离建议的理由");
        let mut f = flash(&[("kind", "bar"), ("prior_petition_id", "x")]);
        assert!(decision_body(&mut f).is_none());
        assert!(f.errors["prior_petition_id"].contains("前案"));
        let mut f = flash(&[("kind", "accept"), ("decided_on", "2026-13-01")]);
        assert!(decision_body(&mut f).is_none());
        assert!(f.errors.contains_key("decided_on"));
        let mut f = flash(&[("kind", "")]);
        assert!(decision_body(&mut f).is_none());
        assert!(f.errors.contains_key("kind"));
    }

    #[test]
    fn the_suggestion_prefills_the_form() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let f = prefilled(
            &json!({ "rule_version": 2, "rule_index": 0, "legal_channel": "arbitration", "guidance": "请申请劳动仲裁" }),
            today,
        );
        assert_eq!(f.value("kind"), "decline");
        assert_eq!(f.value("legal_channel"), "arbitration");
        assert_eq!(f.value("guidance"), "请申请劳动仲裁");
        let f = prefilled(&json!({ "rule_version": 2, "unit": "140423-RSJ" }), today);
        assert_eq!(
            (f.value("kind"), f.value("to_unit")),
            ("transfer", "140423-RSJ")
        );
        let f = prefilled(&Value::Null, today);
        assert_eq!(
            (f.value("kind"), f.value("decided_on")),
            ("accept", "2026-12-01")
        );
        assert_eq!(legal_channel_zh("arbitration"), "仲裁");
        assert_eq!(
            channel_code(LegalChannel::PoliticalLegal),
            "political_legal"
        );
    }
}
