//! Role-based navigation (按角色导航) and the pages' shared chrome: each role sees links only to
//! its own pages, and a page outside a person's roles answers a Chinese 403 page.

use actix_web::{http::StatusCode, HttpResponse};
use serde::Serialize;

use super::{staff::Staff, view::render};

/// A link of the top navigation.
#[derive(Debug, Serialize)]
pub struct NavItem {
    pub title: &'static str,
    pub href: &'static str,
}

/// The roles of the supervisor's and leader's pages (督查专员, 领导).
pub const OVERSIGHT_ROLES: &[&str] = &["supervisor", "leader"];
/// The administrator's pages (系统管理员).
pub const ADMIN_ROLES: &[&str] = &["admin"];

/// The links `staff` may follow.
pub fn nav_for(staff: &Staff) -> Vec<NavItem> {
    let mut nav = Vec::new();
    if staff.has_any(&["clerk", "admin"]) {
        nav.push(NavItem {
            title: "登记",
            href: "/console/register",
        });
    }
    if staff.has_any(&["handler", "unit_head"]) {
        nav.push(NavItem {
            title: "本单位待办",
            href: "/console/unit",
        });
    }
    if staff.has_any(&["mediator"]) {
        nav.push(NavItem {
            title: "调解",
            href: "/console/mediation",
        });
        nav.push(NavItem {
            title: "调解日程",
            href: "/console/mediation/calendar",
        });
    }
    if staff.has_any(OVERSIGHT_ROLES) {
        nav.push(NavItem {
            title: "统计看板",
            href: "/console/oversight",
        });
        nav.push(NavItem {
            title: "督办与包案",
            href: "/console/oversight/orders",
        });
        nav.push(NavItem {
            title: "专项行动",
            href: "/console/oversight/campaigns",
        });
        nav.push(NavItem {
            title: "报告与通报",
            href: "/console/oversight/reports",
        });
    }
    if staff.has_any(ADMIN_ROLES) {
        nav.push(NavItem {
            title: "系统管理",
            href: "/console/admin",
        });
    }
    nav
}

/// The `staff` value of a page's context: name, unit, CSRF token and navigation.
pub fn staff_ctx(staff: &Staff) -> minijinja::Value {
    minijinja::context! {
        name => staff.display_name,
        unit => staff.unit,
        unit_name => staff.unit_name,
        csrf => staff.csrf,
        nav => nav_for(staff),
    }
}

/// The 403 page (无权访问), with the person's own navigation.
pub fn forbidden(staff: &Staff, what: &str) -> HttpResponse {
    render(
        StatusCode::FORBIDDEN,
        "error.html",
        minijinja::context! {
            title => "无权访问",
            staff => staff_ctx(staff),
            message => format!("当前账号无权访问{what}（403）。如需使用，请联系系统管理员分配相应角色。"),
            back => "/console/",
        },
    )
}
