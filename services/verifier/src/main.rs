//! `lonjak-verifier`: config → telemetry → build → run.

use std::time::Duration;

use anyhow::Context;
use lonjak_verifier::{Application, Settings};

/// Start-up tolerates a broker or database that is still coming up (a
/// machine booting, a broker restart): up to a minute of retries.
const START_ATTEMPTS: u32 = 30;
const START_RETRY: Duration = Duration::from_secs(2);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    lonjak_telemetry::init_tracing("lonjak-verifier");
    let file = std::env::var("LONJAK_CONFIG_FILE").ok();
    let settings = Settings::load(file.as_deref()).context("loading configuration")?;
    let shutdown = lonjak_telemetry::shutdown_token();
    let mut attempt = 1;
    let app = loop {
        match Application::build(settings.clone()).await {
            Ok(app) => break app,
            Err(error) if attempt < START_ATTEMPTS && !shutdown.is_cancelled() => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    attempt,
                    "cannot start yet; retrying"
                );
                attempt += 1;
                tokio::select! {
                    _ = shutdown.cancelled() => return Ok(()),
                    _ = tokio::time::sleep(START_RETRY) => {}
                }
            }
            Err(error) => return Err(error),
        }
    };
    app.run(shutdown).await
}
