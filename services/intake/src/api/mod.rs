use actix_web::web;

pub mod decisions;
pub mod petitions;
pub mod rules;
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
        petitions::list_petitions,
        decisions::decide,
        decisions::decide_repeat,
        decisions::accept_assignment,
        decisions::object_assignment,
        decisions::routing_suggestion,
        rules::get_rules,
        rules::get_rule_version,
        rules::publish_rules,
        visits::log_visit,
        visits::list_visits,
    ),
    components(schemas(
        petitions::RegisterPetitionRequest,
        petitions::PetitionerInput,
        petitions::AttachmentInput,
        petitions::RegisteredPetition,
        petitions::PetitionView,
        petitions::PetitionerView,
        petitions::PetitionSummary,
        petitions::PetitionPage,
        crate::repeat::Candidate,
        decisions::DecisionRequest,
        decisions::DecisionView,
        decisions::RepeatRequest,
        decisions::ObjectionRequest,
        crate::routing::RoutingRule,
        crate::routing::Suggestion,
        rules::RuleSet,
        rules::PublishRules,
        visits::LogVisitRequest,
        visits::VisitView,
    ))
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/petitions", web::post().to(petitions::register))
            .route("/petitions", web::get().to(petitions::list_petitions))
            .route("/petitions/{id}", web::get().to(petitions::get_petition))
            .route(
                "/petitions/{id}/decisions",
                web::post().to(decisions::decide),
            )
            .route(
                "/petitions/{id}/repeat",
                web::post().to(decisions::decide_repeat),
            )
            .route(
                "/petitions/{id}/assignment/accept",
                web::post().to(decisions::accept_assignment),
            )
            .route(
                "/petitions/{id}/assignment/objection",
                web::post().to(decisions::object_assignment),
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
