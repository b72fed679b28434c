//! Role-based navigation (按角色导航) and the pages' shared chrome: each role sees links only to
//! its own pages, and a page outside a person's roles answers a Chinese 403 page.

pub use super::staff::{
    nav_for, staff_ctx, NavItem, ADMIN_ROLES, ARCHIVE_ROLES, OVERSIGHT_ROLES, POST_ROOM_ROLES,
};
use super::{
    staff::{current, to_login, Staff},
    view::render,
};
use crate::api::state::AppState;
use actix_web::{http::StatusCode, HttpRequest, HttpResponse};
use sqlx::PgPool;
use xinfang_messaging::OutboxWaker;
use xinfang_platform::ApiError;

/// The logged-in member of staff if they hold one of `roles`; otherwise the page to show instead
/// (the login page, or the Chinese 403 page naming `what`).
pub async fn staff_in(
    req: &HttpRequest,
    pool: &PgPool,
    waker: &OutboxWaker,
    state: &AppState,
    roles: &[&str],
    what: &str,
) -> Result<Result<Staff, HttpResponse>, ApiError> {
    let Some(staff) = current(req, pool, waker, state).await? else {
        return Ok(Err(to_login()));
    };
    if !staff.has_any(roles) {
        return Ok(Err(forbidden(&staff, what)));
    }
    Ok(Ok(staff))
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

/// The member of staff if they hold one of `roles`; otherwise the handler returns the login page
/// or the Chinese 403 page naming `what` (see [`staff_in`]).
macro_rules! staff_or_page {
    ($req:expr, $pool:expr, $waker:expr, $state:expr, $roles:expr, $what:expr) => {
        match $crate::pages::nav::staff_in(&$req, &$pool, &$waker, &$state, $roles, $what).await? {
            Ok(s) => s,
            Err(page) => return Ok(page),
        }
    };
}
pub(crate) use staff_or_page;
