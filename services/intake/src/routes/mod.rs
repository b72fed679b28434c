use std::sync::Arc;

use actix_web::web;

pub mod petitions;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "xinfang intake (一口受理)",
        description = "Registration of petitions from every channel."
    ),
    paths(petitions::register, petitions::get_petition),
    components(schemas(
        petitions::RegisterPetitionRequest,
        petitions::PetitionerInput,
        petitions::RegisteredPetition,
        petitions::PetitionView,
    ))
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig, openapi: Arc<String>) {
    xinfang_platform::http::serve_openapi(cfg, openapi);
    cfg.service(
        web::scope("/api/v1")
            .route("/petitions", web::post().to(petitions::register))
            .route("/petitions/{id}", web::get().to(petitions::get_petition)),
    );
}
