//! Building the verifier from settings and running it until shutdown.

use std::sync::Arc;

use anyhow::Context;
use lonjak_bus::{Bus, WorkQueue};
use lonjak_domain::IdentityKey;
use lonjak_store::{DataKey, Store, StoreConfig};
use lonjak_telemetry::ops::{self, OpsState};
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::handler::Handler;
use crate::metrics::Metrics;
use crate::registry::Registries;
use crate::worker;

/// A connected verifier, ready to run.
pub struct Application {
    settings: Settings,
    handler: Handler,
    metrics: Metrics,
    prometheus: Arc<prometheus_client::registry::Registry>,
}

impl Application {
    /// Connects to the broker (declaring the topology) and the database, and
    /// builds the registry clients. Does not consume yet.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let identity_key = IdentityKey::from_hex(settings.identity.key.expose_secret())
            .context("identity.key must be at least 32 bytes of hex")?;
        let data_key = DataKey::from_hex(settings.database.data_key.expose_secret())
            .context("database.data_key must be 32 bytes of hex")?;
        let mut prometheus = prometheus_client::registry::Registry::default();
        let metrics = Metrics::register(&mut prometheus);
        let registries = Registries::new(
            settings.registries.dukcapil.clone(),
            settings.registries.dapodik.clone(),
            settings.registries.dtks.clone(),
            &metrics,
        )
        .context("building the registry clients")?;
        let bus = Bus::connect(settings.bus.to_bus_config())
            .await
            .context("connecting to the broker")?;
        let store = Store::connect(StoreConfig {
            database_url: settings.database.url.expose_secret().to_owned(),
            max_connections: settings.database.max_connections,
            connect_timeout: std::time::Duration::from_millis(settings.database.connect_timeout_ms),
            data_key: Some(data_key),
        })
        .await
        .context("connecting to the database")?;
        let handler = Handler {
            bus,
            store,
            registries,
            identity_key,
            deadline: settings.verifier.deadline(),
        };
        Ok(Self {
            settings,
            handler,
            metrics,
            prometheus: Arc::new(prometheus),
        })
    }

    /// The broker connection (tests publish and inspect queues through it).
    pub fn bus(&self) -> &Bus {
        &self.handler.bus
    }

    /// The database.
    pub fn store(&self) -> &Store {
        &self.handler.store
    }

    /// The metrics this verifier updates.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The registry clients.
    pub fn registries(&self) -> &Registries {
        &self.handler.registries
    }

    /// Serves the ops endpoints and consumes until `shutdown` fires; then
    /// finishes the deliveries in hand and closes the broker connection.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        let bus = self.handler.bus.clone();
        let store = self.handler.store.clone();
        let ready_bus = bus.clone();
        let ops_state = OpsState::new(self.prometheus.clone(), move || {
            let bus = ready_bus.clone();
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
        });
        let ops = ops::serve(&self.settings.ops.addr, ops_state, shutdown.clone())
            .with_context(|| format!("binding the ops server to {}", self.settings.ops.addr))?;
        tracing::info!(ops.addr = %ops.addr, "ops endpoints listening");

        // Prefetch bounds the unacked deliveries the broker pushes to us: a
        // little above `concurrency` keeps every slot busy without hoarding
        // messages another replica could take.
        let verifier = &self.settings.verifier;
        let tag = format!("lonjak-verifier-{}", std::process::id());
        let consumer = bus
            .consumer(WorkQueue::Verifier, verifier.prefetch, &tag)
            .await
            .context("subscribing to the verifier queue")?;
        tracing::info!(
            prefetch = verifier.prefetch,
            concurrency = verifier.concurrency,
            "verifier consuming"
        );
        worker::run(
            consumer,
            self.handler,
            self.metrics,
            verifier.concurrency,
            shutdown.clone(),
            verifier.shutdown_grace(),
        )
        .await;
        // The loop may also end because the bus closed: stop the ops server too.
        shutdown.cancel();
        bus.close().await;
        if let Ok(Err(error)) = ops.task.await {
            tracing::warn!(%error, "ops server ended with an error");
        }
        Ok(())
    }
}
