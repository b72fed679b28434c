//! Role-based navigation (按角色导航) and the pages' shared chrome: each role sees links only to
//! its own pages, and a page outside a person's roles answers a Chinese 403 page.

pub use super::staff::{nav_for, staff_ctx, NavItem, ADMIN_ROLES, OVERSIGHT_ROLES};
use super::{staff::Staff, view::render};
use actix_web::{http::StatusCode, HttpResponse};

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
