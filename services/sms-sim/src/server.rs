//! Building and running the HTTP server: [`spawn`] for tests (port 0, in the
//! background), [`run`] for the binary.

use std::net::{SocketAddr, TcpListener};

use actix_web::dev::ServerHandle;
use actix_web::web::Data;
use actix_web::{App, HttpServer};
use anyhow::Context;

use crate::config::{ConfigError, SmsSimConfig};
use crate::routes;
use crate::state::{Accepted, AppState, Attempt, SmsStats};

/// A simulator serving in the background of the current tokio runtime.
/// Dropping it stops the server.
pub struct RunningSmsSim {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub base_url: String,
    pub addr: SocketAddr,
    handle: ServerHandle,
    state: Data<AppState>,
}

impl RunningSmsSim {
    /// Messages accepted for `to` (all when `None`), as `GET /v1/messages`.
    pub fn messages(&self, to: Option<&str>) -> Vec<Accepted> {
        self.state.messages(to)
    }

    /// Every request answered for `to`, as `GET /v1/attempts`.
    pub fn attempts(&self, to: Option<&str>) -> Vec<Attempt> {
        self.state.attempts(to)
    }

    /// Counts, as `GET /stats`.
    pub fn stats(&self) -> SmsStats {
        self.state.stats()
    }

    /// Merges a partial JSON configuration, as `PUT /admin/config`.
    pub fn reconfigure(&self, patch: serde_json::Value) -> Result<SmsSimConfig, ConfigError> {
        self.state.reconfigure(patch)
    }

    /// Stops the server and waits until it has.
    pub async fn stop(self) {
        self.handle.stop(true).await;
    }
}

impl Drop for RunningSmsSim {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

/// Starts a simulator on `127.0.0.1:0` with `config.workers` workers (one
/// if 0), serving in the background.
pub async fn spawn(config: SmsSimConfig) -> anyhow::Result<RunningSmsSim> {
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
            tracing::error!(%error, "SMS simulator failed");
        }
    });
    Ok(RunningSmsSim {
        base_url: format!("http://{addr}"),
        addr,
        handle,
        state,
    })
}

/// Serves on `config.listen` until SIGINT/SIGTERM, then drains.
pub async fn run(config: SmsSimConfig) -> anyhow::Result<()> {
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
        tracing::info!(%addr, "SMS simulator listening");
    }
    server.run().await.context("SMS simulator failed")
}
