//! The HTTP surface: every route of every feature under `/api/v1`, and the OpenAPI document. The
//! handlers live in each feature's `api` module.

use actix_web::web;

use crate::{
    deadlines::api::{calculator as calendar, calendar_years, case_deadlines, changes as clocks},
    findings::api as findings,
    oversight::{
        accountability::api as accountability, campaigns::api as campaigns,
        leaders::api as leaders, order_maintenance::api as order_maintenance,
        orders::api as orders, recommendations::api as recommendations,
    },
    statistics::api::{indicators as statistics, reports},
    timeline::api as cases_timeline,
};

pub mod error;
pub mod support;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "xinfang supervision (督查督办)",
        description = "Statutory deadlines, the case timeline, and the public deadline calculator."
    ),
    paths(
        calendar::due,
        case_deadlines::deadlines,
        cases_timeline::timeline,
        calendar_years::years,
        calendar_years::publish_year,
        clocks::extend,
        clocks::stop,
        clocks::resume,
        findings::list,
        orders::issue,
        orders::respond,
        orders::list,
        orders::get,
        leaders::assign,
        leaders::record_action,
        leaders::list,
        campaigns::create,
        campaigns::list,
        campaigns::add_cases,
        campaigns::board,
        recommendations::issue,
        recommendations::feedback,
        recommendations::list,
        recommendations::board,
        accountability::open,
        accountability::add_person,
        accountability::add_evidence,
        accountability::conclude,
        accountability::get,
        accountability::list,
        accountability::report_misconduct,
        accountability::list_misconduct,
        order_maintenance::record,
        order_maintenance::list,
        statistics::indicators,
        statistics::hotspots,
        crate::statistics::api::review::review_ladder,
        crate::statistics::api::overrides::legal_channel_overrides,
        reports::annual,
        reports::monthly
    ),
    components(schemas(
        calendar::DueAnswer,
        case_deadlines::DeadlineView,
        cases_timeline::TimelineEntry,
        case_deadlines::StepView,
        crate::deadlines::store::calendar_years::LoadedYear,
        crate::deadlines::store::calendar_years::Published,
        clocks::ExtensionBody,
        clocks::StopBody,
        clocks::ResumeBody,
        findings::FindingsPage,
        findings::FindingView,
        orders::IssueOrderRequest,
        orders::OrderView,
        orders::RespondRequest,
        leaders::AssignLeaderRequest,
        leaders::LeaderAssignmentView,
        leaders::LeaderActionRequest,
        leaders::LeaderActionView,
        campaigns::CreateCampaignRequest,
        campaigns::CampaignView,
        campaigns::AddCasesRequest,
        campaigns::AddCasesResult,
        crate::oversight::campaigns::domain::Board,
        crate::oversight::campaigns::domain::UnitProgress,
        recommendations::IssueRecommendationRequest,
        recommendations::RecommendationView,
        recommendations::FeedbackRequest,
        crate::oversight::recommendations::domain::RecommendationBoardRow,
        accountability::OpenAccountabilityRequest,
        accountability::AccountabilityView,
        accountability::PersonView,
        accountability::EvidenceView,
        accountability::AddPersonRequest,
        accountability::AddEvidenceRequest,
        accountability::OutcomeRequest,
        accountability::AccountabilitySummary,
        accountability::MisconductReportRequest,
        accountability::MisconductReportView,
        order_maintenance::IncidentRequest,
        order_maintenance::IncidentView,
        crate::statistics::domain::indicators::IndicatorReport,
        crate::statistics::domain::indicators::Indicators,
        crate::statistics::domain::indicators::Measure,
        crate::statistics::domain::indicators::Group,
        crate::statistics::domain::indicators::HotspotReport,
        crate::statistics::domain::indicators::Hotspot,
        crate::statistics::domain::review::ReviewLadderReport,
        crate::statistics::domain::overrides::OverrideReport,
        crate::statistics::domain::overrides::OverrideGroup,
        crate::statistics::domain::review::LevelFigures
    ))
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/calendar/due", web::get().to(calendar::due))
            .route(
                "/cases/{case_id}/deadlines",
                web::get().to(case_deadlines::deadlines),
            )
            .route(
                "/cases/{case_id}/timeline",
                web::get().to(cases_timeline::timeline),
            )
            .route("/calendar/years", web::get().to(calendar_years::years))
            .route(
                "/calendar/years",
                web::post().to(calendar_years::publish_year),
            )
            .route(
                "/deadlines/{deadline_id}/extensions",
                web::post().to(clocks::extend),
            )
            .route(
                "/deadlines/{deadline_id}/stops",
                web::post().to(clocks::stop),
            )
            .route(
                "/deadlines/{deadline_id}/stops/resume",
                web::post().to(clocks::resume),
            )
            .route("/findings", web::get().to(findings::list))
            .configure(crate::mediation::api::routes)
            .configure(oversight_routes),
    );
}

/// Routes of orders, leaders, campaigns, recommendations, accountability, order maintenance,
/// statistics and reports.
fn oversight_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/orders", web::post().to(orders::issue))
        .route("/orders", web::get().to(orders::list))
        .route("/orders/{id}", web::get().to(orders::get))
        .route("/orders/{id}/response", web::post().to(orders::respond))
        .route("/leader-assignments", web::post().to(leaders::assign))
        .route("/leader-assignments", web::get().to(leaders::list))
        .route(
            "/leader-assignments/{id}/actions",
            web::post().to(leaders::record_action),
        )
        .route("/campaigns", web::post().to(campaigns::create))
        .route("/campaigns", web::get().to(campaigns::list))
        .route(
            "/campaigns/{id}/cases",
            web::post().to(campaigns::add_cases),
        )
        .route("/campaigns/{id}/board", web::get().to(campaigns::board))
        .route("/recommendations", web::post().to(recommendations::issue))
        .route("/recommendations", web::get().to(recommendations::list))
        .route(
            "/recommendations/board",
            web::get().to(recommendations::board),
        )
        .route(
            "/recommendations/{id}/feedback",
            web::post().to(recommendations::feedback),
        )
        .route(
            "/accountability-cases",
            web::post().to(accountability::open),
        )
        .route("/accountability-cases", web::get().to(accountability::list))
        .route(
            "/accountability-cases/{id}",
            web::get().to(accountability::get),
        )
        .route(
            "/accountability-cases/{id}/people",
            web::post().to(accountability::add_person),
        )
        .route(
            "/accountability-cases/{id}/evidence",
            web::post().to(accountability::add_evidence),
        )
        .route(
            "/accountability-cases/{id}/outcome",
            web::post().to(accountability::conclude),
        )
        .route(
            "/misconduct-reports",
            web::post().to(accountability::report_misconduct),
        )
        .route(
            "/misconduct-reports",
            web::get().to(accountability::list_misconduct),
        )
        .route(
            "/order-incidents",
            web::post().to(order_maintenance::record),
        )
        .route("/order-incidents", web::get().to(order_maintenance::list))
        .route(
            "/statistics/indicators",
            web::get().to(statistics::indicators),
        )
        .route("/statistics/hotspots", web::get().to(statistics::hotspots))
        .route(
            "/statistics/review-ladder",
            web::get().to(crate::statistics::api::review::review_ladder),
        )
        .route(
            "/statistics/legal-channel-overrides",
            web::get().to(crate::statistics::api::overrides::legal_channel_overrides),
        )
        .route("/reports/annual/{year}", web::get().to(reports::annual))
        .route("/reports/monthly/{month}", web::get().to(reports::monthly));
}
