//! The post room's and operators' page (收发室与送达): letters awaiting the post, printed one by one
//! or all at once (批量打印), each marked posted with its tracking number (邮件号) and later as
//! received (签收); notices waiting to be handed over in person, recorded with the signature date;
//! SMS and e-mail deliveries that failed, retried by hand. Everything goes through notification's
//! delivery API with the member of staff's own token. Window clerks and administrators.

use std::collections::{BTreeMap, HashMap};

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use serde_json::{json, Value};
use sqlx::PgPool;
use uuid::Uuid;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::ApiError;

use super::{
    client::Services,
    intake::{by_field, Answer, FieldError},
    nav::staff_ctx,
    security::see_other,
    staff::{csrf_ok_for, field, form_pairs, Staff},
    view::{download, error_page, render},
};
use crate::api::state::AppState;

type Data<T> = web::Data<T>;

/// The post room's routes (under `/console`).
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/post", web::get().to(page))
        .route("/post/letters.pdf", web::get().to(batch))
        .route("/post/{id}/letter.pdf", web::get().to(letter))
        .route("/post/{id}", web::post().to(act));
}

macro_rules! clerk_or_page {
    ($req:expr, $pool:expr, $waker:expr, $state:expr) => {
        $crate::pages::nav::staff_or_page!(
            $req,
            $pool,
            $waker,
            $state,
            $crate::pages::nav::POST_ROOM_ROLES,
            "收发室与送达页面"
        )
    };
}

/// What the operator asks of a delivery (送达操作), checked before notification is called.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// 已交寄, with the tracking number.
    Posted {
        tracking_number: String,
    },
    /// 已签收 / 当面送达: the date and who signed.
    Received {
        on: NaiveDate,
        signed_by: String,
    },
    HandedOver {
        on: NaiveDate,
        signed_by: String,
    },
    /// 手动重试 (a failed SMS or e-mail).
    Retry,
}

impl Step {
    /// The step of a submitted form, or the errors beside its fields (`{id}-tracking_number`, …).
    pub fn from_form(
        pairs: &[(String, String)],
        today: NaiveDate,
    ) -> Result<Step, Vec<FieldError>> {
        let err = |f: &str, m: &str| {
            vec![FieldError {
                field: f.into(),
                message: m.into(),
            }]
        };
        let signed = |pairs: &[(String, String)]| -> Result<(NaiveDate, String), Vec<FieldError>> {
            let on = field(pairs, "delivered_on").trim();
            let on = if on.is_empty() {
                today
            } else {
                NaiveDate::parse_from_str(on, "%Y-%m-%d")
                    .map_err(|_| err("delivered_on", "日期格式应为 YYYY-MM-DD"))?
            };
            if on > today {
                return Err(err("delivered_on", "签收日期不能晚于今天"));
            }
            let who = field(pairs, "signed_by").trim().to_string();
            if who.is_empty() {
                return Err(err("signed_by", "请填写签收人"));
            }
            if who.chars().count() > 50 {
                return Err(err("signed_by", "签收人不能超过 50 个字"));
            }
            Ok((on, who))
        };
        match field(pairs, "action") {
            "posted" => {
                let number = field(pairs, "tracking_number").trim().to_string();
                let ok = (6..=40).contains(&number.len())
                    && number
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-');
                if !ok {
                    return Err(err(
                        "tracking_number",
                        "请填写邮件号（6 至 40 位字母或数字，如 EMS 邮件号 1234567890123）",
                    ));
                }
                Ok(Step::Posted {
                    tracking_number: number,
                })
            }
            "received" => signed(pairs).map(|(on, signed_by)| Step::Received { on, signed_by }),
            "handover" => signed(pairs).map(|(on, signed_by)| Step::HandedOver { on, signed_by }),
            "retry" => Ok(Step::Retry),
            _ => Err(err("form", "未知操作")),
        }
    }

    /// Notification's path (under `deliveries/{id}/`) and body.
    fn call(&self) -> (&'static str, Value) {
        match self {
            Step::Posted { tracking_number } => {
                ("posted", json!({ "tracking_number": tracking_number }))
            }
            Step::Received { on, signed_by } => (
                "received",
                json!({ "delivered_on": on, "signed_by": signed_by }),
            ),
            Step::HandedOver { on, signed_by } => (
                "handover",
                json!({ "delivered_on": on, "signed_by": signed_by }),
            ),
            Step::Retry => ("retry", json!({})),
        }
    }
}

/// What a done step tells the operator.
fn done_of(what: &str) -> Option<&'static str> {
    match what {
        "posted" => Some("已登记交寄及邮件号"),
        "received" => Some("已登记签收，文书自签收日起送达"),
        "handover" => Some("已登记当面送达，文书自签名日起送达"),
        "retry" => Some("已重新发送"),
        _ => None,
    }
}

/// `GET /console/post`: the letters, handovers and failures.
pub async fn page(
    req: HttpRequest,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = clerk_or_page!(req, pool, waker, state);
    let done = req.query_string().strip_prefix("done=").and_then(done_of);
    render_page(
        &pool,
        &staff,
        &services,
        done,
        None,
        &BTreeMap::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /console/post/{id}`: one step of one delivery.
#[tracing::instrument(skip_all)]
pub async fn act(
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = clerk_or_page!(req, pool, waker, state);
    let Ok(id) = Uuid::parse_str(path.trim()) else {
        return Ok(error_page(
            StatusCode::NOT_FOUND,
            "未找到该送达记录",
            "/console/post",
        ));
    };
    let pairs = form_pairs(&body);
    let again = |errors: Vec<FieldError>, status: StatusCode| {
        let errors = by_field(&errors);
        let typed = json!({
            "tracking_number": field(&pairs, "tracking_number"),
            "delivered_on": field(&pairs, "delivered_on"),
            "signed_by": field(&pairs, "signed_by"),
        });
        (errors, typed, status)
    };
    let (errors, typed, status) = if !csrf_ok_for(&req, field(&pairs, "csrf")) {
        again(
            vec![FieldError {
                field: "form".into(),
                message: "页面已过期，请核对后重新提交".into(),
            }],
            StatusCode::FORBIDDEN,
        )
    } else {
        match Step::from_form(&pairs, xinfang_platform::time::today_in_china()) {
            Err(e) => again(e, StatusCode::UNPROCESSABLE_ENTITY),
            Ok(step) => {
                let (what, body) = step.call();
                let a = services
                    .notification
                    .send(
                        reqwest::Method::POST,
                        &format!("deliveries/{id}/{what}"),
                        &staff.access_token,
                        &body,
                    )
                    .await;
                match a {
                    Ok(a) if a.ok() => {
                        return Ok(see_other(&format!("/console/post?done={what}")).finish());
                    }
                    Ok(a) => {
                        let mut e = a.field_errors();
                        if e.is_empty() {
                            e.push(FieldError {
                                field: "form".into(),
                                message: a.message(),
                            });
                        }
                        again(e, a.status_code())
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "notification unreachable");
                        again(
                            vec![FieldError {
                                field: "form".into(),
                                message: "通知送达服务暂时无法连接，请稍后重试（已填内容未丢失）"
                                    .into(),
                            }],
                            StatusCode::BAD_GATEWAY,
                        )
                    }
                }
            }
        }
    };
    render_page(
        &pool,
        &staff,
        &services,
        None,
        Some((id, typed)),
        &errors,
        status,
    )
    .await
}

/// The page, with the errors of the delivery `target` beside its form and what was typed kept.
async fn render_page(
    pool: &PgPool,
    staff: &Staff,
    services: &Services,
    done: Option<&str>,
    target: Option<(Uuid, Value)>,
    errors: &BTreeMap<String, String>,
    status: StatusCode,
) -> Result<HttpResponse, ApiError> {
    let token = &staff.access_token;
    let list = |query: &'static str| async move {
        services
            .notification
            .get(&format!("deliveries?{query}"), token)
            .await
    };
    let (awaiting, posted, handover, failed, templates) = tokio::join!(
        list("channel=letter&status=awaiting_post&limit=500"),
        list("channel=letter&status=posted&limit=500"),
        list("channel=in_person&status=awaiting_handover&limit=500"),
        list("status=failed&limit=500"),
        services.notification.get("templates", token),
    );
    let mut error = None;
    let names: HashMap<String, String> = crate::store::units::list(pool, &Default::default())
        .await?
        .into_iter()
        .map(|u| (u.code, u.name))
        .collect();
    let titles: HashMap<String, String> = match templates {
        Ok(a) if a.ok() => a
            .body
            .as_array()
            .map(|ts| {
                ts.iter()
                    .filter_map(|t| {
                        Some((
                            t["code"].as_str()?.to_string(),
                            t["name"].as_str()?.to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        _ => HashMap::new(),
    };
    let mut rows = |a: Result<Answer, reqwest::Error>| -> Vec<Value> {
        match a {
            Ok(a) if a.ok() => {
                let mut items = a.body.as_array().cloned().unwrap_or_default();
                // Oldest first: the order they were queued in.
                items.reverse();
                for d in &mut items {
                    let kind = d["kind"].as_str().unwrap_or("").to_string();
                    d["kind_zh"] = json!(titles.get(&kind).cloned().unwrap_or(kind));
                    d["recipient_zh"] = json!(match d["recipient_unit"].as_str() {
                        Some(u) => names.get(u).cloned().unwrap_or_else(|| u.to_string()),
                        None => "信访人".to_string(),
                    });
                    d["queued_on"] = json!(d["updated_at"].as_str().unwrap_or("").get(..10));
                }
                items
            }
            Ok(a) => {
                error = Some(a.message());
                Vec::new()
            }
            Err(e) => {
                tracing::warn!(error = %e, "notification unreachable");
                error = Some("通知送达服务暂时无法连接，请稍后重试".to_string());
                Vec::new()
            }
        }
    };
    let awaiting = rows(awaiting);
    let posted = rows(posted);
    let handover = rows(handover);
    let failed = rows(failed);
    let (target_id, typed) = target
        .map(|(id, typed)| (id.to_string(), typed))
        .unwrap_or_default();
    let mut res = render(
        status,
        "post_room.html",
        minijinja::context! {
            title => "收发室与送达",
            staff => staff_ctx(staff),
            done => done,
            error => error,
            awaiting => awaiting,
            posted => posted,
            handover => handover,
            failed => failed,
            target => target_id,
            typed => typed,
            error_of => errors,
            today => xinfang_platform::time::today_in_china().to_string(),
        },
    );
    res.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

/// `GET /console/post/letters.pdf`: every letter awaiting the post in one PDF.
pub async fn batch(
    req: HttpRequest,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = clerk_or_page!(req, pool, waker, state);
    let today = xinfang_platform::time::today_in_china();
    Ok(pdf(
        &services,
        &staff,
        "deliveries/letters.pdf",
        &format!("letters-{today}.pdf"),
    )
    .await)
}

/// `GET /console/post/{id}/letter.pdf`: one letter.
pub async fn letter(
    req: HttpRequest,
    path: web::Path<String>,
    pool: Data<PgPool>,
    waker: Data<OutboxWaker>,
    state: Data<AppState>,
    services: Data<Services>,
) -> Result<HttpResponse, ApiError> {
    let staff = clerk_or_page!(req, pool, waker, state);
    let Ok(id) = Uuid::parse_str(path.trim()) else {
        return Ok(error_page(
            StatusCode::NOT_FOUND,
            "未找到该信件",
            "/console/post",
        ));
    };
    Ok(pdf(
        &services,
        &staff,
        &format!("deliveries/{id}/letter.pdf"),
        &format!("letter-{id}.pdf"),
    )
    .await)
}

async fn pdf(services: &Services, staff: &Staff, path: &str, filename: &str) -> HttpResponse {
    let answer = services
        .notification
        .get_bytes(path, &staff.access_token)
        .await;
    download(answer, filename, "/console/post")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_step_is_checked_before_notification_is_asked() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(
            Step::from_form(
                &pairs(&[("action", "posted"), ("tracking_number", " 1234567890123 ")]),
                today
            ),
            Ok(Step::Posted {
                tracking_number: "1234567890123".into()
            })
        );
        let e = Step::from_form(
            &pairs(&[("action", "posted"), ("tracking_number", "12")]),
            today,
        )
        .unwrap_err();
        assert_eq!(e[0].field, "tracking_number");
        let e = Step::from_form(
            &pairs(&[
                ("action", "received"),
                ("delivered_on", "2026-12-03"),
                ("signed_by", "张三"),
            ]),
            today,
        )
        .unwrap_err();
        assert_eq!(e[0].field, "delivered_on");
        let e = Step::from_form(&pairs(&[("action", "handover")]), today).unwrap_err();
        assert_eq!(e[0].field, "signed_by");
        assert_eq!(
            Step::from_form(
                &pairs(&[("action", "handover"), ("signed_by", "李四")]),
                today
            ),
            Ok(Step::HandedOver {
                on: today,
                signed_by: "李四".into()
            })
        );
        assert_eq!(
            Step::from_form(&pairs(&[("action", "retry")]), today),
            Ok(Step::Retry)
        );
    }
}
