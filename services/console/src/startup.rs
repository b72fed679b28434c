//! Building the console (启动): the platform runtime (database, migrations, broker, outbox relay,
//! HTTP server) with the console's routes, its shared state, the first administrator and the
//! cleanup worker. Kept small so that it adapts to the platform's `Service` builder.

use std::sync::Arc;

use actix_web::web;
use utoipa::OpenApi;
use xinfang_contracts::Producer;
use xinfang_messaging::ConsumerHooks;
use xinfang_platform::runtime::Service;

use crate::{api, configuration::Settings, events::ConsoleEvents, workers};

/// The console service.
pub struct Application;

impl Application {
    /// Refuses a bad configuration (keys, the development key in production, argon2 cost below the
    /// floor) before touching the database.
    pub async fn build(settings: Settings) -> anyhow::Result<Service> {
        let state = web::Data::new(api::state::AppState::new(&settings)?);
        let service = Service::start(
            Producer::Console,
            settings.platform.clone(),
            &crate::MIGRATOR,
            Arc::new(ConsoleEvents),
            ConsumerHooks::default(),
            api::ApiDoc::openapi(),
            {
                let state = state.clone();
                move |cfg| api::configure(cfg, state.clone())
            },
        )
        .await?;
        let parts = service.parts();
        crate::bootstrap::first_admin(&parts.pool, &settings, &state.hasher).await?;
        tokio::spawn(workers::cleanup::run(
            parts.pool.clone(),
            settings.console.clone(),
            parts.shutdown.clone(),
        ));
        Ok(service)
    }
}
