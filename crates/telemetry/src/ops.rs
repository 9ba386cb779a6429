//! Operations endpoints: `/healthz`, `/readyz`, `/metrics`.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpResponse, web};
use prometheus_client::registry::Registry;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

type ReadyFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;
type ReadyFn = dyn Fn() -> ReadyFuture + Send + Sync;

/// `ops.*`: where a service serves its operations endpoints. Each service
/// gives its own default port (the gateway 9100, workers 9101 up).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct OpsSettings {
    /// Listen address of `/healthz`, `/readyz` and `/metrics`; port 0 picks
    /// a free one (tests).
    pub addr: String,
}

/// Bounds a readiness probe: a hung dependency must make the probe fail, not hang.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// What the ops endpoints serve: the metrics registry and a readiness check.
#[derive(Clone)]
pub struct OpsState {
    registry: Arc<Registry>,
    ready: Arc<ReadyFn>,
}

impl OpsState {
    /// `ready` answers `Ok(())` when the service can do its work (broker and
    /// database reachable), or a short reason (no personal data) otherwise.
    pub fn new<F, Fut>(registry: Arc<Registry>, ready: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), String>> + Send + 'static,
    {
        Self {
            registry,
            ready: Arc::new(move || Box::pin(ready()) as ReadyFuture),
        }
    }

    /// Renders the registry in the Prometheus/OpenMetrics text format.
    pub fn render_metrics(&self) -> String {
        let mut body = String::new();
        if let Err(error) = prometheus_client::encoding::text::encode(&mut body, &self.registry) {
            tracing::error!(%error, "metrics encoding failed");
        }
        body
    }
}

/// Mounts the three endpoints on an actix app.
pub fn configure(cfg: &mut web::ServiceConfig, state: OpsState) {
    configure_probes(cfg, state);
    cfg.route("/metrics", web::get().to(metrics));
}

/// Mounts `/healthz` and `/readyz` only: for a public listener, which must
/// not expose the metrics.
pub fn configure_probes(cfg: &mut web::ServiceConfig, state: OpsState) {
    cfg.app_data(web::Data::new(state))
        .route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz));
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok\n")
}

async fn readyz(state: web::Data<OpsState>) -> HttpResponse {
    match tokio::time::timeout(READY_TIMEOUT, (state.ready)()).await {
        Ok(Ok(())) => HttpResponse::Ok()
            .content_type("text/plain")
            .body("ready\n"),
        Ok(Err(reason)) => HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body(format!("not ready: {reason}\n")),
        Err(_) => HttpResponse::ServiceUnavailable()
            .content_type("text/plain")
            .body("not ready: readiness check timed out\n"),
    }
}

async fn metrics(state: web::Data<OpsState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .body(state.render_metrics())
}

/// A running ops server (workers serve the endpoints on their own port).
pub struct RunningOps {
    pub addr: SocketAddr,
    pub task: JoinHandle<std::io::Result<()>>,
}

/// Serves the ops endpoints on `addr` (port 0 picks a free port) until
/// `shutdown` is cancelled.
pub fn serve(
    addr: &str,
    state: OpsState,
    shutdown: CancellationToken,
) -> std::io::Result<RunningOps> {
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new().configure(|cfg| configure(cfg, state.clone()))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(5)
    .bind(addr)?;
    let bound = server.addrs().first().copied().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::AddrNotAvailable,
            "ops server bound no address",
        )
    })?;
    let server = server.run();
    let handle = server.handle();
    tokio::spawn(async move {
        shutdown.cancelled().await;
        handle.stop(true).await;
    });
    Ok(RunningOps {
        addr: bound,
        task: tokio::spawn(server),
    })
}
