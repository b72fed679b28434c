//! Templates and static files (模板与静态文件), compiled into the binary.

use std::sync::OnceLock;

use actix_web::{http::header, web, HttpResponse};
use minijinja::Environment;
use serde::Serialize;

use super::security::page_headers;

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("login.html", include_str!("templates/login.html")),
    ("home.html", include_str!("templates/home.html")),
    ("totp.html", include_str!("templates/totp.html")),
    ("post_room.html", include_str!("templates/post_room.html")),
    (
        "archive_search.html",
        include_str!("templates/archive_search.html"),
    ),
    (
        "archive_package.html",
        include_str!("templates/archive_package.html"),
    ),
    ("register.html", include_str!("templates/register.html")),
    ("receipt.html", include_str!("templates/receipt.html")),
    ("clerk_case.html", include_str!("templates/clerk_case.html")),
    (
        "clerk_cases.html",
        include_str!("templates/clerk_cases.html"),
    ),
    ("portal.html", include_str!("templates/portal.html")),
    ("error.html", include_str!("templates/error.html")),
    ("unit_due.html", include_str!("templates/unit_due.html")),
    ("unit_inbox.html", include_str!("templates/unit_inbox.html")),
    ("unit_case.html", include_str!("templates/unit_case.html")),
    (
        "mediator_list.html",
        include_str!("templates/mediator_list.html"),
    ),
    (
        "mediator_case.html",
        include_str!("templates/mediator_case.html"),
    ),
    (
        "mediator_calendar.html",
        include_str!("templates/mediator_calendar.html"),
    ),
    ("dashboard.html", include_str!("templates/dashboard.html")),
    (
        "dashboard_orders.html",
        include_str!("templates/dashboard_orders.html"),
    ),
    (
        "dashboard_campaigns.html",
        include_str!("templates/dashboard_campaigns.html"),
    ),
    (
        "dashboard_reports.html",
        include_str!("templates/dashboard_reports.html"),
    ),
    (
        "dashboard_job.html",
        include_str!("templates/dashboard_job.html"),
    ),
    (
        "admin_index.html",
        include_str!("templates/admin_index.html"),
    ),
    (
        "admin_units.html",
        include_str!("templates/admin_units.html"),
    ),
    ("admin_unit.html", include_str!("templates/admin_unit.html")),
    (
        "admin_accounts.html",
        include_str!("templates/admin_accounts.html"),
    ),
    (
        "admin_account.html",
        include_str!("templates/admin_account.html"),
    ),
    (
        "admin_rules.html",
        include_str!("templates/admin_rules.html"),
    ),
    (
        "admin_templates.html",
        include_str!("templates/admin_templates.html"),
    ),
    (
        "admin_template.html",
        include_str!("templates/admin_template.html"),
    ),
    (
        "admin_calendars.html",
        include_str!("templates/admin_calendars.html"),
    ),
    ("portal_nav.html", include_str!("templates/portal_nav.html")),
    (
        "portal_error.html",
        include_str!("templates/portal_error.html"),
    ),
    (
        "portal_status.html",
        include_str!("templates/portal_status.html"),
    ),
    (
        "portal_phone.html",
        include_str!("templates/portal_phone.html"),
    ),
    (
        "portal_code.html",
        include_str!("templates/portal_code.html"),
    ),
    (
        "portal_petition.html",
        include_str!("templates/portal_petition.html"),
    ),
    (
        "portal_receipt.html",
        include_str!("templates/portal_receipt.html"),
    ),
];

const STATIC: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("static/app.css"),
    ),
    (
        "idcheck.js",
        "text/javascript; charset=utf-8",
        include_str!("static/idcheck.js"),
    ),
    (
        "unit.js",
        "text/javascript; charset=utf-8",
        include_str!("static/unit.js"),
    ),
    (
        "register.js",
        "text/javascript; charset=utf-8",
        include_str!("static/register.js"),
    ),
    (
        "portal.js",
        "text/javascript; charset=utf-8",
        include_str!("static/portal.js"),
    ),
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "template does not parse");
            }
        }
        env
    })
}

/// Render `template` with `ctx` into a page (200 unless `status` says otherwise).
pub fn render<S: Serialize>(
    status: actix_web::http::StatusCode,
    template: &str,
    ctx: S,
) -> HttpResponse {
    let body = env().get_template(template).and_then(|t| t.render(ctx));
    match body {
        Ok(html) => page_headers(HttpResponse::build(status))
            .content_type("text/html; charset=utf-8")
            .body(html),
        Err(e) => {
            tracing::error!(template, error = %e, "page could not be rendered");
            page_headers(HttpResponse::InternalServerError())
                .content_type("text/plain; charset=utf-8")
                .body("系统内部错误，请稍后重试")
        }
    }
}

/// A page that says what went wrong (出错页面).
/// A file a service answered (a PDF, an archive file), passed on to the browser as a download;
/// the service's refusal or a transport failure as the Chinese error page, with a way `back`.
pub fn download(
    answered: Result<(u16, String, web::Bytes), reqwest::Error>,
    filename: &str,
    back: &str,
) -> HttpResponse {
    match answered {
        Ok((200, content_type, bytes)) => HttpResponse::Ok()
            .content_type(if content_type.is_empty() {
                "application/octet-stream".to_string()
            } else {
                content_type
            })
            .insert_header(("Cache-Control", "no-store"))
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"{filename}\""),
            ))
            .body(bytes),
        Ok((status, _, bytes)) => {
            let a = super::intake::Answer {
                status,
                body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
            };
            error_page(a.status_code(), &a.message(), back)
        }
        Err(e) => {
            tracing::warn!(error = %e, "service unreachable");
            error_page(
                actix_web::http::StatusCode::BAD_GATEWAY,
                "业务服务暂时无法连接，请稍后重试",
                back,
            )
        }
    }
}

pub fn error_page(status: actix_web::http::StatusCode, message: &str, back: &str) -> HttpResponse {
    render(
        status,
        "error.html",
        minijinja::context! { title => "出错了", message => message, back => back },
    )
}

/// `GET /console/static/{file}`: the stylesheet and scripts (cached for a day).
pub async fn static_file(file: web::Path<String>) -> HttpResponse {
    match STATIC.iter().find(|(name, _, _)| *name == file.as_str()) {
        Some((_, content_type, body)) => page_headers(HttpResponse::Ok())
            .insert_header((header::CONTENT_TYPE, *content_type))
            .insert_header((header::CACHE_CONTROL, "public, max-age=86400"))
            .body(*body),
        None => page_headers(HttpResponse::NotFound())
            .content_type("text/plain; charset=utf-8")
            .body("未找到"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_parses() {
        for (name, _) in TEMPLATES {
            assert!(env().get_template(name).is_ok(), "{name}");
        }
    }
}
