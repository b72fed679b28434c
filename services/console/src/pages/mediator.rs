//! The mediator's pages (调解员): their referrals (调解列表), one mediation — each party's consent
//! (当事人意愿), scheduling a session (安排调解, a double booking refused beside the time or the
//! room), the agreement (调解协议) — and the calendar of their sessions by week or month
//! (调解日程). Every change goes to the mediation service with the mediator's own token.

use std::collections::BTreeMap;

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::{
    time::{china_time, from_china_time, today_in_china},
    ApiError,
};

use super::{
    client::{Services, Svc},
    forms::Flash,
    intake::FieldError,
    security::see_other,
    staff::{csrf_ok_for, current, field, form_pairs, to_login, Staff},
    view::{error_page, render},
};
use crate::api::state::AppState;

fn may_mediate(staff: &Staff) -> bool {
    staff.has_any(&["mediator"])
}

fn forbidden() -> HttpResponse {
    error_page(
        StatusCode::FORBIDDEN,
        "当前账号不是调解员，无权查看调解工作台",
        "/console/",
    )
}

pub fn status_zh(status: &str) -> &'static str {
    match status {
        "awaiting_consent" => "待当事人同意",
        "consented" => "当事人已同意，待安排调解",
        "in_session" => "调解中",
        "agreed" => "已达成协议",
        "consent_refused" => "当事人不同意调解",
        "withdrawn" => "已撤回",
        "failed" => "调解不成",
        _ => "未知状态",
    }
}

/// An instant (RFC 3339) as China time text (`YYYY-MM-DD HH:MM`).
fn china_text(v: &Value) -> String {
    v.as_str()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| {
            china_time(t.with_timezone(&chrono::Utc))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// `GET /console/mediation`: the mediator's referrals (我的调解).
pub async fn list(
    req: HttpRequest,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let Some(staff) = current(&req, &pool, &waker, &state).await? else {
        return Ok(to_login());
    };
    if !may_mediate(&staff) {
        return Ok(forbidden());
    }
    let a = services
        .get(
            Svc::Mediation,
            "mediations?mine=true&limit=200",
            Some(&staff.access_token),
        )
        .await;
    let rows: Vec<Value> = a
        .body
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| {
            json!({
                "id": m["id"], "case_number": m["case_number"], "summary": m["summary"],
                "body_name": m["body_name"], "mediator_name": m["mediator_name"],
                "referred_on": m["referred_on"], "status": status_zh(m["status"].as_str().unwrap_or("")),
                "open": m["ended_on"].is_null(),
            })
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        "mediator_list.html",
        minijinja::context! {
            title => "我的调解",
            staff => staff.view(),
            rows => rows,
            problem => (!a.ok()).then(|| a.message()),
        },
    ))
}

/// One day of the calendar (日程中的一天).
#[derive(Debug, Serialize)]
struct Day {
    date: String,
    weekday: &'static str,
    today: bool,
    sessions: Vec<Value>,
}

fn weekday_zh(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

/// The days a calendar view covers: the week (Monday to Sunday) or the month of `anchor`.
fn period(view: &str, anchor: NaiveDate) -> (NaiveDate, NaiveDate) {
    if view == "month" {
        let first = anchor.with_day(1).unwrap_or(anchor);
        let next = if first.month() == 12 {
            NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
        }
        .unwrap_or(first + Duration::days(31));
        (first, next - Duration::days(1))
    } else {
        let monday = anchor - Duration::days(anchor.weekday().num_days_from_monday() as i64);
        (monday, monday + Duration::days(6))
    }
}

/// `GET /console/mediation/calendar?view=week|month&from=YYYY-MM-DD`: the mediator's sessions
/// day by day (调解日程).
pub async fn calendar(
    req: HttpRequest,
    query: web::Query<BTreeMap<String, String>>,
    pool: web::Data<PgPool>,
    waker: web::Data<OutboxWaker>,
    state: web::Data<AppState>,
    services: web::Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let Some(staff) = current(&req, &pool, &waker, &state).await? else {
        return Ok(to_login());
    };
    if !may_mediate(&staff) {
        return Ok(forbidden());
    }
    let today = today_in_china();
    let view = if query.get("view").map(String::as_str) == Some("month") {
        "month"
    } else {
        "week"
    };
    let anchor = query
        .get("from")
        .and_then(|d| d.parse::<NaiveDate>().ok())
        .unwrap_or(today);
    let (from, to) = period(view, anchor);
    let a = services
        .get(
            Svc::Mediation,
            &format!("sessions?mine=true&from={from}&to={to}"),
            Some(&staff.access_token),
        )
        .await;
    // The cases of the sessions, for their numbers and summaries.
    let mediations = services
        .get(
            Svc::Mediation,
            "mediations?mine=true&limit=200",
            Some(&staff.access_token),
        )
        .await;
    let of: BTreeMap<String, &Value> = mediations
        .body
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["id"].as_str().map(|id| (id.to_string(), m)))
        .collect();
    let mut days: Vec<Day> = Vec::new();
    let mut d = from;
    while d <= to {
        days.push(Day {
            date: d.to_string(),
            weekday: weekday_zh(d.weekday()),
            today: d == today,
            sessions: Vec::new(),
        });
        d += Duration::days(1);
    }
    for s in a.body.as_array().into_iter().flatten() {
        let starts = china_text(&s["starts_at"]);
        let Some(day) = days.iter_mut().find(|x| starts.starts_with(&x.date)) else {
            continue;
        };
        let m = s["mediation_id"]
            .as_str()
            .and_then(|id| of.get(id))
            .copied()
            .unwrap_or(&Value::Null);
        day.sessions.push(json!({
            "mediation_id": s["mediation_id"], "from": starts.get(11..).unwrap_or(""),
            "to": china_text(&s["ends_at"]).get(11..).unwrap_or("").to_string(),
            "place": s["place"], "room": s["room"], "status": s["status"],
            "case_number": m["case_number"], "summary": m["summary"],
        }));
    }
    let shown: Vec<Day> = if view == "month" {
        days.into_iter()
            .filter(|d| !d.sessions.is_empty() || d.today)
            .collect()
    } else {
        days
    };
    let step = if view == "month" {
        (
            period("month", from - Duration::days(1)).0,
            to + Duration::days(1),
        )
    } else {
        (from - Duration::days(7), from + Duration::days(7))
    };
    Ok(render(
        StatusCode::OK,
        "mediator_calendar.html",
        minijinja::context! {
            title => "调解日程",
            staff => staff.view(),
            view => view,
            from => from.to_string(),
            to => to.to_string(),
            days => shown,
            previous => step.0.to_string(),
            next => step.1.to_string(),
            problem => (!a.ok()).then(|| a.message()),
        },
    ))
}

fn done_zh(action: &str) -> Option<&'static str> {
    Some(match action {
        "consent" => "当事人意愿已记录",
        "session" => "调解已安排，已通知当事人",
        "agreement" => "调解协议已登记",
        _ => return None,
    })
}

fn mediation_page(
    staff: &Staff,
    m: &Value,
    flash: &Flash,
    done: Option<&str>,
    status: StatusCode,
) -> HttpResponse {
    let sessions: Vec<Value> = m["sessions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| {
            json!({ "from": china_text(&s["starts_at"]), "to": china_text(&s["ends_at"]).get(11..).unwrap_or("").to_string(),
                    "place": s["place"], "room": s["room"], "participants": s["participants"], "status": s["status"] })
        })
        .collect();
    let st = m["mediation"]["status"].as_str().unwrap_or("");
    let today = today_in_china();
    render(
        status,
        "mediator_case.html",
        minijinja::context! {
            title => "调解",
            staff => staff.view(),
            m => m["mediation"],
            status => status_zh(st),
            parties => m["parties"],
            party_names => m["parties"].as_array().into_iter().flatten()
                .filter_map(|p| p["name"].as_str()).collect::<Vec<_>>().join("、"),
            sessions => sessions,
            agreement => m["agreement"],
            flash => flash,
            done => done.and_then(done_zh),
            may_consent => st == "awaiting_consent",
            may_schedule => matches!(st, "consented" | "in_session"),
            may_agree => matches!(st, "consented" | "in_session") && m["agreement"].is_null(),
            today => today.to_string(),
            tomorrow => (today + Duration::days(1)).to_string(),
            idem => Uuid::new_v4().to_string(),
        },
    )
}

async fn load(services: &Services, staff: &Staff, id: Uuid) -> Option<Value> {
    let a = services
        .get(
            Svc::Mediation,
            &format!("mediations/{id}"),
            Some(&staff.access_token),
        )
        .await;
    a.ok().then_some(a.body)
}

fn not_found() -> HttpResponse {
    error_page(
        StatusCode::NOT_FOUND,
        "未找到该调解，或无权查看",
        "/console/mediation",
    )
}

/// `GET /console/mediation/{id}`: one mediation with its parties, sessions and agreement.
pub async fn mediation(
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
    if !may_mediate(&staff) {
        return Ok(forbidden());
    }
    let Some(m) = load(&services, &staff, path.into_inner()).await else {
        return Ok(not_found());
    };
    Ok(mediation_page(
        &staff,
        &m,
        &Flash::default(),
        query.get("done").map(String::as_str),
        StatusCode::OK,
    ))
}

/// A date and a time of day in China (北京时间) as an instant, or the error beside `field`.
fn instant(f: &mut Flash, date: &str, time: &str, field: &str, label: &str) -> Option<String> {
    let d = f.date(date, "调解日期")?;
    let t = match NaiveTime::parse_from_str(f.value(time), "%H:%M") {
        Ok(t) => t,
        Err(_) => {
            f.error(field, &format!("请填写{label}（时:分）"));
            return None;
        }
    };
    Some(from_china_time(NaiveDateTime::new(d, t)).to_rfc3339())
}

/// The call of `action` (path and body), or the errors found on the page; with the form's fields.
fn call_of(
    action: &str,
    id: Uuid,
    f: &mut Flash,
    parties: &[String],
) -> Option<(String, Value, &'static [&'static str])> {
    let c = match action {
        "consent" => {
            let consented = match f.value("consented") {
                "yes" => true,
                "no" => false,
                _ => {
                    f.error("consented", "请选择同意或不同意");
                    false
                }
            };
            let mut b = json!({ "party": f.value("party"), "consented": consented, "method": f.value("method") });
            if let Some(n) = f.text("note") {
                b["note"] = json!(n);
            }
            (
                format!("mediations/{id}/consents"),
                b,
                &["party", "consented", "method", "note"][..],
            )
        }
        "session" => {
            let starts = instant(f, "date", "start", "start", "开始时间");
            let ends = instant(f, "date", "end", "end", "结束时间");
            let participants: Vec<String> = f
                .value("participants")
                .split(['、', ',', '，', '\n'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            let mut b = json!({ "starts_at": starts, "ends_at": ends, "place": f.value("place"),
                                "participants": participants });
            if let Some(r) = f.text("room") {
                b["room"] = json!(r);
            }
            (
                format!("mediations/{id}/sessions"),
                b,
                &["starts_at", "ends_at", "place", "room", "participants"][..],
            )
        }
        "agreement" => {
            let form = f.value("form").to_string();
            let perform_by = f.optional_date("perform_by", "履行期限");
            let mut signatures = Vec::new();
            if form == "written" {
                for (i, p) in parties.iter().enumerate() {
                    if let Some(d) = f.optional_date(&format!("signed_on_{i}"), "签名日期") {
                        signatures.push(json!({ "party": p, "signed_on": d }));
                    }
                }
            }
            let mut b = json!({ "form": form, "dispute": f.value("dispute"), "terms": f.value("terms"),
                                "signatures": signatures });
            if let Some(d) = perform_by {
                b["perform_by"] = json!(d);
            }
            if form == "oral" {
                if let Some(d) = f.optional_date("agreed_on", "达成日期") {
                    b["agreed_on"] = json!(d);
                }
            }
            (
                format!("mediations/{id}/agreement"),
                b,
                &[
                    "form",
                    "dispute",
                    "terms",
                    "perform_by",
                    "signatures",
                    "agreed_on",
                ][..],
            )
        }
        _ => {
            f.error("form", "未知的操作，请刷新页面后重试");
            return None;
        }
    };
    (!f.has_errors()).then_some(c)
}

/// The service's field names as the session form names them (its time fields are split in two).
fn session_field(field: &str) -> &str {
    match field {
        "starts_at" => "start",
        "ends_at" => "end",
        other => other,
    }
}

/// `POST /console/mediation/{id}`: one step (`action`); back to the mediation page, or the page
/// again with the service's errors beside their fields (a double booking beside the time or the
/// room it clashes on).
#[tracing::instrument(skip_all, fields(mediation = %path))]
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
    if !may_mediate(&staff) {
        return Ok(forbidden());
    }
    let id = path.into_inner();
    let Some(m) = load(&services, &staff, id).await else {
        return Ok(not_found());
    };
    let parties: Vec<String> = m["parties"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|p| p["name"].as_str().map(str::to_string))
        .collect();
    let pairs = form_pairs(&body);
    let action = field(&pairs, "action").to_string();
    let mut flash = Flash::new(&action, "", &pairs);
    let status = if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        flash.error("form", "页面已过期，请核对后重新提交");
        StatusCode::FORBIDDEN
    } else if let Some((path, body, known)) = call_of(&action, id, &mut flash, &parties) {
        let idem = flash.text("idem");
        let answer = services
            .post(
                Svc::Mediation,
                &path,
                &staff.access_token,
                idem.as_deref(),
                &body,
            )
            .await;
        if answer.ok() {
            return Ok(see_other(&format!("/console/mediation/{id}?done={action}#done")).finish());
        }
        if answer.body["code"] == "double_booking" {
            let on_room = answer.body["details"]["conflict"] == "room";
            flash.error(if on_room { "room" } else { "start" }, &answer.message());
        } else {
            for e in answer.errors_for("form") {
                let e = FieldError {
                    field: session_field(&e.field).to_string(),
                    message: e.message,
                };
                let mut known_here: Vec<&str> = known.to_vec();
                known_here.extend(["start", "end"]);
                flash.add(&e, &known_here);
            }
        }
        StatusCode::from_u16(answer.status).unwrap_or(StatusCode::BAD_GATEWAY)
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(mediation_page(&staff, &m, &flash, None, status))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_week_runs_monday_to_sunday_and_a_month_from_its_first_day() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert_eq!(
            period("week", d),
            (
                NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
                NaiveDate::from_ymd_opt(2026, 12, 6).unwrap()
            )
        );
        assert_eq!(
            period("month", d),
            (
                NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
                NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
            )
        );
    }

    #[test]
    fn a_session_in_china_time_goes_out_in_utc() {
        let pairs: Vec<(String, String)> = [
            ("date", "2026-12-02"),
            ("start", "09:00"),
            ("end", "10:30"),
            ("place", "古韩镇司法所"),
            ("participants", "张三、李四"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let mut f = Flash::new("session", "", &pairs);
        let (_, body, _) = call_of("session", Uuid::nil(), &mut f, &[]).unwrap();
        assert_eq!(body["starts_at"], "2026-12-02T01:00:00+00:00");
        assert_eq!(body["ends_at"], "2026-12-02T02:30:00+00:00");
        assert_eq!(body["participants"], json!(["张三", "李四"]));
        let mut f = Flash::new("session", "", &[]);
        assert!(call_of("session", Uuid::nil(), &mut f, &[]).is_none());
        assert!(f.errors.contains_key("date"));
    }
}
