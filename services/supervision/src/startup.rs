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
    /// The deadline engine: limits, calendar directory and the timer clock.
    engine: crate::timers::Engine,
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
        let mut runtime = Runtime::build(
            Producer::Supervision,
            settings.platform.clone(),
            &crate::MIGRATOR,
        )
        .await?;
        // At the end of each batch, after the audit rows: the timeline and case units, then the
        // statistics rollup, whose shared rows are locked last.
        runtime.consume_with_writers(
            Arc::new(handler),
            hooks,
            vec![
                Arc::new(crate::events::TimelineBatchWriter),
                Arc::new(crate::read_models::RollupBatchWriter),
            ],
        );
        crate::reload::load_stored_years(&runtime.pool, &calendar).await?;
        let engine = crate::timers::Engine {
            calendar: calendar.clone(),
            limits: settings.supervision.limits.clone(),
            calendar_dir: dir.clone(),
            clock: crate::timers::system_clock(),
        };
        Ok(Application {
            runtime,
            calendar,
            engine,
        })
    }

    /// Replace the timer worker's clock (tests and drills fire the steps of a chosen day).
    pub fn with_timer_clock(mut self, clock: crate::timers::Clock) -> Self {
        self.engine.clock = clock;
        self
    }

    /// The deadline engine (its calendar is the one the event handler uses).
    pub fn engine(&self) -> crate::timers::Engine {
        self.engine.clone()
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
        let engine = web::Data::new(self.engine.clone());
        let parts = self.runtime.parts();
        tokio::spawn(
            crate::timers::TimerWorker::new(parts.pool, self.engine.clone(), parts.waker)
                .run(parts.shutdown),
        );
        let openapi = Arc::new(openapi_json(routes::ApiDoc::openapi()));
        // Oversight: the order escalation worker and its settings.
        let oversight = web::Data::new(self.engine.limits.oversight.clone());
        {
            let p = self.runtime.parts();
            crate::orders::spawn_worker(
                p.pool,
                self.calendar.clone(),
                oversight.get_ref().clone(),
                p.waker,
                p.shutdown,
            );
        }
        self.runtime
            .run(move |cfg| {
                cfg.app_data(calendar.clone());
                cfg.app_data(engine.clone());
                cfg.app_data(oversight.clone());
                routes::configure(cfg, openapi.clone());
            })
            .await
    }
}
