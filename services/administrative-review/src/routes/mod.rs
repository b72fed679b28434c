use actix_web::web;
use xinfang_platform::case_registry;

/// This service's view of a case.
#[utoipa::path(
    get, path = "/api/v1/cases/{case_id}", tag = "行政三级办理",
    params(("case_id" = uuid::Uuid, Path)),
    responses(
        (status = 200, body = case_registry::CaseView),
        (status = 401, body = xinfang_platform::error::ErrorBody),
        (status = 403, body = xinfang_platform::error::ErrorBody),
        (status = 404, body = xinfang_platform::error::ErrorBody),
    ),
    security(("bearer" = []))
)]
#[allow(dead_code)]
fn get_case_doc() {}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "xinfang administrative-review (行政三级办理)"),
    paths(get_case_doc),
    components(schemas(case_registry::CaseView))
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1").route("/cases/{case_id}", web::get().to(case_registry::get_case)),
    );
}
