//! The supervisor's and leader's pages (督查专员、领导页面), over supervision's published API
//! (statistics, findings, orders, leader assignments, campaigns, reports) and intake's petition
//! view (case numbers of the overdue list), called with the person's own token:
//!
//! - `/console/oversight`: indicators by unit, township, field and channel with SVG charts and
//!   the numbers in tables beside them; hot fields and townships; the trend by month; hot-spot
//!   warnings; the five findings (五个应当) and the overdue list (超期清单).
//! - `/console/oversight/orders`: supervision orders (督办) and their escalation, 包案 cases.
//! - `/console/oversight/campaigns`: the campaigns with their progress, a new campaign, and a
//!   campaign's board (专项行动看板, e.g. 百日百件).
//! - `/console/oversight/reports`: the annual report and the monthly 通报, generated as a job
//!   whose page shows progress (a `<progress>` element, refreshed by the `Refresh` header, no
//!   script), then viewed in the page and downloaded as Markdown or HTML.

use std::collections::HashMap;

use actix_web::{http::header, http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};
use futures::future::join_all;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::{time::today_in_china, ApiError};

use super::{
    client::{ok_or_message, Services},
    nav::staff_ctx,
    security::{page_headers, see_other},
    staff::{csrf_ok_for, field, form_pairs, Staff},
    svg,
    view::render,
};
use crate::{
    api::state::AppState,
    store::report_jobs::{self, ReportJobRow},
};

/// The oversight pages' routes (under `/console`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/oversight", web::get().to(dashboard))
        .route("/oversight/orders", web::get().to(orders))
        .route("/oversight/campaigns", web::get().to(campaigns))
        .route("/oversight/campaigns", web::post().to(create_campaign))
        .route(
            "/oversight/campaigns/{id}/cases",
            web::post().to(add_campaign_cases),
        )
        .route("/oversight/reports", web::get().to(reports))
        .route("/oversight/reports", web::post().to(start_report))
        .route("/oversight/reports/jobs/{id}", web::get().to(report_job))
        .route(
            "/oversight/reports/jobs/{id}/download",
            web::get().to(download_report),
        );
}

macro_rules! overseer_or_page {
    ($req:expr, $pool:expr, $waker:expr, $state:expr) => {
        $crate::pages::nav::staff_or_page!(
            $req,
            $pool,
            $waker,
            $state,
            $crate::pages::nav::OVERSIGHT_ROLES,
            "督查督办与统计页面"
        )
    };
}

/// The five assessment questions (五个应当), in their order.
pub const QUESTIONS: [(&str, &str); 5] = [
    ("unregistered_visit", "应登记不登记"),
    ("unaccepted", "应受理不受理"),
    ("unhandled", "应办理不办理"),
    ("unaccounted", "应追责不追责"),
    ("uninvestigated", "应查处不查处"),
];

/// A figure as people read it: a count, a percentage, or why there is none.
fn figure(m: &Value) -> String {
    match m["status"].as_str() {
        Some("not_yet_measured") => "尚未统计".into(),
        Some("no_cases") => "—（无案件）".into(),
        _ => match (m["value"].as_f64(), m["denominator"].is_null()) {
            (Some(v), true) => format!("{}", v.round() as i64),
            (Some(v), false) => format!("{:.1}%", v * 100.0),
            (None, _) => "—".into(),
        },
    }
}

fn count(m: &Value) -> f64 {
    m["value"].as_f64().unwrap_or(0.0)
}

/// The period form's dates (统计区间): defaults from 1 January to today.
#[derive(Debug, Deserialize)]
pub struct PeriodQuery {
    from: Option<String>,
    to: Option<String>,
}

struct Period {
    from: NaiveDate,
    to: NaiveDate,
    error: Option<String>,
}

fn period_of(q: &PeriodQuery) -> Period {
    let today = today_in_china();
    let default_from = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let parse = |s: &Option<String>| {
        s.as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d"))
    };
    let mut error = None;
    let from = match parse(&q.from) {
        Some(Ok(d)) => d,
        Some(Err(_)) => {
            error = Some("开始日期格式应为 年-月-日".to_string());
            default_from
        }
        None => default_from,
    };
    let to = match parse(&q.to) {
        Some(Ok(d)) => d,
        Some(Err(_)) => {
            error = Some("结束日期格式应为 年-月-日".to_string());
            today
        }
        None => today,
    };
    if to < from {
        return Period {
            from: default_from,
            to: today,
            error: Some("结束日期不能早于开始日期".into()),
        };
    }
    Period { from, to, error }
}

/// One row of a grouped table, and its bar.
#[derive(Debug, Serialize)]
struct GroupRow {
    label: String,
    volume: i64,
    on_time_acceptance: String,
    repeat: String,
    findings: i64,
}

#[derive(Debug, Serialize)]
struct Chart {
    id: &'static str,
    heading: &'static str,
    /// The SVG, built by [`svg`] from escaped text.
    svg: String,
    rows: Vec<GroupRow>,
    first_column: &'static str,
}

fn group_rows(report: &Value) -> Vec<GroupRow> {
    let mut rows: Vec<GroupRow> = report["groups"]
        .as_array()
        .map(|gs| {
            gs.iter()
                .map(|g| {
                    let i = &g["indicators"];
                    let label = g["label"].as_str().unwrap_or("").to_string();
                    GroupRow {
                        label: if label.is_empty() {
                            "未填写".into()
                        } else {
                            label
                        },
                        volume: count(&i["volume"]) as i64,
                        on_time_acceptance: figure(&i["on_time_acceptance_rate"]),
                        repeat: figure(&i["repeat_petition_rate"]),
                        findings: i["findings"]
                            .as_object()
                            .map(|m| m.values().filter_map(Value::as_i64).sum())
                            .unwrap_or(0),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    rows.sort_by(|a, b| b.volume.cmp(&a.volume).then(a.label.cmp(&b.label)));
    rows
}

fn chart(
    id: &'static str,
    heading: &'static str,
    first_column: &'static str,
    report: &Value,
    period: &str,
) -> Chart {
    let rows = group_rows(report);
    let top: Vec<(String, f64)> = rows
        .iter()
        .filter(|r| r.volume > 0)
        .take(10)
        .map(|r| (r.label.clone(), r.volume as f64))
        .collect();
    let desc = if top.is_empty() {
        format!("{period}：本期无信访事项")
    } else {
        format!(
            "{period}，信访量前{}位：{}",
            top.len(),
            top.iter()
                .map(|(l, v)| format!("{l} {v} 件"))
                .collect::<Vec<_>>()
                .join("，")
        )
    };
    Chart {
        id,
        heading,
        svg: svg::bar_chart(id, heading, &desc, &top),
        rows,
        first_column,
    }
}

/// The first day of the month `back` months before `d`'s month.
fn month_start(d: NaiveDate, back: u32) -> NaiveDate {
    let first = d.with_day(1).unwrap_or(d);
    first.checked_sub_months(Months::new(back)).unwrap_or(first)
}

fn month_end(start: NaiveDate) -> NaiveDate {
    start
        .checked_add_months(Months::new(1))
        .and_then(|n| n.pred_opt())
        .unwrap_or(start)
}

/// An overdue case (超期事项): an open finding of 应受理不受理 or 应办理不办理.
#[derive(Debug, Serialize)]
struct OverdueRow {
    question: String,
    case_number: String,
    unit: String,
    detail: String,
    raised_on: String,
}

/// `GET /console/oversight`: the dashboard (统计看板).
#[tracing::instrument(skip_all)]
pub async fn dashboard(
    req: HttpRequest,
    query: web::Query<PeriodQuery>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = overseer_or_page!(req, pool, waker, state);
    let p = period_of(&query);
    let token = staff.access_token.as_str();
    let sup = &services.supervision;
    let range = format!("from={}&to={}", p.from, p.to);
    let grouped = ["unit", "township", "field", "channel"].map(|g| {
        let path = format!("statistics/indicators?{range}&group_by={g}");
        async move { ok_or_message(sup.get(&path, token).await, "统计指标") }
    });
    let months: Vec<NaiveDate> = (0..12).rev().map(|b| month_start(p.to, b)).collect();
    let trend = months.iter().map(|m| {
        let path = format!("statistics/indicators?from={m}&to={}", month_end(*m));
        async move { ok_or_message(sup.get(&path, token).await, "按月趋势") }
    });
    let hotspot_path = format!("statistics/hotspots?{range}");
    let (grouped, trend, hotspots, findings) = futures::join!(
        join_all(grouped),
        join_all(trend),
        async { ok_or_message(sup.get(&hotspot_path, token).await, "预警") },
        async { ok_or_message(sup.get("findings?limit=200", token).await, "考核发现") },
    );
    let mut errors: Vec<String> = p.error.iter().cloned().collect();
    let mut take = |r: Result<Value, String>| match r {
        Ok(v) => v,
        Err(e) => {
            if !errors.contains(&e) {
                errors.push(e);
            }
            Value::Null
        }
    };
    let mut grouped = grouped
        .into_iter()
        .map(&mut take)
        .collect::<Vec<_>>()
        .into_iter();
    let mut next = || grouped.next().unwrap_or(Value::Null);
    let (by_unit, by_township, by_field, by_channel) = (next(), next(), next(), next());
    let trend: Vec<Value> = trend.into_iter().map(&mut take).collect();
    let hotspots = take(hotspots);
    let findings = take(findings);
    let period_label = format!("{} 至 {}", p.from, p.to);
    let total = &by_unit["total"];
    let cards = [
        ("信访总量", figure(&total["volume"])),
        ("按期受理率", figure(&total["on_time_acceptance_rate"])),
        ("按期办结率", figure(&total["on_time_closure_rate"])),
        ("满意率", figure(&total["satisfaction_rate"])),
        ("重复信访率", figure(&total["repeat_petition_rate"])),
        ("调解成功率", figure(&total["mediation_success_rate"])),
        ("交办", figure(&total["assignments"])),
        ("转送", figure(&total["transfers"])),
    ];
    let five: Vec<(String, i64)> = QUESTIONS
        .iter()
        .map(|(k, label)| {
            (
                label.to_string(),
                total["findings"][*k].as_i64().unwrap_or(0),
            )
        })
        .collect();
    let trend_points: Vec<(String, f64)> = months
        .iter()
        .zip(&trend)
        .map(|(m, r)| (format!("{}月", m.month()), count(&r["total"]["volume"])))
        .collect();
    let trend_rows: Vec<(String, i64)> = months
        .iter()
        .zip(&trend_points)
        .map(|(m, (_, v))| (m.format("%Y-%m").to_string(), *v as i64))
        .collect();
    let trend_desc = format!(
        "近 12 个月每月收到的信访量：{}",
        trend_rows
            .iter()
            .map(|(m, v)| format!("{m} {v} 件"))
            .collect::<Vec<_>>()
            .join("，")
    );
    let charts = vec![
        chart("by-field", "热点领域", "领域", &by_field, &period_label),
        chart(
            "by-township",
            "热点乡镇",
            "乡镇",
            &by_township,
            &period_label,
        ),
        chart("by-unit", "按责任单位", "单位", &by_unit, &period_label),
        chart(
            "by-channel",
            "按信访渠道",
            "渠道",
            &by_channel,
            &period_label,
        ),
    ];
    let overdue = overdue_rows(&services, token, &findings).await;
    let hot: Vec<Value> = hotspots["hotspots"].as_array().cloned().unwrap_or_default();
    Ok(render(
        StatusCode::OK,
        "dashboard.html",
        minijinja::context! {
            title => "统计看板",
            staff => staff_ctx(&staff),
            from => p.from.to_string(),
            to => p.to.to_string(),
            period => period_label,
            errors => errors,
            cards => cards,
            five => five,
            charts => charts,
            trend_svg => svg::line_chart("trend", "按月趋势", &trend_desc, &trend_points),
            trend_rows => trend_rows,
            hotspots => hot,
            overdue => overdue,
        },
    ))
}

/// The open findings of overdue acceptance and handling, with their case numbers from intake.
async fn overdue_rows(services: &Services, token: &str, findings: &Value) -> Vec<OverdueRow> {
    let open: Vec<&Value> = findings["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|f| {
                    f["resolved_at"].is_null()
                        && matches!(f["question"].as_str(), Some("unaccepted" | "unhandled"))
                })
                .take(50)
                .collect()
        })
        .unwrap_or_default();
    let numbers = join_all(open.iter().map(|f| async move {
        match f["case_id"].as_str() {
            Some(id) => services
                .intake
                .get(&format!("petitions/{id}"), token)
                .await
                .ok()
                .filter(|a| a.status == 200)
                .map(|a| a.body),
            None => None,
        }
    }))
    .await;
    open.iter()
        .zip(numbers)
        .map(|(f, case)| {
            let case = case.unwrap_or(Value::Null);
            OverdueRow {
                question: f["question_label"].as_str().unwrap_or("").to_string(),
                case_number: case["case_number"].as_str().unwrap_or("—").to_string(),
                unit: case["handling_unit_name"]
                    .as_str()
                    .or(case["registering_unit_name"].as_str())
                    .or(f["unit_code"].as_str())
                    .unwrap_or("")
                    .to_string(),
                detail: f["detail"].as_str().unwrap_or("").to_string(),
                raised_on: f["raised_at"]
                    .as_str()
                    .unwrap_or("")
                    .chars()
                    .take(10)
                    .collect(),
            }
        })
        .collect()
}

/// Organ names (单位名称) from the console's own directory, by code.
async fn unit_names(pool: &PgPool) -> Result<HashMap<String, String>, ApiError> {
    Ok(crate::store::units::list(pool, &Default::default())
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect())
}

fn name_of(names: &HashMap<String, String>, code: &Value) -> String {
    let code = code.as_str().unwrap_or("");
    names.get(code).cloned().unwrap_or_else(|| code.to_string())
}

/// A case's status in supervision's read model, in Chinese.
fn case_status_zh(s: &str) -> String {
    match s {
        "registered" => "已登记",
        "accepted" => "已受理",
        "assigned" => "已交办",
        "transferred" => "已转送",
        "declined" => "不予受理",
        "barred" => "不再受理",
        "handling" => "办理中",
        "closed" | "finalized" => "已办结",
        other => return other.to_string(),
    }
    .to_string()
}

fn order_status_zh(s: &str) -> &'static str {
    match s {
        "open" => "待反馈",
        "responded" => "已反馈",
        "escalated" => "已升级督办",
        "overdue" => "逾期未反馈",
        _ => "其他",
    }
}

/// `GET /console/oversight/orders`: supervision orders and their escalation, leaders' cases.
pub async fn orders(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = overseer_or_page!(req, pool, waker, state);
    let token = staff.access_token.as_str();
    let sup = &services.supervision;
    let (orders, leaders) = futures::join!(
        async { ok_or_message(sup.get("orders?limit=200", token).await, "督办") },
        async {
            ok_or_message(
                sup.get("leader-assignments?limit=200", token).await,
                "领导包案",
            )
        },
    );
    let mut errors = Vec::new();
    let orders = orders.unwrap_or_else(|e| {
        errors.push(e);
        Value::Null
    });
    let leaders = leaders.unwrap_or_else(|e| {
        errors.push(e);
        Value::Null
    });
    let names = unit_names(&pool).await?;
    let items: Vec<Value> = orders["items"].as_array().cloned().unwrap_or_default();
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let parent = o["parent_id"].as_str();
            let escalated_from = parent.and_then(|pid| {
                items
                    .iter()
                    .find(|x| x["id"].as_str() == Some(pid))
                    .map(|x| x["kind_label"].as_str().unwrap_or("").to_string())
            });
            serde_json::json!({
                "kind": o["kind_label"],
                "case_number": o["case_number"].as_str().or(o["pattern"].as_str()).unwrap_or("—"),
                "unit": name_of(&names, &o["unit"]),
                "summary": o["summary"],
                "issued_on": o["issued_on"],
                "respond_by": o["respond_by"],
                "status": order_status_zh(o["status"].as_str().unwrap_or("")),
                "overdue": o["status"] == "overdue",
                "escalated_from": escalated_from.or_else(|| parent.map(|_| "上级督办".to_string())),
                "response": o["response"],
            })
        })
        .collect();
    let mut leader_rows: Vec<Value> = leaders["items"].as_array().cloned().unwrap_or_default();
    for l in &mut leader_rows {
        l["responsible_unit"] = Value::from(name_of(&names, &l["responsible_unit"]));
        l["case_status"] = Value::from(case_status_zh(l["case_status"].as_str().unwrap_or("")));
    }
    Ok(render(
        StatusCode::OK,
        "dashboard_orders.html",
        minijinja::context! {
            title => "督办与领导包案",
            staff => staff_ctx(&staff),
            errors => errors,
            orders => rows,
            leaders => leader_rows,
        },
    ))
}

#[derive(Debug, Deserialize)]
pub struct CampaignQuery {
    id: Option<String>,
    /// After cases were added: how many were new to the campaign, how many already in it.
    added: Option<u64>,
    already: Option<u64>,
}

/// The campaign forms as typed (创建专项行动, 纳入信访件), kept when they are refused.
#[derive(Debug, Default, Serialize)]
struct CampaignForm {
    name: String,
    description: String,
    target_on: String,
    /// Case numbers to add to the campaign shown (案件编号, one per line).
    case_numbers: String,
    /// What the last change did (已纳入 N 件).
    notice: Option<String>,
    errors: HashMap<String, String>,
}

/// The case numbers of a pasted list: one per line, or separated by commas, spaces, 、 or ；.
fn case_numbers_of(text: &str) -> Vec<String> {
    let mut numbers: Vec<String> = text
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '，' | '、' | ';' | '；'))
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    numbers.dedup();
    numbers
}

/// `GET /console/oversight/campaigns?id=…`: the campaigns (专项行动, e.g. 百日百件) with their
/// progress, and the board of the one chosen.
pub async fn campaigns(
    req: HttpRequest,
    query: web::Query<CampaignQuery>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = overseer_or_page!(req, pool, waker, state);
    let id = query.id.as_deref().unwrap_or("").trim().to_string();
    let form = CampaignForm {
        notice: query.added.map(|added| {
            format!(
                "已纳入 {added} 件{}",
                match query.already {
                    Some(n) if n > 0 => format!("（另有 {n} 件此前已在本专项行动中）"),
                    _ => String::new(),
                }
            )
        }),
        ..CampaignForm::default()
    };
    campaigns_page(&staff, &pool, &services, &id, form, StatusCode::OK).await
}

/// `POST /console/oversight/campaigns/{id}/cases`: add cases by case number (纳入攻坚), through
/// supervision (which names any number it does not know and then adds nothing).
#[tracing::instrument(skip_all)]
pub async fn add_campaign_cases(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = overseer_or_page!(req, pool, waker, state);
    let Ok(id) = Uuid::parse_str(path.trim()) else {
        return Ok(super::view::error_page(
            StatusCode::NOT_FOUND,
            "未找到该专项行动",
            "/console/oversight/campaigns",
        ));
    };
    let id_text = id.to_string();
    let pairs = form_pairs(&body);
    let mut form = CampaignForm {
        case_numbers: field(&pairs, "case_numbers").to_string(),
        ..CampaignForm::default()
    };
    fn refuse(message: String, status: StatusCode, form: &mut CampaignForm) -> StatusCode {
        form.errors.insert("case_numbers".into(), message);
        status
    }
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        let status = refuse(
            "页面已过期，请核对后重新提交".into(),
            StatusCode::FORBIDDEN,
            &mut form,
        );
        return campaigns_page(&staff, &pool, &services, &id_text, form, status).await;
    }
    let numbers = case_numbers_of(&form.case_numbers);
    if numbers.is_empty() || numbers.len() > 500 {
        let status = refuse(
            "请填写 1 至 500 个案件编号（每行一个，如 140423-2026-000123）".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            &mut form,
        );
        return campaigns_page(&staff, &pool, &services, &id_text, form, status).await;
    }
    let answer = services
        .supervision
        .send(
            reqwest::Method::POST,
            &format!("campaigns/{id}/cases"),
            &staff.access_token,
            &serde_json::json!({ "case_numbers": numbers }),
        )
        .await;
    let status = match answer {
        Ok(a) if a.ok() => {
            let added = a.body["added"].as_u64().unwrap_or(0);
            let already = a.body["already_in"].as_u64().unwrap_or(0);
            return Ok(see_other(&format!(
                "/console/oversight/campaigns?id={id}&added={added}&already={already}"
            ))
            .finish());
        }
        Ok(a) => {
            let message = a
                .field_errors()
                .into_iter()
                .next()
                .map(|e| e.message)
                .unwrap_or_else(|| a.message());
            let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_GATEWAY);
            refuse(message, status, &mut form)
        }
        Err(e) => {
            tracing::warn!(error = %e, "supervision unreachable");
            refuse(
                "督查督办服务暂时无法连接，请稍后重试（已填内容未丢失）".into(),
                StatusCode::BAD_GATEWAY,
                &mut form,
            )
        }
    };
    campaigns_page(&staff, &pool, &services, &id_text, form, status).await
}

/// `POST /console/oversight/campaigns`: create a campaign through supervision, then show its board.
#[tracing::instrument(skip_all)]
pub async fn create_campaign(
    req: HttpRequest,
    body: web::Bytes,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = overseer_or_page!(req, pool, waker, state);
    let pairs = form_pairs(&body);
    let mut form = CampaignForm {
        name: field(&pairs, "name").trim().to_string(),
        description: field(&pairs, "description").trim().to_string(),
        target_on: field(&pairs, "target_on").trim().to_string(),
        ..CampaignForm::default()
    };
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        form.errors
            .insert("name".into(), "页面已过期，请核对后重新提交".into());
        return campaigns_page(&staff, &pool, &services, "", form, StatusCode::FORBIDDEN).await;
    }
    if form.name.is_empty() {
        form.errors
            .insert("name".into(), "请填写专项行动名称".into());
    }
    let target_on = NaiveDate::parse_from_str(&form.target_on, "%Y-%m-%d");
    if target_on.is_err() {
        form.errors.insert(
            "target_on".into(),
            "请填写目标日期，格式如 2027-03-10".into(),
        );
    }
    if !form.errors.is_empty() {
        return campaigns_page(
            &staff,
            &pool,
            &services,
            "",
            form,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let answer = services
        .supervision
        .send(
            reqwest::Method::POST,
            "campaigns",
            &staff.access_token,
            &serde_json::json!({
                "name": form.name,
                "description": form.description,
                "target_on": form.target_on,
            }),
        )
        .await;
    match answer {
        Ok(a) if a.status == 201 => {
            let id = a.body["id"].as_str().unwrap_or("");
            Ok(see_other(&format!("/console/oversight/campaigns?id={id}")).finish())
        }
        Ok(a) => {
            let errors = a.field_errors();
            if errors.is_empty() {
                form.errors.insert("name".into(), a.message());
            }
            for e in errors {
                let key = if ["name", "description", "target_on"].contains(&e.field.as_str()) {
                    e.field
                } else {
                    "name".into()
                };
                form.errors.insert(key, e.message);
            }
            let status = StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_GATEWAY);
            campaigns_page(&staff, &pool, &services, "", form, status).await
        }
        Err(e) => {
            tracing::warn!(error = %e, "supervision unreachable");
            form.errors.insert(
                "name".into(),
                "督查督办服务暂时无法连接，请稍后重试（已填内容未丢失）".into(),
            );
            campaigns_page(&staff, &pool, &services, "", form, StatusCode::BAD_GATEWAY).await
        }
    }
}

/// The campaigns page: the list with progress, the board of `id` (when given) and the form.
async fn campaigns_page(
    staff: &Staff,
    pool: &PgPool,
    services: &Services,
    id: &str,
    form: CampaignForm,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let mut error = None;
    let list = match ok_or_message(
        services
            .supervision
            .get("campaigns?limit=200", &staff.access_token)
            .await,
        "专项行动列表",
    ) {
        Ok(l) => l["items"].as_array().cloned().unwrap_or_default(),
        Err(e) => {
            error = Some(e);
            Vec::new()
        }
    };
    let mut board = Value::Null;
    let mut chart = String::new();
    if !id.is_empty() {
        match Uuid::parse_str(id) {
            Err(_) => error = Some("专项行动编号格式不正确".to_string()),
            Ok(uuid) => match ok_or_message(
                services
                    .supervision
                    .get(&format!("campaigns/{uuid}/board"), &staff.access_token)
                    .await,
                "专项行动看板",
            ) {
                Ok(mut b) => {
                    let names = unit_names(pool).await?;
                    if let Some(units) = b["by_unit"].as_array_mut() {
                        for u in units {
                            let code = u["unit"].as_str().unwrap_or("").to_string();
                            u["unit_name"] = Value::from(names.get(&code).cloned().unwrap_or(code));
                        }
                    }
                    let units: Vec<(String, f64)> = b["by_unit"]
                        .as_array()
                        .map(|us| {
                            us.iter()
                                .map(|u| {
                                    (
                                        u["unit_name"].as_str().unwrap_or("").to_string(),
                                        u["total"].as_f64().unwrap_or(0.0),
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    let desc = format!(
                        "共 {} 件，已办结 {} 件，超期 {} 件；各单位事项数：{}",
                        b["total"],
                        b["closed"],
                        b["overdue"],
                        units
                            .iter()
                            .map(|(u, n)| format!("{u} {n} 件"))
                            .collect::<Vec<_>>()
                            .join("，")
                    );
                    chart = svg::bar_chart("campaign", "各单位事项数", &desc, &units);
                    board = b;
                }
                Err(e) => error = Some(e),
            },
        }
    }
    let status = if error.is_some() && status == StatusCode::OK {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        status
    };
    Ok(render(
        status,
        "dashboard_campaigns.html",
        minijinja::context! {
            title => "专项行动",
            staff => staff_ctx(staff),
            id => id,
            error => error,
            campaigns => list,
            board => board,
            chart => chart,
            form => form,
            today => today_in_china().to_string(),
        },
    ))
}

// ---- reports (年度报告、月度通报) ----

/// A report as shown in the page: the title and its sections (parsed from supervision's Markdown;
/// every piece is text, escaped by the template).
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ReportView {
    pub title: String,
    pub sections: Vec<ReportSection>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ReportSection {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cur.push('|');
                chars.next();
            }
            '|' => out.push(std::mem::take(&mut cur).trim().to_string()),
            c => cur.push(c),
        }
    }
    out.push(cur.trim().to_string());
    out
}

/// Supervision's report Markdown (`#` title, `##` sections, paragraphs, one table per section).
pub fn parse_report(md: &str) -> ReportView {
    let mut r = ReportView::default();
    for line in md.lines() {
        let t = line.trim();
        if let Some(title) = t.strip_prefix("# ") {
            r.title = title.to_string();
        } else if let Some(h) = t.strip_prefix("## ") {
            r.sections.push(ReportSection {
                heading: h.to_string(),
                ..ReportSection::default()
            });
        } else if t.is_empty() {
            continue;
        } else {
            if r.sections.is_empty() {
                r.sections.push(ReportSection::default());
            }
            let Some(s) = r.sections.last_mut() else {
                continue;
            };
            if t.starts_with('|') {
                let row = cells(t);
                if row.iter().all(|c| c.chars().all(|ch| ch == '-')) {
                    continue;
                }
                if s.header.is_empty() {
                    s.header = row;
                } else {
                    s.rows.push(row);
                }
            } else {
                s.paragraphs.push(t.to_string());
            }
        }
    }
    r
}

/// A report job's state (报告生成进度), as the pages show it.
#[derive(Debug, Clone, PartialEq)]
enum JobState {
    Running { step: u32 },
    Done { md: String, html: String },
    Failed(String),
}

const JOB_STEPS: u32 = 2;
/// How long a job and its report are kept (30 minutes).
const JOB_KEPT_SECS: i64 = 30 * 60;
/// A running job that has not moved for this long was left by a console process that stopped.
const JOB_STALLED_SECS: i64 = 120;

/// The state of a stored job as of `now`: a running job whose replica stopped is shown failed.
fn job_state(row: &ReportJobRow, now: DateTime<Utc>) -> JobState {
    match row.state.as_str() {
        "done" => JobState::Done {
            md: row.markdown.clone().unwrap_or_default(),
            html: row.html.clone().unwrap_or_default(),
        },
        "failed" => JobState::Failed(row.error.clone().unwrap_or_else(|| "报告生成失败".into())),
        _ if (now - row.updated_at).num_seconds() > JOB_STALLED_SECS => {
            JobState::Failed("报告生成中断（生成该报告的服务进程已停止），请重新生成".into())
        }
        _ => JobState::Running {
            step: row.step.max(0) as u32,
        },
    }
}

/// Record a job's failure (a storage error is logged: the job then shows as interrupted).
async fn job_failed(pool: &PgPool, id: Uuid, message: &str) {
    if let Err(e) = report_jobs::set_failed(pool, id, message).await {
        tracing::warn!(error = %e, "report job: could not record the failure");
    }
}

fn kind_zh(kind: &str) -> &'static str {
    if kind == "annual" {
        "年度报告"
    } else {
        "月度通报"
    }
}

fn reports_page(
    staff: &Staff,
    kind: &str,
    period: &str,
    error: Option<(&str, String)>,
    status: StatusCode,
) -> HttpResponse {
    let today = today_in_china();
    let last_month = month_start(today, 1);
    render(
        status,
        "dashboard_reports.html",
        minijinja::context! {
            title => "报告与通报",
            staff => staff_ctx(staff),
            kind => kind,
            month => if kind == "monthly" && !period.is_empty() { period.to_string() } else { last_month.format("%Y-%m").to_string() },
            year => if kind == "annual" && !period.is_empty() { period.to_string() } else { (today.year() - 1).to_string() },
            error => error.map(|(f, m)| minijinja::context! { field => f, message => m }),
        },
    )
}

/// `GET /console/oversight/reports`: choose the annual report or a monthly 通报.
pub async fn reports(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = overseer_or_page!(req, pool, waker, state);
    Ok(reports_page(&staff, "monthly", "", None, StatusCode::OK))
}

/// `POST /console/oversight/reports`: start generating a report; → its progress page.
#[tracing::instrument(skip_all)]
pub async fn start_report(
    req: HttpRequest,
    body: web::Bytes,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = overseer_or_page!(req, pool, waker, state);
    let pairs = form_pairs(&body);
    let kind = if field(&pairs, "kind") == "annual" {
        "annual"
    } else {
        "monthly"
    };
    let (input, period) = if kind == "annual" {
        ("year", field(&pairs, "year").trim().to_string())
    } else {
        ("month", field(&pairs, "month").trim().to_string())
    };
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        return Ok(reports_page(
            &staff,
            kind,
            &period,
            Some((input, "页面已过期，请重新提交".into())),
            StatusCode::FORBIDDEN,
        ));
    }
    let valid = if kind == "annual" {
        period
            .parse::<i32>()
            .is_ok_and(|y| (2000..=2100).contains(&y))
    } else {
        NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").is_ok()
    };
    if !valid {
        let message = if kind == "annual" {
            "年份应为 2000 至 2100 之间的四位数字"
        } else {
            "月份格式应为 年-月，如 2026-11"
        };
        return Ok(reports_page(
            &staff,
            kind,
            &period,
            Some((input, message.into())),
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let id = Uuid::new_v4();
    report_jobs::insert(&pool, id, staff.account_id, kind, &period, JOB_KEPT_SECS).await?;
    let (pool2, services2, token) = (pool.clone(), services.clone(), staff.access_token.clone());
    let path = format!("reports/{kind}/{period}");
    actix_web::rt::spawn(async move {
        let pool = pool2.get_ref();
        let sup = &services2.supervision;
        let md = sup.get_text(&format!("{path}?format=md"), &token).await;
        let md = match md {
            Ok(a) if a.status == 200 => a.body,
            Ok(a) => {
                let msg = serde_json::from_str::<Value>(&a.body)
                    .ok()
                    .and_then(|v| v["message"].as_str().map(str::to_string))
                    .unwrap_or_else(|| "报告生成失败".into());
                job_failed(pool, id, &msg).await;
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "report: supervision unreachable");
                job_failed(pool, id, "督查督办服务暂时无法连接").await;
                return;
            }
        };
        if let Err(e) = report_jobs::set_step(pool, id, 1).await {
            tracing::warn!(error = %e, "report job: could not record progress");
        }
        let html = match sup.get_text(&format!("{path}?format=html"), &token).await {
            Ok(a) if a.status == 200 => a.body,
            _ => {
                job_failed(pool, id, "报告的网页版生成失败").await;
                return;
            }
        };
        if let Err(e) = report_jobs::set_done(pool, id, &md, &html).await {
            tracing::warn!(error = %e, "report job: could not store the report");
        }
    });
    Ok(see_other(&format!("/console/oversight/reports/jobs/{id}")).finish())
}

/// `GET /console/oversight/reports/jobs/{id}`: progress while generating, then the report.
pub async fn report_job(
    req: HttpRequest,
    path: web::Path<Uuid>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = overseer_or_page!(req, pool, waker, state);
    let id = path.into_inner();
    let Some(job) = report_jobs::get(&pool, id, staff.account_id, JOB_KEPT_SECS).await? else {
        return Ok(reports_page(
            &staff,
            "monthly",
            "",
            Some(("month", "该报告已过期或不存在，请重新生成".into())),
            StatusCode::NOT_FOUND,
        ));
    };
    let now = Utc::now();
    let title = format!("{}（{}）", kind_zh(&job.kind), job.period);
    let (step, report, failed) = match &job_state(&job, now) {
        JobState::Running { step } => (*step, None, None),
        JobState::Done { md, .. } => (JOB_STEPS, Some(parse_report(md)), None),
        JobState::Failed(m) => (0, None, Some(m.clone())),
    };
    let running = report.is_none() && failed.is_none();
    let mut res = render(
        if failed.is_some() {
            StatusCode::BAD_GATEWAY
        } else {
            StatusCode::OK
        },
        "dashboard_job.html",
        minijinja::context! {
            title => title,
            staff => staff_ctx(&staff),
            id => id.to_string(),
            running => running,
            step => step,
            steps => JOB_STEPS,
            elapsed => (now - job.started_at).num_seconds().max(0),
            report => report,
            failed => failed,
        },
    );
    if running {
        res.headers_mut().insert(
            header::HeaderName::from_static("refresh"),
            header::HeaderValue::from_static("1"),
        );
    }
    Ok(res)
}

#[derive(Debug, Deserialize)]
pub struct DownloadQuery {
    format: Option<String>,
}

/// `GET /console/oversight/reports/jobs/{id}/download?format=md|html`: the report as a file.
pub async fn download_report(
    req: HttpRequest,
    path: web::Path<Uuid>,
    query: web::Query<DownloadQuery>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let staff = overseer_or_page!(req, pool, waker, state);
    let job = report_jobs::get(&pool, path.into_inner(), staff.account_id, JOB_KEPT_SECS).await?;
    let Some((job, JobState::Done { md, html })) = job.map(|j| {
        let state = job_state(&j, Utc::now());
        (j, state)
    }) else {
        return Ok(reports_page(
            &staff,
            "monthly",
            "",
            Some(("month", "该报告尚未生成或已过期，请重新生成".into())),
            StatusCode::NOT_FOUND,
        ));
    };
    let (kind, period) = (job.kind, job.period);
    let (body, ext, content_type) = match query.format.as_deref() {
        Some("html") => (html, "html", "text/html; charset=utf-8"),
        _ => (md, "md", "text/markdown; charset=utf-8"),
    };
    let name = format!("{kind}-report-{period}.{ext}");
    Ok(page_headers(HttpResponse::Ok())
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_case_numbers_are_split_on_lines_commas_and_spaces() {
        assert_eq!(
            case_numbers_of(" 140423-2026-000123\r\n140423-2026-000124，140423-2026-000125、\n\n"),
            vec![
                "140423-2026-000123",
                "140423-2026-000124",
                "140423-2026-000125"
            ]
        );
        assert!(case_numbers_of(" \n ，").is_empty());
    }
    use serde_json::json;

    fn job(state: &str, step: i32, updated_secs_ago: i64) -> ReportJobRow {
        let now = Utc::now();
        ReportJobRow {
            id: Uuid::nil(),
            owner: Uuid::nil(),
            kind: "monthly".into(),
            period: "2026-11".into(),
            started_at: now - chrono::Duration::seconds(updated_secs_ago + 5),
            updated_at: now - chrono::Duration::seconds(updated_secs_ago),
            state: state.into(),
            step,
            markdown: (state == "done").then(|| "# 通报".into()),
            html: (state == "done").then(|| "<h1>通报</h1>".into()),
            error: (state == "failed").then(|| "督查督办服务暂时无法连接".into()),
        }
    }

    #[test]
    fn a_job_is_read_from_its_row_and_a_stalled_one_shows_as_interrupted() {
        let now = Utc::now();
        assert_eq!(
            job_state(&job("running", 1, 3), now),
            JobState::Running { step: 1 }
        );
        assert!(matches!(
            job_state(&job("running", 1, JOB_STALLED_SECS + 5), now),
            JobState::Failed(m) if m.contains("中断")
        ));
        assert_eq!(
            job_state(&job("done", 2, 999), now),
            JobState::Done {
                md: "# 通报".into(),
                html: "<h1>通报</h1>".into()
            }
        );
        assert_eq!(
            job_state(&job("failed", 0, 1), now),
            JobState::Failed("督查督办服务暂时无法连接".into())
        );
    }

    #[test]
    fn a_report_is_read_into_sections_and_tables() {
        let md = "# 2026年11月信访工作通报\n\n## 一、总体情况\n\n本月收到信访事项 3 件。\n\n| 单位 | 件数 |\n| --- | --- |\n| 县信访局 | 2 |\n| a\\|b | 1 |\n";
        let r = parse_report(md);
        assert_eq!(r.title, "2026年11月信访工作通报");
        assert_eq!(r.sections.len(), 1);
        assert_eq!(r.sections[0].paragraphs, vec!["本月收到信访事项 3 件。"]);
        assert_eq!(r.sections[0].header, vec!["单位", "件数"]);
        assert_eq!(r.sections[0].rows[1], vec!["a|b", "1"]);
    }

    #[test]
    fn figures_say_why_there_is_no_number() {
        assert_eq!(
            figure(&json!({"status": "measured", "value": 3.0, "denominator": null})),
            "3"
        );
        assert_eq!(
            figure(
                &json!({"status": "measured", "value": 0.755, "numerator": 3, "denominator": 4})
            ),
            "75.5%"
        );
        assert_eq!(
            figure(&json!({"status": "no_cases", "value": null})),
            "—（无案件）"
        );
        assert_eq!(figure(&json!({"status": "not_yet_measured"})), "尚未统计");
    }

    #[test]
    fn twelve_months_end_with_the_last_day() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 15).unwrap();
        assert_eq!(
            month_start(d, 0),
            NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
        );
        assert_eq!(
            month_start(d, 11),
            NaiveDate::from_ymd_opt(2025, 4, 1).unwrap()
        );
        assert_eq!(
            month_end(NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()),
            NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()
        );
    }
}
