//! Notification's HTTP API: the notices of a case and each unit's inbox.

mod error;
pub mod notices;

use actix_web::web;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "xinfang notification (通知送达)"),
    paths(notices::case_notices, notices::inbox),
    components(schemas(notices::NoticeView))
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route(
                "/cases/{case_id}/notices",
                web::get().to(notices::case_notices),
            )
            .route("/notices/inbox", web::get().to(notices::inbox)),
    );
}
