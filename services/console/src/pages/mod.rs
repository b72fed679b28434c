//! The staff console's and the petitioner portal's pages (控制台页面与信访人门户), rendered on the
//! server (decision record 0011): minijinja templates compiled into the binary, one stylesheet
//! and two small scripts served from `/console/static/` (no CDN, no inline script), a strict
//! Content-Security-Policy on every page.
//!
//! - `/console/…`: staff pages over the console's own login and sessions; the session cookie holds
//!   the session's refresh secret (HttpOnly, SameSite=Strict, Path=/console), each page view
//!   refreshes it into a short access token, forwarded to the services the page calls.
//! - `/portal/…`: the petitioner portal (信访人门户), its own cookie (Path=/portal), no account.

pub mod admin;
pub mod admin_calendar;
pub mod admin_rules;
pub mod archive;
pub mod clerk;
pub mod client;
pub mod forms;
pub mod intake;
pub mod mediator;
pub mod nav;
pub mod oversight;
pub mod portal;
pub mod portal_petition;
pub mod post;
pub mod security;
pub mod staff;
pub mod svg;
pub mod totp;
pub mod unit;
pub mod view;

use actix_web::web;

use crate::api::state::AppState;

/// The pages' routes.
pub fn configure(cfg: &mut web::ServiceConfig, state: web::Data<AppState>) {
    let services = web::Data::new(client::Services::new(&state.settings.pages));
    let portal_client = web::Data::new(portal::PortalClient::new(&state.settings.pages));
    cfg.service(
        web::scope("/console")
            .app_data(state.clone())
            .route("", web::get().to(staff::root))
            .route("/", web::get().to(staff::home))
            .route("/login", web::get().to(staff::login_form))
            .route("/login", web::post().to(staff::login))
            .route("/logout", web::post().to(staff::logout))
            .route("/totp", web::get().to(totp::form))
            .route("/totp", web::post().to(totp::act))
            .route("/register", web::get().to(staff::register_form))
            .route("/register", web::post().to(staff::register))
            .route("/static/{file}", web::get().to(view::static_file))
            .app_data(services)
            .route("/cases", web::get().to(clerk::pending))
            .route("/cases/{id}", web::get().to(clerk::case))
            .route("/cases/{id}", web::post().to(clerk::act))
            .configure(oversight::routes)
            .configure(admin::routes)
            .configure(admin_rules::routes)
            .configure(admin_calendar::routes)
            .configure(archive::routes)
            .configure(post::routes)
            .configure(unit_routes),
    )
    .service(
        web::scope("/portal")
            .app_data(state)
            .app_data(portal_client)
            .route("", web::get().to(portal::root))
            .route("/", web::get().to(portal::lookup_form))
            .route("/lookup", web::post().to(portal::lookup))
            .route("/document", web::post().to(portal::document))
            .route("/rating", web::post().to(portal::rating))
            .route("/petition", web::get().to(portal_petition::phone_form))
            .route("/petition", web::post().to(portal_petition::submit))
            .route(
                "/petition/code",
                web::post().to(portal_petition::request_code),
            )
            .route(
                "/petition/verify",
                web::post().to(portal_petition::verify_code),
            ),
    );
}

/// The unit's and the mediator's pages (本单位待办、案件办理、调解).
fn unit_routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/unit", web::get().to(unit::inbox))
        .route("/unit/cases/{id}", web::get().to(unit::case))
        .route("/unit/cases/{id}", web::post().to(unit::act))
        .route("/mediation", web::get().to(mediator::list))
        .route("/mediation/calendar", web::get().to(mediator::calendar))
        .route("/mediation/{id}", web::get().to(mediator::mediation))
        .route("/mediation/{id}", web::post().to(mediator::act));
}
