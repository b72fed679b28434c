use std::sync::Arc;

use actix_web::web;
use utoipa::OpenApi;
use xinfang_contracts::Producer;
use xinfang_messaging::ConsumerHooks;
use xinfang_platform::{http::openapi_json, runtime::RuntimeParts, Runtime};

use xinfang_calendar::HolidayCalendar;
use xinfang_platform::pii::PiiVault;

use crate::{
    configuration::{IntakeOptions, Settings},
    events::IntakeEvents,
    routes,
    state::IntakeState,
};

/// The intake service: HTTP API, event consumer and outbox relay.
pub struct Application {
    runtime: Runtime,
    state: Arc<IntakeState>,
}

impl Application {
    /// Build with the rest of the `intake` configuration ([`IntakeOptions`]) read from the
    /// layered configuration files and environment.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Application::build_with_hooks(settings, ConsumerHooks::default()).await
    }

    /// As `build`, with fault-injection hooks on the consumer (tests).
    pub async fn build_with_hooks(
        settings: Settings,
        hooks: ConsumerHooks,
    ) -> anyhow::Result<Application> {
        let options = IntakeOptions::load()?;
        Application::build_with_options(settings, options, hooks).await
    }

    /// As `build`, with the given options.
    pub async fn build_with_options(
        settings: Settings,
        options: IntakeOptions,
        hooks: ConsumerHooks,
    ) -> anyhow::Result<Application> {
        // Refuse bad keys or calendars before touching the database.
        let vault = PiiVault::new(&options.pii).map_err(|e| anyhow::anyhow!("{e}"))?;
        let dir = options.calendar_dir();
        let calendar = HolidayCalendar::load_dir(&dir).map_err(|e| {
            anyhow::anyhow!("节假日日历加载失败 ({}): {}", dir.display(), e.message_zh())
        })?;
        let state = Arc::new(IntakeState {
            settings: settings.intake.clone(),
            options,
            vault,
            calendar,
        });
        let runtime = Runtime::start(
            Producer::Intake,
            settings.platform.clone(),
            &crate::MIGRATOR,
            Arc::new(IntakeEvents),
            hooks,
        )
        .await?;
        Ok(Application { runtime, state })
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
        let state = web::Data::from(self.state.clone());
        let openapi = Arc::new(openapi_json(routes::ApiDoc::openapi()));
        self.runtime
            .run(move |cfg| {
                cfg.app_data(state.clone());
                routes::configure(cfg, openapi.clone());
            })
            .await
    }
}
