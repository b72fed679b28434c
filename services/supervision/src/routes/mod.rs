use std::sync::Arc;

use actix_web::web;

pub mod calendar;
pub mod cases;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "xinfang supervision (督查督办)",
        description = "Statutory deadlines, the case timeline, and the public deadline calculator."
    ),
    paths(calendar::due, cases::deadlines, cases::timeline),
    components(schemas(
        calendar::DueAnswer,
        crate::deadlines::DeadlineView,
        cases::TimelineEntry
    ))
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig, openapi: Arc<String>) {
    xinfang_platform::http::serve_openapi(cfg, openapi);
    cfg.service(
        web::scope("/api/v1")
            .route("/calendar/due", web::get().to(calendar::due))
            .route(
                "/cases/{case_id}/deadlines",
                web::get().to(cases::deadlines),
            )
            .route("/cases/{case_id}/timeline", web::get().to(cases::timeline)),
    );
}
