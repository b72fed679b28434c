use std::sync::Arc;

use actix_web::{web, HttpResponse};

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
    cfg.route(
        "/api-docs/openapi.json",
        web::get().to(move || {
            let body = openapi.clone();
            async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(body.as_str().to_owned())
            }
        }),
    )
    .service(
        web::scope("/api/v1")
            .route("/petitions", web::post().to(petitions::register))
            .route("/petitions/{id}", web::get().to(petitions::get_petition)),
    );
}
