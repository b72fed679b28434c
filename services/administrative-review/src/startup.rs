use std::sync::Arc;

use utoipa::OpenApi;
use xinfang_contracts::Producer;
use xinfang_messaging::ConsumerHooks;
use xinfang_platform::runtime::Service;

use crate::{configuration::Settings, events::ReviewEvents, routes};

/// The administrative-review service: its HTTP API, event consumer and outbox relay.
pub struct Application;

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Service> {
        Application::build_with_hooks(settings, ConsumerHooks::default()).await
    }

    /// As `build`, with fault-injection hooks on the consumer (tests).
    pub async fn build_with_hooks(
        settings: Settings,
        hooks: ConsumerHooks,
    ) -> anyhow::Result<Service> {
        Service::start(
            Producer::AdministrativeReview,
            settings.platform,
            &crate::MIGRATOR,
            Arc::new(ReviewEvents),
            hooks,
            routes::ApiDoc::openapi(),
            routes::configure,
        )
        .await
    }
}
