//! `lonjak-verifier`: config → telemetry → build → run.

use anyhow::Context;
use lonjak_verifier::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    lonjak_telemetry::init_tracing("lonjak-verifier");
    let file = std::env::var("LONJAK_CONFIG_FILE").ok();
    let settings = Settings::load(file.as_deref()).context("loading configuration")?;
    let shutdown = lonjak_telemetry::shutdown_token();
    let app = Application::build(settings).await?;
    app.run(shutdown).await
}
