//! Building the notifier from settings and running it until shutdown: one
//! consume loop per channel, each on its own queue with its own prefetch,
//! beside one ops server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use lonjak_bus::{Bus, WorkQueue};
use lonjak_store::{Channel, Store};
use lonjak_worker::{Worker, WorkerMetrics};
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
    email: Worker<Notifier>,
    sms: Worker<Notifier>,
    registry: Arc<Registry>,
}

/// Each channel's queue and the name of its loop (metrics, logs, consumer
/// tag).
pub const LOOPS: [(Channel, WorkQueue, &str); 2] = [
    (Channel::Email, WorkQueue::NotifyEmail, "notify-email"),
    (Channel::Sms, WorkQueue::NotifySms, "notify-sms"),
];

impl Application {
    /// Checks the settings and templates, builds the provider clients and
    /// connects to the broker and the database. Does not consume yet.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        settings.validate().context("notifier settings")?;
        let templates = Arc::new(Templates::load().context("loading the message templates")?);
        let mut registry = Registry::default();
        let metrics = Metrics::register(&mut registry);
        let providers = Arc::new(Providers {
            email: EmailProvider::new(&settings.email).context("building the SMTP client")?,
            sms: SmsProvider::new(&settings.sms).context("building the SMS client")?,
            email_pacer: Pacer::new(settings.email.pace()),
            sms_pacer: Pacer::new(settings.sms.pace()),
            metrics: metrics.clone(),
        });
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
        let handler = |channel| Notifier {
            channel,
            store: store.clone(),
            templates: Arc::clone(&templates),
            providers: Arc::clone(&providers),
            verification: settings.email_verification.clone(),
            deadline: settings.notifier.send_deadline(),
            lease: settings.notifier.claim_lease(),
            metrics: metrics.clone(),
            unrecorded: Mutex::new(HashMap::new()),
        };
        let [(_, email_queue, email_name), (_, sms_queue, sms_name)] = LOOPS;
        let email_metrics = WorkerMetrics::register(email_name, &mut registry);
        let sms_metrics = email_metrics.for_worker(sms_name);
        let email = Worker::with_metrics(
            email_name,
            email_queue,
            handler(Channel::Email),
            bus.clone(),
            store.clone(),
            settings.email.worker.over(&settings.worker),
            email_metrics,
        );
        let sms = Worker::with_metrics(
            sms_name,
            sms_queue,
            handler(Channel::Sms),
            bus,
            store.clone(),
            settings.sms.worker.over(&settings.worker),
            sms_metrics,
        );
        Ok(Self {
            settings,
            email,
            sms,
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

    /// The consume loop of `channel` (its bus, store and runtime metrics).
    pub fn worker(&self, channel: Channel) -> &Worker<Notifier> {
        match channel {
            Channel::Email => &self.email,
            Channel::Sms => &self.sms,
        }
    }

    /// The notifier's own metrics (both channels').
    pub fn metrics(&self) -> &Metrics {
        &self.email.handler().metrics
    }

    /// Serves the ops endpoints and consumes both queues until `shutdown`
    /// fires; then finishes the batches in hand and closes the broker
    /// connection.
    pub async fn run(self, shutdown: CancellationToken) -> anyhow::Result<()> {
        lonjak_worker::serve_all(
            vec![self.email, self.sms],
            &self.settings.ops.addr,
            self.registry,
            shutdown,
        )
        .await
    }
}
