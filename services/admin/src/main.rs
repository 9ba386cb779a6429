//! `lonjak-admin`: configuration → telemetry → build → run.

use anyhow::Context;
use lonjak_admin::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    lonjak_telemetry::init_tracing("lonjak-admin");
    let settings = Settings::load().context("loading admin settings")?;
    let shutdown = lonjak_telemetry::shutdown_token();
    let app = Application::build(settings, shutdown).await?;
    tracing::info!(addr = %app.addr(), "admin API listening");
    app.run().await
}
