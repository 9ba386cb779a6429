//! The consume loop: gather deliveries into batches (up to `batch_size`, or
//! whatever came within `linger` of the first), process up to `concurrency`
//! batches at once, and on shutdown stop taking deliveries and finish the
//! batches in hand.

use std::sync::Arc;

use lonjak_bus::{Bus, Consumer, Delivery, WorkQueue};
use lonjak_store::Store;
use prometheus_client::registry::Registry;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::process::process_batch;
use crate::publish::Chain;
use crate::relay::run_relay;
use crate::{Handler, WorkerMetrics, WorkerSettings};

/// What every task of a worker shares.
pub(crate) struct Ctx<H> {
    pub(crate) handler: H,
    pub(crate) bus: Bus,
    pub(crate) store: Store,
    pub(crate) settings: WorkerSettings,
    pub(crate) metrics: WorkerMetrics,
}

/// A worker: one handler consuming one work queue.
pub struct Worker<H: Handler> {
    name: &'static str,
    queue: WorkQueue,
    ctx: Arc<Ctx<H>>,
}

impl<H: Handler> Worker<H> {
    /// A worker named `name` (metrics, logs, consumer tag) consuming `queue`
    /// with `handler`; its metrics go into `registry`.
    pub fn new(
        name: &'static str,
        queue: WorkQueue,
        handler: H,
        bus: Bus,
        store: Store,
        settings: WorkerSettings,
        registry: &mut Registry,
    ) -> Self {
        let metrics = WorkerMetrics::register(name, registry);
        Self::with_metrics(name, queue, handler, bus, store, settings, metrics)
    }

    /// A worker whose metrics are already registered: the second worker of
    /// a process ([`WorkerMetrics::for_worker`]).
    pub fn with_metrics(
        name: &'static str,
        queue: WorkQueue,
        handler: H,
        bus: Bus,
        store: Store,
        settings: WorkerSettings,
        metrics: WorkerMetrics,
    ) -> Self {
        Self {
            name,
            queue,
            ctx: Arc::new(Ctx {
                handler,
                bus,
                store,
                settings,
                metrics,
            }),
        }
    }

    /// The runtime's metrics.
    pub fn metrics(&self) -> &WorkerMetrics {
        &self.ctx.metrics
    }

    /// The handler.
    pub fn handler(&self) -> &H {
        &self.ctx.handler
    }

    /// The broker connection.
    pub fn bus(&self) -> &Bus {
        &self.ctx.bus
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.ctx.store
    }

    /// Consumes until `shutdown` fires or the bus closes; runs the outbox
    /// relay alongside. Then stops taking deliveries, waits up to the
    /// shutdown grace for the batches in hand, and cancels the consumer:
    /// whatever is unfinished goes back to the queue (handlers are
    /// idempotent, so redoing it is safe).
    pub async fn run(self, shutdown: CancellationToken) -> Result<(), lonjak_bus::BusError> {
        let settings = &self.ctx.settings;
        let tag = format!("lonjak-{}-{}", self.name, std::process::id());
        let mut consumer = self
            .ctx
            .bus
            .consumer(self.queue, settings.prefetch(), &tag)
            .await?;
        tracing::info!(
            worker = self.name,
            prefetch = settings.prefetch(),
            batch_size = settings.batch_size,
            concurrency = settings.concurrency,
            "consuming"
        );
        let relay = tokio::spawn(run_relay(Arc::clone(&self.ctx), shutdown.clone()));
        let slots = Arc::new(Semaphore::new(settings.concurrency.max(1)));
        let mut batches = JoinSet::new();
        loop {
            // A slot before a batch: deliveries never wait in this process
            // while another replica could take them.
            let slot = tokio::select! {
                () = shutdown.cancelled() => break,
                slot = Arc::clone(&slots).acquire_owned() => match slot {
                    Ok(slot) => slot,
                    Err(_) => break,
                },
            };
            let Some(batch) = gather(&mut consumer, settings, &shutdown).await else {
                break;
            };
            let ctx = Arc::clone(&self.ctx);
            let stop = shutdown.clone();
            let span = tracing::info_span!("batch", worker = self.name, batch.size = batch.len());
            batches.spawn(
                async move {
                    process_batch(&ctx, batch, &stop).await;
                    drop(slot);
                }
                .instrument(span),
            );
            while let Some(done) = batches.try_join_next() {
                if let Err(error) = done {
                    tracing::error!(error = %Chain(&error), "a batch task failed");
                }
            }
        }
        tracing::info!(
            in_flight = batches.len(),
            "stopped taking deliveries; finishing the batches in hand"
        );
        let grace = settings.shutdown_grace();
        let drained = tokio::time::timeout(grace, async {
            while batches.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                abandoned = batches.len(),
                "shutdown grace over; unfinished batches go back to the queue"
            );
            // Aborting may cut a store transaction short: diesel-async then
            // marks the connection broken, the pool drops it, and PostgreSQL
            // rolls the transaction back.
            batches.shutdown().await;
        }
        consumer.cancel().await;
        let _ = relay.await;
        Ok(())
    }
}

/// The next batch: waits for one delivery, then takes more until the batch
/// is full or `linger` has passed since the first. `None` on shutdown or
/// when the bus closed. A lost subscription drops what was gathered (the
/// broker redelivers it) and starts again.
async fn gather(
    consumer: &mut Consumer,
    settings: &WorkerSettings,
    shutdown: &CancellationToken,
) -> Option<Vec<Delivery>> {
    let size = settings.batch_size.max(1);
    'batch: loop {
        let first = tokio::select! {
            () = shutdown.cancelled() => return None,
            next = consumer.next() => next?,
        };
        let first = match first {
            Ok(delivery) => delivery,
            Err(error) => {
                tracing::warn!(error = %Chain(&error), "consumer lost its subscription; resubscribing");
                continue;
            }
        };
        let mut batch = Vec::with_capacity(size);
        batch.push(first);
        let deadline = tokio::time::Instant::now() + settings.linger();
        while batch.len() < size {
            // `Consumer::next` is cancel-safe: a timeout loses no delivery.
            let next = tokio::select! {
                () = shutdown.cancelled() => break,
                next = tokio::time::timeout_at(deadline, consumer.next()) => next,
            };
            match next {
                Err(_) => break,
                Ok(None) => break,
                Ok(Some(Ok(delivery))) => batch.push(delivery),
                Ok(Some(Err(error))) => {
                    tracing::warn!(error = %Chain(&error), dropped = batch.len(), "consumer lost its subscription; the broker redelivers what was gathered");
                    continue 'batch;
                }
            }
        }
        return Some(batch);
    }
}
