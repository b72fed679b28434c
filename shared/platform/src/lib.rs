//! Platform glue shared by every service (平台公共组件): settings, telemetry, authentication,
//! the HTTP error shape, audit, idempotency, China time, health and metrics, and the service
//! runner that runs the HTTP server, the event consumer, the outbox relay and the background
//! workers together.

pub mod audit;
pub mod audit_trail;
pub mod auth;
pub mod case_registry;
pub mod directory;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod input;
pub mod input_guard;
pub mod pii;
pub mod pii_rotation;
pub mod runtime;
pub mod settings;
pub mod sql_gauges;
pub mod telemetry;
pub mod time;

pub use auth::{Actor, Permission, Role};
pub use error::ApiError;
pub use runtime::{Service, ServiceBuilder, WorkerContext};
pub use settings::PlatformSettings;

/// Migrations of the platform's own tables (audit log, idempotency keys), tracked apart from the
/// service's migrations.
pub fn migrator() -> sqlx::migrate::Migrator {
    let mut m = sqlx::migrate!("./migrations");
    m.dangerous_set_table_name("_platform_migrations");
    m
}
