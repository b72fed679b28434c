use std::sync::Arc;

use utoipa::OpenApi;
use xinfang_contracts::Producer;
use xinfang_messaging::ConsumerHooks;
use xinfang_platform::{http::openapi_json, runtime::RuntimeParts, Runtime};

use crate::{configuration::Settings, events::MediationEvents, routes};

/// The mediation service.
pub struct Application {
    runtime: Runtime,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Application::build_with_hooks(settings, ConsumerHooks::default()).await
    }

    pub async fn build_with_hooks(
        settings: Settings,
        hooks: ConsumerHooks,
    ) -> anyhow::Result<Application> {
        let runtime = Runtime::start(
            Producer::Mediation,
            settings.platform,
            &crate::MIGRATOR,
            Arc::new(MediationEvents),
            hooks,
        )
        .await?;
        Ok(Application { runtime })
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
        }
    }

    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let openapi = Arc::new(openapi_json(routes::ApiDoc::openapi()));
        self.runtime
            .run(move |cfg| routes::configure(cfg, openapi.clone()))
            .await
    }
}
