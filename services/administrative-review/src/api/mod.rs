//! Administrative review's HTTP API (行政三级办理): the queue and the case (`cases`), handling
//! (`handling`), opinions and delivery (`opinions`), review, re-review, hearings and follow-up
//! (`reviews`), and the shared case register's view (`GET /api/v1/cases/{case_id}`).

pub mod cases;
pub mod error;
pub mod handling;
pub mod opinions;
pub mod reviews;
pub mod support;

use actix_web::web;
use xinfang_platform::case_registry;

/// Every route of the service.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/cases/{case_id}", web::get().to(case_registry::get_case))
            .service(handling_routes()),
    );
}

fn handling_routes() -> actix_web::Scope {
    web::scope("/handling")
        .route("/queue", web::get().to(cases::queue))
        .route("/cases/{case_id}", web::get().to(cases::get_case))
        .route(
            "/cases/{case_id}/entries",
            web::post().to(handling::add_entry),
        )
        .route(
            "/cases/{case_id}/extensions",
            web::post().to(handling::request_extension),
        )
        .route(
            "/cases/{case_id}/extensions/{extension_id}/decision",
            web::post().to(handling::decide_extension),
        )
        .route("/cases/{case_id}/closure", web::post().to(handling::close))
        .route("/cases/{case_id}/opinions", web::post().to(opinions::draft))
        .route(
            "/cases/{case_id}/external-decisions",
            web::post().to(opinions::external_decision),
        )
        .route(
            "/cases/{case_id}/review-requests",
            web::post().to(reviews::request_review),
        )
        .route(
            "/cases/{case_id}/hearings",
            web::post().to(reviews::schedule_hearing),
        )
        .route(
            "/cases/{case_id}/follow-ups",
            web::post().to(reviews::follow_up),
        )
        .route(
            "/cases/{case_id}/follow-ups/{follow_up_id}/outcome",
            web::post().to(reviews::referral_outcome),
        )
        .route("/opinions/{opinion_id}", web::put().to(opinions::edit))
        .route(
            "/opinions/{opinion_id}/withdrawal",
            web::post().to(opinions::withdraw),
        )
        .route(
            "/opinions/{opinion_id}/approval",
            web::post().to(opinions::approve),
        )
        .route(
            "/opinions/{opinion_id}/issue",
            web::post().to(opinions::issue),
        )
        .route(
            "/opinions/{opinion_id}/delivery",
            web::post().to(opinions::deliver),
        )
        .route(
            "/opinions/{opinion_id}/implementation",
            web::post().to(opinions::implemented),
        )
        .route(
            "/hearings/{hearing_id}/record",
            web::post().to(reviews::record_hearing),
        )
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "xinfang administrative-review (行政三级办理)"),
    paths(
        case_registry::api::get_case,
        cases::queue,
        cases::get_case,
        handling::add_entry,
        handling::request_extension,
        handling::decide_extension,
        handling::close,
        opinions::draft,
        opinions::approve,
        opinions::edit,
        opinions::withdraw,
        opinions::issue,
        opinions::deliver,
        opinions::implemented,
        opinions::external_decision,
        reviews::request_review,
        reviews::schedule_hearing,
        reviews::record_hearing,
        reviews::follow_up,
        reviews::referral_outcome,
    ),
    components(schemas(
        case_registry::api::CaseView,
        support::Changed,
        cases::QueueItem,
        cases::CaseDetail,
        handling::EntryBody,
        handling::ExtensionBody,
        handling::ExtensionDecisionBody,
        handling::ClosureBody,
        opinions::DraftBody,
        opinions::VersionBody,
        opinions::EditBody,
        opinions::WithdrawBody,
        opinions::IssueBody,
        opinions::DeliveryBody,
        opinions::ImplementationBody,
        opinions::ExternalDecisionBody,
        reviews::ReviewRequestBody,
        reviews::HearingBody,
        reviews::HearingRecordBody,
        reviews::FollowUpBody,
        reviews::ReferralOutcomeBody,
        crate::domain::inputs::Attachment,
        crate::store::clocks::ClockRow,
        crate::store::records::EntryRow,
        crate::store::records::ExtensionRow,
        crate::store::records::OpinionRow,
        crate::store::records::ReviewRequestRow,
        crate::store::records::HearingRow,
        crate::store::records::FollowUpRow,
    ))
)]
pub struct ApiDoc;
