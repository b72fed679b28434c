//! HTTP handlers and their request/response types (接口层). No SQL here: handlers call `store`
//! and `domain`, and map the domain error to the platform's error shape (`error`).

pub mod accounts;
pub mod auth;
pub mod caller;
pub mod error;
pub mod state;
pub mod tokens;
pub mod units;

use actix_web::web;
use utoipa::OpenApi;
use xinfang_platform::http::BearerAuth;

#[derive(OpenApi)]
#[openapi(
    info(title = "xinfang console (管理控制台): units directory, accounts, login, tokens"),
    modifiers(&BearerAuth),
    paths(
        units::list, units::get, units::ancestors, units::history, units::create, units::update, units::retire, units::republish,
        accounts::create, accounts::list, accounts::get, accounts::update, accounts::reset_password,
        accounts::reset_totp, accounts::sessions, accounts::revoke_sessions, accounts::revoke_session,
        auth::login, auth::refresh, auth::logout, auth::change_password, auth::totp_enrol, auth::totp_confirm, auth::me,
        tokens::jwks, tokens::service_token,
    ),
    components(schemas(
        units::UnitView, units::CreateUnit, units::UpdateUnit, units::RetireUnit, units::UnitHistoryView, units::Republished,
        accounts::AccountView, accounts::CreateAccount, accounts::UpdateAccount, accounts::ResetPassword, accounts::SessionView,
        auth::LoginRequest, auth::SessionTokens, auth::RefreshRequest, auth::ChangePassword, auth::TotpCode, auth::TotpEnrolment, auth::Me,
        tokens::ServiceTokenRequest, tokens::ServiceToken, xinfang_platform::auth::Jwks, xinfang_platform::auth::Jwk,
    ))
)]
pub struct ApiDoc;

/// The console's routes (the shared app data — pool, outbox waker — comes from the runtime).
pub fn configure(cfg: &mut web::ServiceConfig, state: web::Data<state::AppState>) {
    cfg.app_data(state)
        .route("/.well-known/jwks.json", web::get().to(tokens::jwks))
        .service(
            web::scope("/api/v1")
                .route("/auth/login", web::post().to(auth::login))
                .route("/auth/refresh", web::post().to(auth::refresh))
                .route("/auth/logout", web::post().to(auth::logout))
                .route("/auth/password", web::post().to(auth::change_password))
                .route("/auth/totp/enrol", web::post().to(auth::totp_enrol))
                .route("/auth/totp/confirm", web::post().to(auth::totp_confirm))
                .route("/auth/service-token", web::post().to(tokens::service_token))
                .route("/me", web::get().to(auth::me))
                .route("/units", web::get().to(units::list))
                .route("/units", web::post().to(units::create))
                .route("/units/republish", web::post().to(units::republish))
                .route("/units/{code}", web::get().to(units::get))
                .route("/units/{code}", web::put().to(units::update))
                .route("/units/{code}/ancestors", web::get().to(units::ancestors))
                .route("/units/{code}/history", web::get().to(units::history))
                .route("/units/{code}/retire", web::post().to(units::retire))
                .route("/accounts", web::post().to(accounts::create))
                .route("/accounts", web::get().to(accounts::list))
                .route("/accounts/{id}", web::get().to(accounts::get))
                .route("/accounts/{id}", web::patch().to(accounts::update))
                .route(
                    "/accounts/{id}/password",
                    web::put().to(accounts::reset_password),
                )
                .route(
                    "/accounts/{id}/totp",
                    web::delete().to(accounts::reset_totp),
                )
                .route("/accounts/{id}/sessions", web::get().to(accounts::sessions))
                .route(
                    "/accounts/{id}/sessions/revoke",
                    web::post().to(accounts::revoke_sessions),
                )
                .route(
                    "/sessions/{id}/revoke",
                    web::post().to(accounts::revoke_session),
                ),
        );
}
