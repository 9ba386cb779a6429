//! `lonjak-gateway`: configuration → telemetry → build → run.

use anyhow::Context;
use lonjak_gateway::{app::Application, config::Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    lonjak_telemetry::init_tracing("gateway");
    let settings = Settings::load().context("loading gateway settings")?;
    let shutdown = lonjak_telemetry::shutdown_token();
    let app = Application::build(settings, shutdown).await?;
    tracing::info!(addr = %app.addr(), ops.addr = %app.ops_addr(), "gateway listening");
    app.run_until_stopped().await
}
