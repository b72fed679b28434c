//! JSON logs through `tracing` (日志). Every line carries the fields of the spans it is in, so a
//! request id or a correlation id appears on each line logged while handling it.

use std::sync::Once;

use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt, EnvFilter};

static INIT: Once = Once::new();

/// Install the global subscriber once. `RUST_LOG` overrides `default_filter`.
pub fn init(service: &'static str, default_filter: &str) {
    let default_filter = default_filter.to_string();
    INIT.call_once(move || {
        let filter =
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
        let json = tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_target(true)
            .flatten_event(true);
        let _ = tracing_subscriber::registry()
            .with(filter)
            .with(json)
            .try_init();
        tracing::info!(service, "telemetry initialised");
    });
}

/// For tests: logs only when `TEST_LOG` is set, so test output stays readable.
pub fn init_for_tests() {
    if std::env::var_os("TEST_LOG").is_some() {
        init("test", "info");
    }
}
