//! Intake's HTTP API: handlers and their request and response types, one file per sub-resource.

use actix_web::web;

pub mod archive_record;
pub mod assignments;
pub mod decisions;
pub mod error;
pub mod internal;
pub mod lookup;
pub mod online;
pub mod petitions;
pub mod repeat;
pub mod rules;
pub mod search;
pub mod state;
pub mod visits;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "xinfang intake (一口受理)",
        description = "Registration of petitions from every channel, repeat detection, classification by law, acceptance, transfer and assignment."
    ),
    paths(
        petitions::register,
        petitions::get_petition,
        search::list_petitions,
        decisions::decide,
        repeat::decide_repeat,
        assignments::accept_assignment,
        assignments::object_assignment,
        assignments::rule_objection,
        decisions::routing_suggestion,
        rules::get_rules,
        rules::get_rule_version,
        rules::publish_rules,
        visits::log_visit,
        visits::list_visits,
        lookup::lookup,
    ),
    components(schemas(
        lookup::LookupRequest,
        lookup::LookupAnswer,
        petitions::RegisterPetitionRequest,
        petitions::PetitionerInput,
        petitions::AttachmentInput,
        petitions::RegisteredPetition,
        petitions::PetitionView,
        petitions::PetitionerView,
        search::PetitionSummary,
        search::PetitionPage,
        crate::domain::repeat::Candidate,
        decisions::DecisionRequest,
        decisions::DecisionView,
        repeat::RepeatRequest,
        assignments::ObjectionRequest,
        assignments::ObjectionRulingRequest,
        assignments::AcceptRequest,
        crate::domain::routing::RoutingRule,
        crate::domain::routing::Suggestion,
        rules::RuleSet,
        rules::PublishRules,
        visits::LogVisitRequest,
        visits::VisitView,
    ))
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    online::configure(cfg);
    internal::configure(cfg);
    cfg.service(
        web::scope("/api/v1")
            .service(
                web::resource("/petitions/lookup")
                    .app_data(web::Data::new(
                        xinfang_platform::auth::AcceptServiceScopes::new([lookup::LOOKUP_SCOPE]),
                    ))
                    .route(web::post().to(lookup::lookup)),
            )
            .route("/petitions", web::post().to(petitions::register))
            .route("/petitions", web::get().to(search::list_petitions))
            .route("/petitions/{id}", web::get().to(petitions::get_petition))
            .route(
                "/petitions/{id}/decisions",
                web::post().to(decisions::decide),
            )
            .route(
                "/petitions/{id}/repeat",
                web::post().to(repeat::decide_repeat),
            )
            .route(
                "/petitions/{id}/assignment/accept",
                web::post().to(assignments::accept_assignment),
            )
            .route(
                "/petitions/{id}/assignment/objection",
                web::post().to(assignments::object_assignment),
            )
            .route(
                "/petitions/{id}/assignment/objection/ruling",
                web::post().to(assignments::rule_objection),
            )
            .route(
                "/petitions/{id}/routing-suggestion",
                web::get().to(decisions::routing_suggestion),
            )
            .route("/routing-rules", web::get().to(rules::get_rules))
            .route("/routing-rules", web::put().to(rules::publish_rules))
            .route(
                "/routing-rules/versions/{version}",
                web::get().to(rules::get_rule_version),
            )
            .route("/visits", web::post().to(visits::log_visit))
            .route("/visits", web::get().to(visits::list_visits)),
    );
}
