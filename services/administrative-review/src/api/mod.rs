//! Administrative review's HTTP API. For now the service's view of a case (`GET /api/v1/cases/{case_id}`),
//! served from its local register by the shared case register.

use xinfang_platform::case_registry;

pub use case_registry::configure;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "xinfang administrative-review (行政三级办理)"),
    paths(case_registry::api::get_case),
    components(schemas(case_registry::api::CaseView))
)]
pub struct ApiDoc;
