//! Building and running the HTTP server: [`spawn`] for tests (port 0, in the
//! background), [`run`] for the binary.

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::ServerHandle;
use actix_web::web::Data;
use actix_web::{App, HttpServer};
use anyhow::Context;

use crate::config::{ConfigError, SimConfig};
use crate::routes;
use crate::state::{AppState, SimStats};

/// A simulator serving in the background of the current tokio runtime.
/// Dropping it stops the server.
pub struct RunningSim {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base_url: String,
    /// The bound address.
    pub addr: SocketAddr,
    handle: ServerHandle,
    state: Data<AppState>,
}

impl RunningSim {
    /// Statistics as `GET /stats` reports them, read in-process.
    pub fn stats(&self) -> SimStats {
        self.state.stats()
    }

    /// Zeroes the statistics, as `POST /stats/reset`.
    pub fn reset_stats(&self) {
        self.state.reset_stats();
    }

    /// The live configuration, as `GET /admin/config`.
    pub fn config(&self) -> SimConfig {
        self.state.config()
    }

    /// Merges a partial JSON configuration, as `PUT /admin/config`.
    pub fn reconfigure(&self, patch: serde_json::Value) -> Result<SimConfig, ConfigError> {
        self.state.reconfigure(patch)
    }

    /// Stops the server gracefully and waits until it has.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        // The stop command is sent as soon as `stop` is called; not awaiting
        // just means not waiting for the workers to finish.
        drop(self.handle.stop(false));
    }
}

/// Starts a simulator on `127.0.0.1:0` (whatever `config.listen` says) with
/// `config.workers` workers (one if 0), serving in the background.
pub async fn spawn(config: SimConfig) -> anyhow::Result<RunningSim> {
    config
        .validate()
        .context("invalid simulator configuration")?;
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot bind 127.0.0.1:0")?;
    let addr = listener.local_addr().context("no local address")?;
    let workers = config.workers.max(1);
    let state = Data::new(AppState::new(config));
    let server = HttpServer::new({
        let state = state.clone();
        move || {
            App::new()
                .app_data(state.clone())
                .configure(routes::configure)
        }
    })
    .workers(workers)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)
    .context("cannot listen")?
    .run();
    let handle = server.handle();
    tokio::spawn(async move {
        if let Err(error) = server.await {
            tracing::error!(error = %error, "simulator server failed");
        }
    });
    Ok(RunningSim {
        base_url: format!("http://{addr}"),
        addr,
        handle,
        state,
    })
}

/// Serves on `config.listen` until SIGINT/SIGTERM, then drains.
pub async fn run(config: SimConfig) -> anyhow::Result<()> {
    config
        .validate()
        .context("invalid simulator configuration")?;
    let listen = config.listen.clone();
    let workers = config.workers;
    let state = Data::new(AppState::new(config));
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .configure(routes::configure)
    });
    if workers > 0 {
        server = server.workers(workers);
    }
    let server = server
        .bind(&listen)
        .with_context(|| format!("cannot bind {listen}"))?;
    for addr in server.addrs() {
        tracing::info!(%addr, "registry simulator listening");
    }
    server.run().await.context("simulator server failed")
}
