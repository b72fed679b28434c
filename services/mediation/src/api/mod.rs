//! Mediation's HTTP API (多元解纷): the directory of bodies and mediators, referral with consent,
//! the mediator suggestion and recusal, sessions, agreements with judicial confirmation and
//! performance, the pre-petition dispute register, and the service's view of a case.

pub mod agreements;
pub mod directory;
pub mod disputes;
pub mod error;
pub mod listing;
pub mod mediations;
pub mod sessions;
pub mod support;

use actix_web::web;
use xinfang_platform::case_registry;

/// Every route, under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/cases/{case_id}", web::get().to(case_registry::get_case))
            .route(
                "/cases/{case_id}/mediations",
                web::get().to(mediations::of_case),
            )
            .route("/mediation-bodies", web::post().to(directory::create_body))
            .route("/mediation-bodies", web::get().to(directory::list_bodies))
            .route(
                "/mediation-bodies/{id}",
                web::put().to(directory::update_body),
            )
            .route("/mediators", web::post().to(directory::create_mediator))
            .route("/mediators", web::get().to(directory::list_mediators))
            .route("/mediators/{id}", web::put().to(directory::update_mediator))
            .route("/mediations", web::post().to(mediations::refer))
            .route("/mediations", web::get().to(listing::list))
            .route("/sessions", web::get().to(listing::sessions))
            .route("/mediations/{id}", web::get().to(mediations::get))
            .route(
                "/mediations/{id}/consents",
                web::post().to(mediations::consent),
            )
            .route(
                "/mediations/{id}/mediator-suggestions",
                web::get().to(mediations::suggestions),
            )
            .route(
                "/mediations/{id}/mediator",
                web::post().to(mediations::assign),
            )
            .route(
                "/mediations/{id}/mediator-exclusions",
                web::post().to(mediations::exclude),
            )
            .route(
                "/mediations/{id}/withdrawal",
                web::post().to(mediations::withdraw),
            )
            .route("/mediations/{id}/failure", web::post().to(mediations::fail))
            .route(
                "/mediations/{id}/sessions",
                web::post().to(sessions::schedule),
            )
            .route("/sessions/{id}/held", web::post().to(sessions::held))
            .route(
                "/sessions/{id}/adjournment",
                web::post().to(sessions::adjourn),
            )
            .route(
                "/mediations/{id}/agreement",
                web::post().to(agreements::agree),
            )
            .route(
                "/agreements/{id}/judicial-confirmation",
                web::post().to(agreements::apply),
            )
            .route(
                "/agreements/{id}/judicial-ruling",
                web::post().to(agreements::rule),
            )
            .route(
                "/agreements/{id}/performance",
                web::post().to(agreements::performance),
            )
            .route("/disputes", web::post().to(disputes::register))
            .route("/disputes", web::get().to(disputes::list)),
    );
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "xinfang mediation (多元解纷)"),
    paths(
        case_registry::api::get_case,
        mediations::of_case,
        directory::create_body,
        directory::list_bodies,
        directory::update_body,
        directory::create_mediator,
        directory::list_mediators,
        directory::update_mediator,
        mediations::refer,
        mediations::get,
        mediations::consent,
        mediations::suggestions,
        mediations::assign,
        mediations::exclude,
        mediations::withdraw,
        mediations::fail,
        sessions::schedule,
        sessions::held,
        sessions::adjourn,
        agreements::agree,
        agreements::apply,
        agreements::rule,
        agreements::performance,
        disputes::register,
        disputes::list,
        listing::list,
        listing::sessions,
    ),
    components(schemas(
        case_registry::api::CaseView,
        crate::domain::directory::BodyDraft,
        crate::domain::directory::MediatorDraft,
        crate::store::directory::BodyRow,
        crate::store::directory::MediatorRow,
        crate::domain::referral::Party,
        crate::domain::session::SessionDraft,
        crate::domain::session::Attendance,
        crate::domain::agreement::AgreementDraft,
        crate::domain::agreement::Signature,
        crate::domain::dispute::DisputeDraft,
        crate::domain::mediator_choice::Suggestion,
        crate::store::mediations::MediationRow,
        crate::store::mediations::PartyRow,
        crate::store::sessions::SessionRow,
        crate::store::agreements::AgreementRow,
        crate::store::disputes::DisputeRow,
        support::MediationView,
        mediations::ReferralRequest,
        mediations::ConsentRequest,
        mediations::Suggestions,
        mediations::AssignRequest,
        mediations::ExclusionRequest,
        mediations::EndRequest,
        sessions::HeldRequest,
        sessions::AdjournRequest,
        agreements::ApplicationRequest,
        agreements::RulingRequest,
        agreements::PerformanceRequest,
    ))
)]
pub struct ApiDoc;
