use std::sync::Arc;

use actix_web::web;
use utoipa::OpenApi;
use xinfang_contracts::Producer;
use xinfang_messaging::ConsumerHooks;
use xinfang_platform::runtime::Service;

use xinfang_calendar::HolidayCalendar;
use xinfang_platform::pii::PiiVault;

use crate::{
    configuration::{IntakeOptions, Settings},
    events::IntakeEvents,
    routes,
    state::IntakeState,
};

/// The intake service: HTTP API, event consumer and outbox relay.
pub struct Application;

impl Application {
    /// Build with the rest of the `intake` configuration ([`IntakeOptions`]) read from the
    /// layered configuration files and environment.
    pub async fn build(settings: Settings) -> anyhow::Result<Service> {
        Application::build_with_hooks(settings, ConsumerHooks::default()).await
    }

    /// As `build`, with fault-injection hooks on the consumer (tests).
    pub async fn build_with_hooks(
        settings: Settings,
        hooks: ConsumerHooks,
    ) -> anyhow::Result<Service> {
        let options = IntakeOptions::load()?;
        Application::build_with_options(settings, options, hooks).await
    }

    /// As `build`, with the given options.
    pub async fn build_with_options(
        settings: Settings,
        options: IntakeOptions,
        hooks: ConsumerHooks,
    ) -> anyhow::Result<Service> {
        // Refuse bad keys or calendars before touching the database.
        let vault = PiiVault::new(&options.pii).map_err(|e| anyhow::anyhow!("{e}"))?;
        let dir = options.calendar_dir();
        let calendar = HolidayCalendar::load_dir(&dir).map_err(|e| {
            anyhow::anyhow!("节假日日历加载失败 ({}): {}", dir.display(), e.message_zh())
        })?;
        let state = web::Data::new(IntakeState {
            settings: settings.intake.clone(),
            options,
            vault,
            calendar,
        });
        Service::start(
            Producer::Intake,
            settings.platform,
            &crate::MIGRATOR,
            Arc::new(IntakeEvents),
            hooks,
            routes::ApiDoc::openapi(),
            move |cfg| {
                cfg.app_data(state.clone());
                routes::configure(cfg);
            },
        )
        .await
    }
}
