use std::sync::Arc;

use actix_web::web;
use utoipa::OpenApi;
use xinfang_contracts::Producer;
use xinfang_messaging::ConsumerHooks;
use xinfang_platform::{http::openapi_json, runtime::RuntimeParts, Runtime};

use crate::{configuration::Settings, events::IntakeEvents, routes};

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
        let mut runtime = Runtime::build(
            Producer::Intake,
            settings.platform.clone(),
            &crate::MIGRATOR,
        )
        .await?;
        runtime.consume(Arc::new(IntakeEvents), hooks);
        Ok(Application { runtime, settings })
    }

    pub fn port(&self) -> u16 {
        self.runtime.port
    }

    pub fn parts(&self) -> RuntimeParts {
        self.runtime.parts()
    }

    /// Tests stop the service through its shutdown token instead of signals.
    pub fn without_signal_handling(mut self) -> Self {
        self.runtime.handle_signals = false;
        self
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
