use actix_web::web;

pub mod accountability;
pub mod calendar;
pub mod campaigns;
pub mod cases;
pub mod clocks;
pub mod findings;
pub mod leaders;
pub mod order_maintenance;
pub mod orders;
pub mod recommendations;
pub mod reports;
pub mod statistics;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "xinfang supervision (督查督办)",
        description = "Statutory deadlines, the case timeline, and the public deadline calculator."
    ),
    paths(
        calendar::due,
        cases::deadlines,
        cases::timeline,
        calendar::years,
        calendar::publish_year,
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
        reports::annual,
        reports::monthly
    ),
    components(schemas(
        calendar::DueAnswer,
        crate::deadlines::DeadlineView,
        cases::TimelineEntry,
        crate::deadlines::StepView,
        crate::reload::LoadedYear,
        crate::reload::Published,
        clocks::ExtensionBody,
        clocks::StopBody,
        clocks::ResumeBody,
        findings::FindingsPage,
        crate::findings::FindingView,
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
        crate::campaigns::Board,
        crate::campaigns::UnitProgress,
        recommendations::IssueRecommendationRequest,
        recommendations::RecommendationView,
        recommendations::FeedbackRequest,
        recommendations::RecommendationBoardRow,
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
        crate::statistics::IndicatorReport,
        crate::statistics::Indicators,
        crate::statistics::Measure,
        crate::statistics::Group,
        crate::statistics::HotspotReport,
        crate::statistics::Hotspot
    ))
)]
pub struct ApiDoc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .route("/calendar/due", web::get().to(calendar::due))
            .route(
                "/cases/{case_id}/deadlines",
                web::get().to(cases::deadlines),
            )
            .route("/cases/{case_id}/timeline", web::get().to(cases::timeline))
            .route("/calendar/years", web::get().to(calendar::years))
            .route("/calendar/years", web::post().to(calendar::publish_year))
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
        .route("/reports/annual/{year}", web::get().to(reports::annual))
        .route("/reports/monthly/{month}", web::get().to(reports::monthly));
}
