//! Building the notifier from settings and running it until shutdown.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use lonjak_bus::{Bus, WorkQueue};
use lonjak_store::Store;
use lonjak_worker::Worker;
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::handler::Notifier;
use crate::metrics::Metrics;
use crate::provider::{EmailProvider, Pacer, Providers, SmsProvider};
use crate::templates::Templates;

/// How long the notifier keeps trying to reach the broker and the database
/// at start.
const START_ATTEMPTS: u32 = 30;
const START_PAUSE: Duration = Duration::from_secs(2);

/// A connected notifier, ready to run.
pub struct Application {
    settings: Settings,
    worker: Worker<Notifier>,
    registry: Arc<Registry>,
}

impl Application {
    /// Checks the settings and templates, builds the provider clients and
    /// connects to the broker and the database. Does not consume yet.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        settings.validate().context("notifier settings")?;
        let templates = Templates::load().context("loading the message templates")?;
        let mut registry = Registry::default();
        let metrics = Metrics::register(&mut registry);
        let providers = Providers {
            email: EmailProvider::new(&settings.email).context("building the SMTP client")?,
            sms: SmsProvider::new(&settings.sms).context("building the SMS client")?,
            email_pacer: Pacer::new(settings.email.pace()),
            sms_pacer: Pacer::new(settings.sms.pace()),
            metrics: metrics.clone(),
        };
        let bus = Bus::connect(settings.bus.to_config())
            .await
            .context("connecting to the broker")?;
        // Contact details are sealed at rest: the notifier holds the data key.
        let store = Store::connect(
            settings
                .database
                .to_config_with_data_key()
                .context("database settings")?,
        )
        .await
        .context("connecting to the database")?;
        let handler = Notifier {
            store: store.clone(),
            templates,
            providers,
            verification: settings.email_verification.clone(),
            deadline: settings.notifier.send_deadline(),
            lease: settings.notifier.claim_lease(),
            metrics,
            unrecorded: Mutex::new(HashMap::new()),
        };
        let worker = Worker::new(
            "notifier",
            WorkQueue::Notifier,
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

    /// Builds the application, retrying while the broker or the database is
    /// unreachable; `None` if shutdown came first.
    pub async fn build_with_retry(
        settings: Settings,
        shutdown: &CancellationToken,
    ) -> anyhow::Result<Option<Self>> {
        lonjak_worker::start_with_retry("notifier", START_ATTEMPTS, START_PAUSE, shutdown, || {
            Self::build(settings.clone())
        })
        .await
    }

    /// The worker (its bus, store and runtime metrics).
    pub fn worker(&self) -> &Worker<Notifier> {
        &self.worker
    }

    /// The notifier's own metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.worker.handler().metrics
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
