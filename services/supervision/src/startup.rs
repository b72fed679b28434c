use std::sync::{Arc, RwLock};

use actix_web::web;
use utoipa::OpenApi;
use xinfang_contracts::Producer;
use xinfang_messaging::{BatchWriter, ConsumerHooks};
use xinfang_platform::Service;

use crate::{
    api,
    configuration::Settings,
    deadlines::store::deadlines::ClosingBatchWriter,
    deadlines::{
        domain::calendar::{system_clock, Clock, Engine, SharedCalendar},
        store::calendar_years::load_stored_years,
        workers::TimerWorker,
    },
    events::SupervisionEvents,
    oversight::orders::workers as order_escalation,
    statistics::store::{review::LadderBatchWriter, rollup::RollupBatchWriter},
    timeline::store::TimelineBatchWriter,
};

/// What the consumer writes at the end of each batch of events, in this order, after the audit
/// rows: the timers and findings of the clocks the batch closed, the ladder facts, the timeline
/// and case units, then the statistics rollup, whose shared rows are locked last.
pub fn batch_writers() -> Vec<Arc<dyn BatchWriter>> {
    vec![
        Arc::new(ClosingBatchWriter),
        Arc::new(LadderBatchWriter),
        Arc::new(TimelineBatchWriter),
        Arc::new(RollupBatchWriter),
    ]
}

/// What tests and drills change in the supervision service (督查督办) beyond its settings.
#[derive(Default)]
pub struct SupervisionOptions {
    /// Fault-injection hooks on the consumer.
    pub hooks: ConsumerHooks,
    /// The timer worker's clock, so that the steps of a chosen day fire; `None` is today in China.
    pub timer_clock: Option<Clock>,
}

/// The supervision service: deadlines, timeline, oversight, public calculator.
pub async fn build(settings: Settings) -> anyhow::Result<Service> {
    build_with_hooks(settings, ConsumerHooks::default()).await
}

/// As [`build`], with fault-injection hooks on the consumer (tests).
pub async fn build_with_hooks(settings: Settings, hooks: ConsumerHooks) -> anyhow::Result<Service> {
    let options = SupervisionOptions {
        hooks,
        ..SupervisionOptions::default()
    };
    Ok(build_with(settings, options).await?.0)
}

/// As [`build`], with `options`; also returns the deadline engine, whose calendar is the one the
/// event handler and the timer worker use.
pub async fn build_with(
    settings: Settings,
    options: SupervisionOptions,
) -> anyhow::Result<(Service, Engine)> {
    let dir = xinfang_calendar::calendar_dir(&settings.supervision.calendar_dir);
    // Years not yet published answer provisionally (暂定), so that no due date stays empty.
    let loaded = xinfang_calendar::load_calendars(&dir)?
        .with_provisional_years(crate::deadlines::domain::calendar::PROVISIONAL_YEARS_AHEAD);
    tracing::info!(years = ?loaded.years(), dir = %dir.display(), "holiday calendars loaded");
    let calendar: SharedCalendar = Arc::new(RwLock::new(Arc::new(loaded)));
    let limits = settings.supervision.limits.clone();
    let handler = SupervisionEvents {
        calendar: calendar.clone(),
        limits: limits.clone(),
    };
    let engine = Engine {
        calendar: calendar.clone(),
        limits: limits.clone(),
        calendar_dir: dir,
        clock: options.timer_clock.unwrap_or_else(system_clock),
    };
    let oversight = limits.oversight.clone();
    let (timer_engine, escalation_calendar, escalation_settings) =
        (engine.clone(), calendar.clone(), oversight.clone());
    let mut builder = Service::builder(Producer::Supervision, settings.platform, &crate::MIGRATOR);
    for writer in batch_writers() {
        builder = builder.batch_writer(writer);
    }
    let service = builder
        .consumer(Arc::new(handler), options.hooks)
        // Operations (运维告警): open deadlines past their due date, China time (超期未办结).
        .sql_gauge(
            "xinfang_deadlines_overdue",
            "Open statutory deadlines past their due date (China date)",
            "SELECT count(*) FROM deadlines WHERE status = 'open' \
             AND COALESCE(fixed_due, due_date) < (now() AT TIME ZONE 'Asia/Shanghai')::date",
        )
        .worker("deadline-timers", move |ctx| {
            TimerWorker::new(ctx.pool, timer_engine, ctx.waker).run(ctx.shutdown)
        })
        .worker("order-escalation", move |ctx| {
            order_escalation::run_worker(
                ctx.pool,
                escalation_calendar,
                escalation_settings,
                ctx.waker,
                ctx.shutdown,
            )
        })
        .openapi({
            let mut doc = api::ApiDoc::openapi();
            doc.merge(crate::mediation::api::MediationApiDoc::openapi());
            doc
        })
        .app_data(web::Data::new(calendar.clone()))
        .app_data(web::Data::new(engine.clone()))
        .app_data(web::Data::new(oversight))
        .routes(api::configure)
        .build()
        .await?;
    load_stored_years(service.pool(), &calendar).await?;
    Ok((service, engine))
}
