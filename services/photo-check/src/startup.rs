//! Building the photo-check worker from settings and running it until
//! shutdown.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lonjak_bus::{Bus, WorkQueue};
use lonjak_photos::ObjectStore;
use lonjak_store::Store;
use lonjak_worker::Worker;
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::handler::PhotoChecker;
use crate::metrics::Metrics;

const START_ATTEMPTS: u32 = 30;
const START_PAUSE: Duration = Duration::from_secs(2);

/// A connected photo-check worker, ready to run.
pub struct Application {
    settings: Settings,
    worker: Worker<PhotoChecker>,
    registry: Arc<Registry>,
}

impl Application {
    /// Connects to the broker, the database and the object store (its
    /// bucket must answer). Does not consume yet.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        settings.validate()?;
        let mut registry = Registry::default();
        let objects = ObjectStore::new(&settings.object_store)?;
        objects
            .ping()
            .await
            .context("reaching the object store's bucket")?;
        let bus = Bus::connect(settings.bus.to_config())
            .await
            .context("connecting to the broker")?;
        // Photo checks read no personal data from the database.
        let mut store_config = settings.database.to_config().context("database settings")?;
        store_config.data_key = None;
        let store = Store::connect(store_config)
            .await
            .context("connecting to the database")?;
        let handler = PhotoChecker::new(objects, store.clone(), settings.photos)
            .with_metrics(Metrics::register(&mut registry));
        let worker = Worker::new(
            "photo-check",
            WorkQueue::PhotoCheck,
            handler,
            bus,
            store,
            settings.worker.clone(),
            &mut registry,
        );
        Ok(Self {
            settings,
            worker,
            registry: Arc::new(registry),
        })
    }

    pub async fn build_with_retry(
        settings: Settings,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<Option<Self>> {
        lonjak_worker::start_with_retry(
            "photo-check",
            START_ATTEMPTS,
            START_PAUSE,
            shutdown,
            || Self::build(settings.clone()),
        )
        .await
    }

    pub fn worker(&self) -> &Worker<PhotoChecker> {
        &self.worker
    }

    /// Serves the ops endpoints and consumes until `shutdown` fires.
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
