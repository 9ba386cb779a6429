//! Building the eligibility worker from settings and running it until
//! shutdown.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lonjak_bus::{Bus, WorkQueue};
use lonjak_store::Store;
use lonjak_worker::Worker;
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::handler::Scorer;
use crate::metrics::SelectionMetrics;

/// How long the worker keeps trying to reach the broker and the database at
/// start (a node booting, a pod scheduled before its dependencies).
const START_ATTEMPTS: u32 = 30;
const START_PAUSE: Duration = Duration::from_secs(2);

/// A connected eligibility worker, ready to run.
pub struct Application {
    settings: Settings,
    worker: Worker<Scorer>,
    selection: SelectionMetrics,
    registry: Arc<Registry>,
}

impl Application {
    /// Connects to the broker (declaring or checking the topology) and the
    /// database. Does not consume yet.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        settings.validate()?;
        let mut registry = Registry::default();
        let selection = SelectionMetrics::register(&mut registry);
        let bus = Bus::connect(settings.bus.to_config())
            .await
            .context("connecting to the broker")?;
        // Scoring reads the stated birth date, sealed at rest: the data key.
        let store_config = settings
            .database
            .to_config_with_data_key()
            .context("database settings")?;
        let store = Store::connect(store_config)
            .await
            .context("connecting to the database")?;
        let handler = Scorer {
            store: store.clone(),
            weights: settings.eligibility.weights.clone(),
        };
        let worker = Worker::new(
            "eligibility",
            WorkQueue::Eligibility,
            handler,
            bus,
            store,
            settings.worker.clone(),
            &mut registry,
        );
        Ok(Self {
            settings,
            worker,
            selection,
            registry: Arc::new(registry),
        })
    }

    /// Builds the application, retrying while the broker or the database is
    /// unreachable; `None` if shutdown came first.
    pub async fn build_with_retry(
        settings: Settings,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<Option<Self>> {
        lonjak_worker::start_with_retry(
            "eligibility",
            START_ATTEMPTS,
            START_PAUSE,
            shutdown,
            || Self::build(settings.clone()),
        )
        .await
    }

    /// The worker (its bus, store and runtime metrics).
    pub fn worker(&self) -> &Worker<Scorer> {
        &self.worker
    }

    /// Serves the ops endpoints and consumes until `shutdown` fires; then
    /// finishes the batches in hand and closes the broker connection.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        self.selection.run(
            self.worker.store().clone(),
            self.settings.eligibility.totals_interval(),
            shutdown.clone(),
        );
        lonjak_worker::serve(
            self.worker,
            &self.settings.ops.addr,
            self.registry,
            shutdown,
        )
        .await
    }
}
