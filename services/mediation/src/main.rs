use mediation::{configuration::Settings, startup};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    xinfang_platform::telemetry::init("mediation", "info");
    let settings = Settings::load(env!("CARGO_MANIFEST_DIR"))?;
    let app = startup::build(settings).await?;
    tracing::info!(port = app.port(), "mediation listening");
    app.run_until_stopped().await
}
