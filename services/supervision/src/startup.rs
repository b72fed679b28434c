use std::sync::{Arc, RwLock};

use actix_web::web;
use utoipa::OpenApi;
use xinfang_calendar::HolidayCalendar;
use xinfang_contracts::Producer;
use xinfang_messaging::ConsumerHooks;
use xinfang_platform::{http::openapi_json, runtime::RuntimeParts, Runtime};

use crate::{
    configuration::Settings, deadlines::SharedCalendar, events::SupervisionEvents, routes,
};

/// The supervision service: deadlines, timeline, public calculator.
pub struct Application {
    runtime: Runtime,
    calendar: SharedCalendar,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Application::build_with_hooks(settings, ConsumerHooks::default()).await
    }

    pub async fn build_with_hooks(
        settings: Settings,
        hooks: ConsumerHooks,
    ) -> anyhow::Result<Application> {
        let dir = settings.supervision.calendar_dir();
        let loaded = HolidayCalendar::load_dir(&dir).map_err(|e| {
            anyhow::anyhow!("节假日日历加载失败 ({}): {}", dir.display(), e.message_zh())
        })?;
        tracing::info!(years = ?loaded.years(), dir = %dir.display(), "holiday calendars loaded");
        let calendar: SharedCalendar = Arc::new(RwLock::new(Arc::new(loaded)));
        let handler = SupervisionEvents {
            calendar: calendar.clone(),
            limits: settings.supervision.limits.clone(),
        };
        let runtime = Runtime::start(
            Producer::Supervision,
            settings.platform.clone(),
            &crate::MIGRATOR,
            Arc::new(handler),
            hooks,
        )
        .await?;
        Ok(Application { runtime, calendar })
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
        let calendar = web::Data::new(self.calendar.clone());
        let openapi = Arc::new(openapi_json(routes::ApiDoc::openapi()));
        self.runtime
            .run(move |cfg| {
                cfg.app_data(calendar.clone());
                routes::configure(cfg, openapi.clone());
            })
            .await
    }
}
