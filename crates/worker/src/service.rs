//! Running a worker as a service: its ops endpoints beside the consume loop,
//! and a clean stop.

use std::sync::Arc;

use anyhow::Context;
use futures::future::join_all;
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
    serve_all(vec![worker], ops_addr, registry, shutdown).await
}

/// [`serve`] for several consume loops in one process (one per queue),
/// sharing its broker connection, database pool and ops endpoints. When one
/// loop ends (its bus closed), the others stop too: the process is then
/// restarted whole, never left half consuming. An empty list is an error.
pub async fn serve_all<H: Handler>(
    workers: Vec<Worker<H>>,
    ops_addr: &str,
    registry: Arc<Registry>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let first = workers.first().context("no worker to serve")?;
    let bus = first.bus().clone();
    let store = first.store().clone();
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
    let results = join_all(workers.into_iter().map(|worker| {
        let shutdown = shutdown.clone();
        async move {
            let result = worker.run(shutdown.clone()).await;
            // The loop may also end because the bus closed: stop the other
            // loops and the ops server too.
            shutdown.cancel();
            result
        }
    }))
    .await;
    bus.close().await;
    if let Ok(Err(error)) = ops.task.await {
        tracing::warn!(%error, "ops server ended with an error");
    }
    results
        .into_iter()
        .collect::<Result<Vec<()>, _>>()
        .map(drop)
        .context("subscribing to the work queue")
}
