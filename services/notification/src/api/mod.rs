//! Notification's HTTP API: the notices of a case and each unit's inbox, the documents as PDF,
//! the templates, the deliveries (operators, the post room), and the petitioner's self-service.

pub mod deliveries;
pub mod documents;
mod error;
pub mod notices;
pub mod self_service;
pub mod state;
pub mod templates;
pub mod verification;

use actix_web::web;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "xinfang notification (通知送达)"),
    paths(
        notices::case_notices,
        notices::inbox,
        documents::download,
        templates::list,
        templates::versions,
        templates::publish,
        templates::preview,
        deliveries::list,
        deliveries::retry,
        deliveries::posted,
        deliveries::received,
        deliveries::handover,
        deliveries::letter,
        deliveries::letters_batch,
        deliveries::metrics,
        self_service::lookup,
        self_service::document,
        self_service::rate,
    ),
    components(schemas(
        notices::NoticeView,
        templates::TemplateView,
        templates::FieldView,
        templates::PublishTemplate,
        templates::PreviewView,
        deliveries::DeliveryView,
        deliveries::DeliveryAction,
        self_service::Credentials,
        self_service::CaseProgress,
        self_service::DocumentEntry,
        self_service::DateEntry,
        self_service::RatingRequest,
    ))
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route(
                "/cases/{case_id}/notices",
                web::get().to(notices::case_notices),
            )
            .route("/notices/inbox", web::get().to(notices::inbox))
            .route("/documents/{id}.pdf", web::get().to(documents::download))
            .route("/templates", web::get().to(templates::list))
            .route("/templates/{code}", web::get().to(templates::versions))
            .route("/templates/{code}", web::put().to(templates::publish))
            .route(
                "/templates/{code}/preview",
                web::post().to(templates::preview),
            )
            .route("/deliveries", web::get().to(deliveries::list))
            .route("/deliveries/metrics", web::get().to(deliveries::metrics))
            .route(
                "/deliveries/letters.pdf",
                web::get().to(deliveries::letters_batch),
            )
            .route("/deliveries/{id}/retry", web::post().to(deliveries::retry))
            .route(
                "/deliveries/{id}/posted",
                web::post().to(deliveries::posted),
            )
            .route(
                "/deliveries/{id}/received",
                web::post().to(deliveries::received),
            )
            .route(
                "/deliveries/{id}/handover",
                web::post().to(deliveries::handover),
            )
            .route(
                "/deliveries/{id}/letter.pdf",
                web::get().to(deliveries::letter),
            )
            .route("/self-service/lookup", web::post().to(self_service::lookup))
            .route(
                "/self-service/documents/{id}.pdf",
                web::get().to(self_service::document),
            )
            .route("/self-service/rating", web::post().to(self_service::rate))
            .configure(crate::archive::api::routes),
    );
}
