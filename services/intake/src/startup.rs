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
    registrar::Registrar,
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
        let registration = options.registration.clone();
        let state = web::Data::new(IntakeState {
            settings: settings.intake.clone(),
            options,
            vault,
            calendar,
        });
        let registrar = web::Data::new(Registrar::start(
            state.clone().into_inner(),
            registration.writers,
            registration.batch_size,
        ));
        Service::start(
            Producer::Intake,
            settings.platform,
            &crate::MIGRATOR,
            Arc::new(IntakeEvents),
            hooks,
            routes::ApiDoc::openapi(),
            move |cfg| {
                cfg.app_data(state.clone());
                cfg.app_data(registrar.clone());
                routes::configure(cfg);
            },
        )
        .await
    }
}
