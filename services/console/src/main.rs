use console::{configuration::Settings, startup};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    xinfang_platform::telemetry::init("console", "info");
    let settings = Settings::load()?;
    let app = startup::build(settings).await?;
    tracing::info!(port = app.port(), "console listening");
    app.run_until_stopped().await
}
