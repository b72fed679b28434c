//! Holiday calendars in the administrator's pages (节假日日历): what supervision has loaded, and a
//! form that publishes a year's arrangement (发布年度节假日安排) when the State Council's notice
//! comes out. The form takes the notice as it reads, one line per holiday and per make-up working
//! day; each line is checked here first (the error names the line), then supervision checks the
//! whole year (`POST /api/v1/calendar/years`: dates in the year, no overlaps, make-up days on
//! weekends) and re-projects every deadline the year affects.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::{Datelike, NaiveDate};
use serde_json::{json, Value};
use sqlx::PgPool;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::ApiError;

use super::{
    admin::{admin_or_page, errors_of},
    client::{ok_or_message, Services},
    intake::{by_field, FieldError},
    nav::staff_ctx,
    security::see_other,
    staff::{csrf_ok_for, field, form_pairs, Staff},
    view::render,
};
use crate::api::state::AppState;

type Data<T> = web::Data<T>;

/// The holiday calendars' routes (under `/console`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/admin/calendars", web::get().to(calendars))
        .route("/admin/calendars", web::post().to(publish));
}

/// The form's fields as typed (发布表单).
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct CalendarForm {
    pub year: String,
    pub source: String,
    pub notes: String,
    pub holidays: String,
    pub make_up: String,
}

impl CalendarForm {
    fn from_pairs(pairs: &[(String, String)]) -> CalendarForm {
        CalendarForm {
            year: field(pairs, "year").trim().to_string(),
            source: field(pairs, "source").trim().to_string(),
            notes: field(pairs, "notes").trim().to_string(),
            holidays: field(pairs, "holidays").replace("\r\n", "\n"),
            make_up: field(pairs, "make_up").replace("\r\n", "\n"),
        }
    }

    /// The year's JSON as `deploy/calendars/README.md` describes it, or every error of the form,
    /// each on its field and naming the line.
    pub fn arrangement(&self) -> Result<Value, Vec<FieldError>> {
        let mut errors = Vec::new();
        let year = match self.year.parse::<i32>() {
            Ok(y) if (2000..=2100).contains(&y) => Some(y),
            _ => {
                errors.push(err("year", "请填写年度（2000 至 2100 之间的四位数字）"));
                None
            }
        };
        if self.source.is_empty() {
            errors.push(err(
                "source",
                "请填写通知文号或标题（如“国办发明电〔2026〕X号”）",
            ));
        }
        let mut holidays = Vec::new();
        for (n, line) in lines(&self.holidays) {
            match holiday_line(line) {
                Ok((name, from, to)) => {
                    holidays.push(json!({ "name": name, "from": from, "to": to }))
                }
                Err(m) => errors.push(err("holidays", &format!("第 {n} 行：{m}"))),
            }
        }
        if holidays.is_empty() && !errors.iter().any(|e| e.field == "holidays") {
            errors.push(err(
                "holidays",
                "请至少填写一项放假安排（每行：节日名称 起始日期 结束日期）",
            ));
        }
        let mut make_up = Vec::new();
        for (n, line) in lines(&self.make_up) {
            match make_up_line(line) {
                Ok((date, name)) => make_up.push(json!({ "date": date, "for": name })),
                Err(m) => errors.push(err("make_up", &format!("第 {n} 行：{m}"))),
            }
        }
        if let Some(y) = year {
            let outside = |d: &Value| {
                d.as_str()
                    .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                    .is_some_and(|d| d.year() != y)
            };
            if holidays
                .iter()
                .any(|h| outside(&h["from"]) || outside(&h["to"]))
            {
                errors.push(err(
                    "holidays",
                    &format!("日期须在 {y} 年内；跨年的假期请分别在两个年度中填写"),
                ));
            }
            if make_up.iter().any(|m| outside(&m["date"])) {
                errors.push(err("make_up", &format!("调休上班日须在 {y} 年内")));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut doc = json!({
            "year": year,
            "source": self.source,
            "holidays": holidays,
            "make_up_working_days": make_up,
        });
        if !self.notes.is_empty() {
            doc["notes"] = json!(self.notes);
        }
        Ok(doc)
    }
}

fn err(field: &str, message: &str) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// The non-empty lines with their numbers (from 1).
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty())
}

/// The words of a line: spaces, commas, 至, ～, ~ and dashes between dates all separate.
fn words(line: &str) -> Vec<String> {
    line.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '，' | '至' | '~' | '～' | '—' | '–' | ';' | '；')
    })
    .filter(|w| !w.is_empty())
    .map(str::to_string)
    .collect()
}

/// A date as people write it: 2027-02-06, 2027/2/6, 2027.2.6, 2027年2月6日.
fn date(w: &str) -> Option<NaiveDate> {
    let normal: String = w
        .replace(['年', '月', '/', '.'], "-")
        .trim_end_matches('日')
        .to_string();
    NaiveDate::parse_from_str(&normal, "%Y-%m-%d").ok()
}

/// `春节 2027-02-06 2027-02-13`, `元旦 2027-01-01` (one day), `春节 2027年2月6日至2月13日` is not
/// accepted (the second date needs its year).
fn holiday_line(line: &str) -> Result<(String, String, String), String> {
    let w = words(line);
    let dates: Vec<NaiveDate> = w.iter().filter_map(|x| date(x)).collect();
    let name: Vec<&str> = w
        .iter()
        .filter(|x| date(x).is_none())
        .map(String::as_str)
        .collect();
    if name.is_empty() {
        return Err("缺少节日名称（如 春节）".into());
    }
    if name.iter().any(|n| n.chars().any(|c| c.is_ascii_digit())) {
        return Err(format!(
            "“{}”不是有效日期，日期应写作 YYYY-MM-DD",
            name.join(" ")
        ));
    }
    let (from, to) = match dates.as_slice() {
        [d] => (*d, *d),
        [a, b] => (*a, *b),
        [] => return Err("缺少日期（每行：节日名称 起始日期 结束日期）".into()),
        _ => return Err("日期多于两个（每行一段假期：起始日期 结束日期）".into()),
    };
    if from > to {
        return Err("起始日期晚于结束日期".into());
    }
    Ok((name.join(""), from.to_string(), to.to_string()))
}

/// `2027-02-14 春节`: the Saturday or Sunday worked, and the holiday it makes up for.
fn make_up_line(line: &str) -> Result<(String, String), String> {
    let w = words(line);
    let dates: Vec<NaiveDate> = w.iter().filter_map(|x| date(x)).collect();
    let name: Vec<&str> = w
        .iter()
        .filter(|x| date(x).is_none())
        .map(String::as_str)
        .collect();
    let [d] = dates.as_slice() else {
        return Err("每行填写一个调休上班日期及对应节日（如 2027-02-14 春节）".into());
    };
    if name.is_empty() {
        return Err("缺少对应的节日名称".into());
    }
    if name.iter().any(|n| n.chars().any(|c| c.is_ascii_digit())) {
        return Err(format!(
            "“{}”不是有效日期，日期应写作 YYYY-MM-DD",
            name.join(" ")
        ));
    }
    Ok((d.to_string(), name.join("")))
}

/// `GET /console/admin/calendars`: the holiday arrangements supervision has loaded (published)
/// and the years it computes provisionally (暂定) until theirs is published, with the form.
pub async fn calendars(
    req: HttpRequest,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let published = req
        .query_string()
        .strip_prefix("published=")
        .and_then(|y| y.parse::<i32>().ok());
    Ok(page(&staff, &services, None, &[], published, StatusCode::OK).await)
}

/// `POST /console/admin/calendars`: publish a year (supervision checks it and re-projects the
/// deadlines it affects).
#[tracing::instrument(skip_all)]
pub async fn publish(
    req: HttpRequest,
    body: web::Bytes,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = admin_or_page!(req, pool, waker, state);
    let pairs = form_pairs(&body);
    let form = CalendarForm::from_pairs(&pairs);
    if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        let e = [err("form", "页面已过期，请核对后重新提交")];
        return Ok(page(
            &staff,
            &services,
            Some(&form),
            &e,
            None,
            StatusCode::FORBIDDEN,
        )
        .await);
    }
    let doc = match form.arrangement() {
        Ok(d) => d,
        Err(e) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(page(&staff, &services, Some(&form), &e, None, status).await);
        }
    };
    let a = match services
        .supervision
        .send(
            reqwest::Method::POST,
            "calendar/years",
            &staff.access_token,
            &doc,
        )
        .await
    {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "supervision unreachable");
            let e = [err(
                "form",
                "督查督办服务暂时无法连接，请稍后重试（已填内容未丢失）",
            )];
            return Ok(page(
                &staff,
                &services,
                Some(&form),
                &e,
                None,
                StatusCode::BAD_GATEWAY,
            )
            .await);
        }
    };
    if a.ok() {
        let year = doc["year"].as_i64().unwrap_or_default();
        return Ok(see_other(&format!("/console/admin/calendars?published={year}")).finish());
    }
    // Supervision's whole-year check names `body` (the arrangement) or `year`.
    let errors: Vec<FieldError> = errors_of(&a, "form")
        .into_iter()
        .map(|mut e| {
            if e.field == "body" {
                e.field = "form".into();
            }
            e
        })
        .collect();
    Ok(page(
        &staff,
        &services,
        Some(&form),
        &errors,
        None,
        a.status_code(),
    )
    .await)
}

async fn page(
    staff: &Staff,
    services: &Services,
    form: Option<&CalendarForm>,
    errors: &[FieldError],
    published: Option<i32>,
    status: StatusCode,
) -> HttpResponse {
    let r = ok_or_message(
        services
            .supervision
            .get("calendar/years", &staff.access_token)
            .await,
        "节假日日历",
    );
    let (loaded, error) = match r {
        Ok(v) => (v, None),
        Err(e) => (json!([]), Some(e)),
    };
    let this_year = xinfang_platform::time::today_in_china().year();
    let years: Vec<Value> = (this_year - 1..=this_year + 1)
        .map(|y| {
            let found = loaded
                .as_array()
                .and_then(|a| a.iter().find(|l| l["year"].as_i64() == Some(y as i64)));
            match found {
                Some(l) => json!({
                    "year": y, "published": true, "source": l["source"],
                    "origin": if l["origin"] == "file" { "部署文件" } else { "运行中发布" },
                    "holidays": l["holidays"], "make_up": l["make_up_working_days"],
                }),
                None => json!({ "year": y, "published": false }),
            }
        })
        .collect();
    // The form starts at the first year not yet published (usually next year).
    let next = years
        .iter()
        .find(|y| y["published"] == false && y["year"].as_i64() >= Some(this_year as i64))
        .and_then(|y| y["year"].as_i64())
        .unwrap_or(this_year as i64 + 1);
    let form = form.cloned().unwrap_or_else(|| CalendarForm {
        year: next.to_string(),
        ..CalendarForm::default()
    });
    let error_of = by_field(errors);
    render(
        status,
        "admin_calendars.html",
        minijinja::context! {
            title => "节假日日历",
            staff => staff_ctx(staff),
            years => years,
            loaded => loaded,
            error => error,
            form => form,
            error_of => error_of,
            published => published,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(holidays: &str, make_up: &str) -> CalendarForm {
        CalendarForm {
            year: "2027".into(),
            source: "国办发明电〔2026〕X号".into(),
            notes: String::new(),
            holidays: holidays.into(),
            make_up: make_up.into(),
        }
    }

    #[test]
    fn the_notice_as_it_reads_becomes_the_years_json() {
        let doc = form(
            "元旦 2027-01-01\n\n春节 2027年2月6日 至 2027年2月13日\r\n国庆、中秋 2027/10/1~2027/10/7",
            "2027-02-14 春节\n春节, 2027.2.20",
        )
        .arrangement()
        .unwrap();
        assert_eq!(doc["year"], 2027);
        assert_eq!(
            doc["holidays"],
            json!([
                {"name": "元旦", "from": "2027-01-01", "to": "2027-01-01"},
                {"name": "春节", "from": "2027-02-06", "to": "2027-02-13"},
                {"name": "国庆、中秋", "from": "2027-10-01", "to": "2027-10-07"},
            ])
        );
        assert_eq!(
            doc["make_up_working_days"],
            json!([{"date": "2027-02-14", "for": "春节"}, {"date": "2027-02-20", "for": "春节"}])
        );
        assert!(doc.get("notes").is_none());
    }

    #[test]
    fn each_wrong_line_is_named_on_its_field() {
        let e = form("春节 2027-02-13 2027-02-06\n清明 2027-04-5x", "2027-02-14")
            .arrangement()
            .unwrap_err();
        let on = |f: &str| {
            e.iter()
                .filter(|x| x.field == f)
                .map(|x| x.message.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(on("holidays").len(), 2, "{e:?}");
        assert!(on("holidays")[0].starts_with("第 1 行：起始日期晚于结束日期"));
        assert!(on("holidays")[1].starts_with("第 2 行："));
        assert!(on("make_up")[0].contains("对应的节日"));
    }

    #[test]
    fn year_source_and_dates_outside_the_year_are_refused() {
        let mut f = form("元旦 2028-01-01", "");
        f.source.clear();
        let e = f.arrangement().unwrap_err();
        assert!(e.iter().any(|x| x.field == "source"));
        assert!(e
            .iter()
            .any(|x| x.field == "holidays" && x.message.contains("2027 年内")));
        f.year = "27".into();
        assert!(f
            .arrangement()
            .unwrap_err()
            .iter()
            .any(|x| x.field == "year"));
        assert!(form("", "")
            .arrangement()
            .unwrap_err()
            .iter()
            .any(|x| x.field == "holidays"));
    }
}
