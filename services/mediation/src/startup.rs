use std::sync::Arc;

use utoipa::OpenApi;
use xinfang_contracts::Producer;
use xinfang_messaging::ConsumerHooks;
use xinfang_platform::Service;

use crate::{api, configuration::Settings, events};

/// The mediation service: its HTTP API, event consumer and outbox relay.
pub async fn build(settings: Settings) -> anyhow::Result<Service> {
    build_with_hooks(settings, ConsumerHooks::default()).await
}

/// As [`build`], with fault-injection hooks on the consumer (tests).
pub async fn build_with_hooks(settings: Settings, hooks: ConsumerHooks) -> anyhow::Result<Service> {
    Service::builder(Producer::Mediation, settings.platform, &crate::MIGRATOR)
        .consumer(Arc::new(events::handler()), hooks)
        .openapi(api::ApiDoc::openapi())
        .routes(api::configure)
        .build()
        .await
}
