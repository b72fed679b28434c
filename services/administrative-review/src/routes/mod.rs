use xinfang_platform::case_registry;

/// Routes of this build: the service's view of a case, from its local register.
pub use case_registry::configure;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "xinfang administrative-review (行政三级办理)"),
    paths(case_registry::get_case),
    components(schemas(case_registry::CaseView))
)]
pub struct ApiDoc;
