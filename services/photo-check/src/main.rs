//! `lonjak-photo-check`: config → telemetry → build → run.

use anyhow::Context;
use lonjak_photo_check::{Application, Settings};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    lonjak_telemetry::init_tracing("lonjak-photo-check");
    let settings = Settings::load().context("loading configuration")?;
    let shutdown = lonjak_telemetry::shutdown_token();
    match Application::build_with_retry(settings, &shutdown).await? {
        Some(app) => app.run(shutdown).await,
        None => Ok(()),
    }
}
