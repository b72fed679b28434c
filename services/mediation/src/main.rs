use mediation::{
    configuration::{MediationOptions, Settings},
    startup,
};
use xinfang_messaging::ConsumerHooks;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    xinfang_platform::telemetry::init("mediation", "info");
    let settings = Settings::load(env!("CARGO_MANIFEST_DIR"))?;
    let options = MediationOptions::load(env!("CARGO_MANIFEST_DIR"))?;
    tracing::info!(
        performance_watch_secs = options.performance_sweep.as_secs(),
        "mediation options"
    );
    let app = startup::build_with(settings, options, ConsumerHooks::default()).await?;
    tracing::info!(port = app.port(), "mediation listening");
    app.run_until_stopped().await
}
