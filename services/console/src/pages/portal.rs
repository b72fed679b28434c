//! The petitioner portal (信访人门户): look a case up by case number and query code.
//!
//! Status comes from intake (`POST /api/v1/petitions/lookup`), called with the console's own
//! service identity (scope `intake.petition.lookup`); notices and satisfaction rating are not
//! here yet. Nothing personal is shown, and the case number travels in the form body, never in
//! the URL.

use actix_web::{http::StatusCode, web, HttpRequest, HttpResponse};
use serde_json::json;

use super::{
    intake::{FieldError, IntakeClient},
    security::{cookie, cookie_value, csrf_for, csrf_ok, random_value, see_other, PORTAL_COOKIE},
    view::render,
};
use crate::api::state::AppState;

/// The service client name of the portal's identity (门户服务身份).
pub const PORTAL_CLIENT: &str = "console-portal";
/// The scope intake's lookup accepts.
pub const LOOKUP_SCOPE: &str = "intake.petition.lookup";

/// `GET /portal` → `/portal/`.
pub async fn root() -> HttpResponse {
    see_other("/portal/").finish()
}

/// Plain-language explanation of a status (办理状态说明).
pub fn status_explained(status: &str) -> &'static str {
    match status {
        "registered" => {
            "您的信访事项已登记，正在审查是否受理。一般在收到之日起 15 日内告知您是否受理。"
        }
        "accepted" => "您的信访事项已受理，正在办理。一般在受理之日起 60 日内办结并出具书面意见。",
        "declined" => "您的信访事项不予受理，告知书会说明可以通过哪条法定途径解决。",
        "barred" => "您的信访事项不再受理，告知书会说明理由。",
        "transferred" => "您的信访事项已转送有权处理的单位办理。",
        "assigned" => "您的信访事项已交办有关单位办理。",
        "in_handling" => "有关单位正在办理您的信访事项。",
        "returned" => "您的信访事项正在重新确定办理单位。",
        _ => "请联系信访局窗口了解办理情况。",
    }
}

fn page(
    req: &HttpRequest,
    state: &AppState,
    case_number: &str,
    result: Option<serde_json::Value>,
    error: Option<FieldError>,
    status: StatusCode,
) -> HttpResponse {
    let value = cookie_value(req, PORTAL_COOKIE).unwrap_or_else(random_value);
    let mut res = render(
        status,
        "portal.html",
        minijinja::context! {
            title => "信访事项查询",
            csrf => csrf_for(&value),
            case_number => case_number,
            result => result,
            error => error,
        },
    );
    let _ = res.add_cookie(&cookie(
        PORTAL_COOKIE,
        value,
        "/portal",
        &state.settings.pages,
    ));
    res
}

/// `GET /portal/`: the lookup form.
pub async fn lookup_form(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    page(&req, &state, "", None, None, StatusCode::OK)
}

/// `POST /portal/lookup`: the case's status in plain Chinese.
#[tracing::instrument(skip_all)]
pub async fn lookup(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<AppState>,
    intake: web::Data<IntakeClient>,
) -> HttpResponse {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&body)
        .map(|(k, v)| (k.into_owned(), v.replace('\0', "")))
        .collect();
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let case_number = get("case_number");
    let query_code = get("query_code");
    let fail = |field: &str, message: &str, status: StatusCode| {
        page(
            &req,
            &state,
            &case_number,
            None,
            Some(FieldError {
                field: field.into(),
                message: message.into(),
            }),
            status,
        )
    };
    let csrf_valid = cookie_value(&req, PORTAL_COOKIE).is_some_and(|v| csrf_ok(&v, &get("csrf")));
    if !csrf_valid {
        return fail(
            "case_number",
            "页面已过期，请重新查询",
            StatusCode::FORBIDDEN,
        );
    }
    if case_number.is_empty() {
        return fail(
            "case_number",
            "请填写信访件编号",
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    if query_code.is_empty() {
        return fail(
            "query_code",
            "请填写查询码",
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let token = match state.service_token(PORTAL_CLIENT, vec![LOOKUP_SCOPE.to_string()]) {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "portal token");
            return fail(
                "case_number",
                "查询暂时不可用，请稍后重试",
                StatusCode::SERVICE_UNAVAILABLE,
            );
        }
    };
    let answer = intake
        .post(
            "petitions/lookup",
            &token,
            None,
            &json!({ "case_number": case_number, "query_code": query_code }),
        )
        .await;
    match answer {
        Ok(a) if a.status == 200 => {
            let status = a.body["status"].as_str().unwrap_or("").to_string();
            let result = json!({
                "case_number": a.body["case_number"],
                "status_zh": a.body["status_zh"],
                "explained": status_explained(&status),
                "received_on": a.body["received_on"],
                "finalized_on": a.body["finalized_on"],
            });
            page(
                &req,
                &state,
                &case_number,
                Some(result),
                None,
                StatusCode::OK,
            )
        }
        Ok(a) if a.status == 404 => fail(
            "query_code",
            "未找到该信访事项，请核对信访件编号和查询码",
            StatusCode::NOT_FOUND,
        ),
        Ok(a) => {
            let e = a.field_errors().into_iter().next().unwrap_or(FieldError {
                field: "case_number".into(),
                message: a.message(),
            });
            fail(
                &e.field,
                &e.message,
                StatusCode::from_u16(a.status).unwrap_or(StatusCode::BAD_GATEWAY),
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "intake unreachable");
            fail(
                "case_number",
                "查询暂时不可用，请稍后重试",
                StatusCode::BAD_GATEWAY,
            )
        }
    }
}
