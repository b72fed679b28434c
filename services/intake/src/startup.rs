use std::sync::Arc;

use actix_web::web;
use utoipa::OpenApi;
use xinfang_contracts::Producer;
use xinfang_messaging::ConsumerHooks;
use xinfang_platform::{http::openapi_json, runtime::RuntimeParts, Runtime};

use crate::{configuration::Settings, events::IntakeEvents, routes};

/// The intake service: HTTP API, event consumer and outbox relay.
pub struct Application {
    runtime: Runtime,
    settings: Settings,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Application::build_with_hooks(settings, ConsumerHooks::default()).await
    }

    /// As `build`, with fault-injection hooks on the consumer (tests).
    pub async fn build_with_hooks(
        settings: Settings,
        hooks: ConsumerHooks,
    ) -> anyhow::Result<Application> {
        let runtime = Runtime::start(
            Producer::Intake,
            settings.platform.clone(),
            &crate::MIGRATOR,
            Arc::new(IntakeEvents),
            hooks,
        )
        .await?;
        Ok(Application { runtime, settings })
    }

    pub fn port(&self) -> u16 {
        self.runtime.port
    }

    pub fn parts(&self) -> RuntimeParts {
        self.runtime.parts()
    }

    pub fn without_signal_handling(self) -> Self {
        Application {
            runtime: self.runtime.without_signal_handling(),
            ..self
        }
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let intake = web::Data::new(self.settings.intake.clone());
        let openapi = Arc::new(openapi_json(routes::ApiDoc::openapi()));
        self.runtime
            .run(move |cfg| {
                cfg.app_data(intake.clone());
                routes::configure(cfg, openapi.clone());
            })
            .await
    }
}
