//! Building the verifier from settings and running it until shutdown.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lonjak_bus::{Bus, WorkQueue};
use lonjak_store::Store;
use lonjak_worker::Worker;
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::handler::Verifier;
use crate::metrics::Metrics;
use crate::registry::Registries;

/// How long the verifier keeps trying to reach the broker and the database
/// at start (a node booting, a pod scheduled before its dependencies).
const START_ATTEMPTS: u32 = 30;
const START_PAUSE: Duration = Duration::from_secs(2);

/// A connected verifier, ready to run.
pub struct Application {
    settings: Settings,
    worker: Worker<Verifier>,
    metrics: Metrics,
    registry: Arc<Registry>,
}

impl Application {
    /// Connects to the broker (declaring or checking the topology) and the
    /// database, and builds the registry clients. Does not consume yet.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let mut registry = Registry::default();
        let metrics = Metrics::register(&mut registry);
        let registries = Registries::new(
            settings.registries.dukcapil.clone(),
            settings.registries.dapodik.clone(),
            settings.registries.dtks.clone(),
            &metrics,
        )
        .context("building the registry clients")?;
        let bus = Bus::connect(settings.bus.to_config())
            .await
            .context("connecting to the broker")?;
        let store = Store::connect(
            settings
                .database
                .to_config_with_data_key()
                .context("database settings")?,
        )
        .await
        .context("connecting to the database")?;
        let opening_keys = settings.seal.ring();
        // Key ids only (derived from the public keys): what a rotation needs
        // to see, never the keys.
        let key_ids: Vec<String> = opening_keys
            .key_ids()
            .iter()
            .map(ToString::to_string)
            .collect();
        tracing::info!(seal.key_ids = %key_ids.join(","), "opening sealed applicants with these keys");
        let handler = Verifier {
            store: store.clone(),
            registries,
            identity_key: settings.identity.key.clone(),
            lookup_key: settings.identity.lookup_key().clone(),
            opening_keys,
            deadline: settings.verifier.deadline(),
        };
        let worker = Worker::new(
            "verifier",
            WorkQueue::Verifier,
            handler,
            bus,
            store,
            settings.worker.clone(),
            &mut registry,
        );
        Ok(Self {
            settings,
            worker,
            metrics,
            registry: Arc::new(registry),
        })
    }

    /// Builds the application, retrying while the broker or the database is
    /// unreachable; `None` if shutdown came first.
    pub async fn build_with_retry(
        settings: Settings,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<Option<Self>> {
        lonjak_worker::start_with_retry("verifier", START_ATTEMPTS, START_PAUSE, shutdown, || {
            Self::build(settings.clone())
        })
        .await
    }

    /// The worker (its bus, store and runtime metrics).
    pub fn worker(&self) -> &Worker<Verifier> {
        &self.worker
    }

    /// The registry clients' metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The registry clients.
    pub fn registries(&self) -> &Registries {
        &self.worker.handler().registries
    }

    /// Serves the ops endpoints and consumes until `shutdown` fires; then
    /// finishes the batches in hand and closes the broker connection.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        lonjak_worker::serve(
            self.worker,
            &self.settings.ops.addr,
            self.registry,
            shutdown,
        )
        .await
    }
}
