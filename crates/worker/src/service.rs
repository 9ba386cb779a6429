//! Running a worker as a service: its ops endpoints beside the consume loop,
//! and a clean stop.

use std::sync::Arc;

use anyhow::Context;
use lonjak_telemetry::ops::{self, OpsState};
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

use crate::{Handler, Worker};

/// Serves `/healthz`, `/readyz` (broker connected and database answering)
/// and `/metrics` on `ops_addr`, runs `worker` until `shutdown`, then closes
/// the broker connection and the ops server.
pub async fn serve<H: Handler>(
    worker: Worker<H>,
    ops_addr: &str,
    registry: Arc<Registry>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let bus = worker.bus().clone();
    let store = worker.store().clone();
    let ready = OpsState::new(registry, {
        let bus = bus.clone();
        move || {
            let bus = bus.clone();
            let store = store.clone();
            async move {
                if !bus.is_connected() {
                    return Err("broker unreachable".to_owned());
                }
                store
                    .ping()
                    .await
                    .map_err(|_| "database unreachable".to_owned())
            }
        }
    });
    let ops = ops::serve(ops_addr, ready, shutdown.clone())
        .with_context(|| format!("binding the ops server to {ops_addr}"))?;
    tracing::info!(ops.addr = %ops.addr, "ops endpoints listening");
    let result = worker
        .run(shutdown.clone())
        .await
        .context("subscribing to the work queue");
    // The loop may also end because the bus closed: stop the ops server too.
    shutdown.cancel();
    bus.close().await;
    if let Ok(Err(error)) = ops.task.await {
        tracing::warn!(%error, "ops server ended with an error");
    }
    result
}
