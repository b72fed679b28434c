use std::sync::Arc;

use utoipa::OpenApi;
use xinfang_contracts::Producer;
use xinfang_messaging::ConsumerHooks;
use xinfang_platform::Service;

use crate::{
    api,
    configuration::{MediationOptions, Settings},
    events, workers,
};

/// The mediation service (多元解纷): its HTTP API, event consumer, outbox relay and the performance
/// watch.
pub async fn build(settings: Settings) -> anyhow::Result<Service> {
    build_with(
        settings,
        MediationOptions::default(),
        ConsumerHooks::default(),
    )
    .await
}

/// As [`build`], with fault-injection hooks on the consumer (tests).
pub async fn build_with_hooks(settings: Settings, hooks: ConsumerHooks) -> anyhow::Result<Service> {
    build_with(settings, MediationOptions::default(), hooks).await
}

/// As [`build`], with the given options.
pub async fn build_with(
    settings: Settings,
    options: MediationOptions,
    hooks: ConsumerHooks,
) -> anyhow::Result<Service> {
    let interval = options.performance_sweep;
    Service::builder(Producer::Mediation, settings.platform, &crate::MIGRATOR)
        .consumer(Arc::new(events::handler()), hooks)
        .worker("performance-watch", move |ctx| {
            workers::performance::run(ctx, interval)
        })
        .openapi(api::ApiDoc::openapi())
        .routes(api::configure)
        .build()
        .await
}
