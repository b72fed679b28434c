//! Building the console (启动): the runner with the console's routes, its shared state and the
//! cleanup worker, the console's own token verifier (its key set, no fetching), and the first
//! administrator (初始管理员), created at start when the accounts table is empty and
//! `console.bootstrap_admin` is configured (in production from environment variables, once).

use std::sync::Arc;

use actix_web::web;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use utoipa::OpenApi;
use uuid::Uuid;
use xinfang_contracts::Producer;
use xinfang_messaging::{ConsumerHooks, UnitOfWork};
use xinfang_platform::{
    audit::{AuditEntry, AuditExt},
    Service,
};

use crate::{
    api,
    configuration::Settings,
    domain::{
        account::{DisplayName, LoginName},
        password::{NewPassword, PasswordHasher},
        unit::UnitCode,
    },
    events::ConsoleEvents,
    store, workers,
};

/// The console service. Refuses a bad configuration (keys, the development key in production,
/// argon2 cost below the floor) before touching the database.
pub async fn build(settings: Settings) -> anyhow::Result<Service> {
    let state = web::Data::new(api::state::AppState::new(&settings)?);
    let verifier = state.verifier(&settings)?;
    let cleanup = settings.console.clone();
    let service = Service::builder(
        Producer::Console,
        settings.platform.clone(),
        &crate::MIGRATOR,
    )
    .verifier(verifier)
    .consumer(Arc::new(ConsoleEvents), ConsumerHooks::default())
    .worker("session-cleanup", move |ctx| {
        workers::cleanup::run(ctx.pool, cleanup, ctx.shutdown)
    })
    .worker("directory-announce", |ctx| {
        workers::announce::run(ctx.pool, ctx.waker, ctx.shutdown)
    })
    .openapi(api::ApiDoc::openapi())
    .routes({
        let state = state.clone();
        move |cfg| {
            api::configure(cfg, state.clone());
            crate::pages::configure(cfg, state.clone());
        }
    })
    .build()
    .await?;
    first_admin(service.pool(), &settings, &state.hasher).await?;
    Ok(service)
}

/// Create the first administrator when there is no account at all.
pub async fn first_admin(
    pool: &PgPool,
    settings: &Settings,
    hasher: &PasswordHasher,
) -> anyhow::Result<()> {
    let Some(b) = &settings.console.bootstrap_admin else {
        return Ok(());
    };
    let mut uow = UnitOfWork::begin_without_waker(pool).await?;
    // One replica at a time.
    store::accounts::lock_bootstrap(uow.conn()).await?;
    if store::accounts::count(uow.conn()).await? > 0 {
        return Ok(());
    }
    let err = |e: crate::domain::DomainError| anyhow::anyhow!("console.bootstrap_admin: {e}");
    let login = LoginName::parse(&b.login_name).map_err(err)?;
    let display = DisplayName::parse(&b.display_name).map_err(err)?;
    let unit = UnitCode::parse("unit", &b.unit).map_err(err)?;
    let password =
        NewPassword::parse("password", b.password.expose_secret(), &login).map_err(err)?;
    let hash = hasher.hash(&password).map_err(err)?;
    let id = Uuid::now_v7();
    store::accounts::insert(
        uow.conn(),
        &store::accounts::NewAccount {
            id,
            login_name: login.as_str(),
            display_name: display.as_str(),
            unit_code: unit.as_str(),
            roles: &["admin".to_string()],
            password_hash: &hash,
            created_by: "system:bootstrap",
        },
    )
    .await?;
    uow.audit(AuditEntry::system(
        "console",
        "account.create",
        None,
        serde_json::json!({ "account_id": id, "login_name": login.as_str(), "roles": ["admin"], "bootstrap": true }),
    ))
    .await?;
    uow.commit().await?;
    tracing::warn!(
        login = login.as_str(),
        "first administrator created; it must enrol TOTP at first login"
    );
    Ok(())
}
