//! `spawn_app()` and typed helpers: a real broker under a random prefix, a
//! fresh database, an in-process registry simulator.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use lonjak_bus::{Bus, Envelope, WorkQueue};
use lonjak_domain::events::{RegistrationSubmitted, SUBMITTED};
use lonjak_domain::{
    IdentityKey, Registration, RegistrationId, RegistrationRequest, RegistrationStatus, Wave,
    submission_date,
};
use lonjak_registry_sim::{RunningSim, SimConfig};
use lonjak_store::Store;
use lonjak_store::testing::TestDatabase;
use lonjak_verifier::config::{
    BusSettings, DatabaseSettings, IdentitySettings, OpsSettings, RegistriesSettings,
    VerifierSettings,
};
use lonjak_verifier::metrics::{Metrics, OutcomeLabels};
use lonjak_verifier::registry::RegistrySettings;
use lonjak_verifier::{Application, Settings};
use secrecy::{ExposeSecret, SecretString};
use time::OffsetDateTime;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Longest any test waits for the pipeline to reach a state: a guard against
/// hanging, not a performance threshold.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// What a test may tune before the verifier starts.
pub struct Options {
    pub sim: SimConfig,
    /// Outbound rate per registry.
    pub rate_per_sec: u32,
    pub retry_delays_ms: Vec<u64>,
    pub concurrency: usize,
    /// Start the verifier in-process (false: the test runs the binary).
    pub start: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            sim: SimConfig {
                workers: 2,
                ..SimConfig::default()
            },
            rate_per_sec: 200,
            retry_delays_ms: vec![1_000, 1_000],
            concurrency: 16,
            start: true,
        }
    }
}

pub struct TestApp {
    pub sim: RunningSim,
    pub db: TestDatabase,
    pub settings: Settings,
    /// A connection of the test's own, for publishing and watching queues.
    pub bus: Bus,
    pub store: Store,
    pub identity_key: IdentityKey,
    pub metrics: Option<Metrics>,
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

pub fn today() -> time::Date {
    submission_date(OffsetDateTime::now_utc())
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        lonjak_telemetry::init_test_tracing();
    }
    let sim = lonjak_registry_sim::spawn(options.sim)
        .await
        .expect("start the registry simulator");
    let db = TestDatabase::create().await;
    let rate = NonZeroU32::new(options.rate_per_sec).expect("rate above zero");
    let registry = |_| {
        let mut settings = RegistrySettings::new(sim.base_url.clone(), rate);
        settings.attempt_timeout_ms = 1_000;
        settings.max_attempts = 3;
        settings.backoff_min_ms = 50;
        settings.backoff_max_ms = 300;
        settings
    };
    let settings = Settings {
        bus: BusSettings {
            url: SecretString::from("amqp://guest:guest@127.0.0.1:5672/%2f"),
            prefix: format!("test-{}-", random_hex(6)),
            intake_max_length: None,
            delivery_limit: 20,
            retry_delays_ms: options.retry_delays_ms,
            publish_timeout_ms: 5_000,
            connect_timeout_ms: 5_000,
        },
        database: DatabaseSettings {
            url: SecretString::from(db.url.clone()),
            max_connections: 8,
            connect_timeout_ms: 5_000,
            data_key: SecretString::from(random_hex(32)),
        },
        identity: IdentitySettings {
            key: SecretString::from(random_hex(32)),
        },
        registries: RegistriesSettings {
            dukcapil: registry(0),
            dapodik: registry(1),
            dtks: registry(2),
        },
        verifier: VerifierSettings {
            prefetch: 32,
            concurrency: options.concurrency,
            deadline_ms: 3_000,
            shutdown_grace_ms: 10_000,
        },
        ops: OpsSettings {
            addr: "127.0.0.1:0".to_owned(),
        },
    };
    let identity_key =
        IdentityKey::from_hex(settings.identity.key.expose_secret()).expect("identity key");
    let app = Application::build(settings.clone())
        .await
        .expect("build the verifier");
    let bus = Bus::connect(settings.bus.to_bus_config())
        .await
        .expect("connect the test's own bus");
    let store = app.store().clone();
    let shutdown = CancellationToken::new();
    let (metrics, task) = if options.start {
        let metrics = app.metrics().clone();
        (Some(metrics), Some(tokio::spawn(app.run(shutdown.clone()))))
    } else {
        // The topology is declared; the test runs the binary as consumer.
        drop(app);
        (None, None)
    };
    TestApp {
        sim,
        db,
        settings,
        bus,
        store,
        identity_key,
        metrics,
        shutdown,
        task,
    }
}

/// A submitted event ready to publish, and its id.
pub struct Submission {
    pub id: RegistrationId,
    pub envelope: Envelope<RegistrationSubmitted>,
}

impl TestApp {
    /// The submitted event of applicant `request`, as the gateway would
    /// publish it at `submitted_at`.
    pub fn submission_at(
        &self,
        request: &RegistrationRequest,
        submitted_at: OffsetDateTime,
    ) -> Submission {
        let wave = Wave::try_from(1_i64).expect("wave 1");
        let reg_id = {
            let reg = Registration::parse(request, submission_date(submitted_at), wave)
                .or_else(|_| {
                    // An under-age applicant: the id needs only NIK and wave.
                    Registration::parse(request, today(), wave)
                })
                .expect("a parseable applicant");
            RegistrationId::derive(&self.identity_key, reg.nik(), wave)
        };
        let payload = RegistrationSubmitted {
            registration_id: reg_id,
            wave,
            submitted_at,
            applicant: request.clone(),
        };
        Submission {
            id: reg_id,
            envelope: Envelope::new(SUBMITTED, format!("test-{reg_id}"), payload),
        }
    }

    pub async fn publish(&self, submission: &Submission) {
        self.bus
            .publisher()
            .publish(SUBMITTED, &submission.envelope, None)
            .await
            .expect("publish a submission");
    }

    /// Waits until the registration is verified or rejected.
    pub async fn final_status(&self, id: &RegistrationId) -> lonjak_store::StatusView {
        let started = tokio::time::Instant::now();
        loop {
            let view = self
                .store
                .registration_status(id)
                .await
                .expect("read status");
            if let Some(view) = view.filter(|view| is_final(view.status)) {
                return view;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "registration {id} never reached a final state"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Whether the registration is verified or rejected yet.
    pub async fn is_final(&self, id: &RegistrationId) -> bool {
        self.store
            .registration_status(id)
            .await
            .expect("read status")
            .is_some_and(|view| is_final(view.status))
    }

    /// The environment that configures the verifier binary like this app.
    pub fn child_env(&self) -> Vec<(String, String)> {
        let s = &self.settings;
        let delays: Vec<String> = s.bus.retry_delays_ms.iter().map(u64::to_string).collect();
        let mut env: Vec<(String, String)> = [
            ("LONJAK_BUS__URL", s.bus.url.expose_secret().to_owned()),
            ("LONJAK_BUS__PREFIX", s.bus.prefix.clone()),
            (
                "LONJAK_BUS__DELIVERY_LIMIT",
                s.bus.delivery_limit.to_string(),
            ),
            ("LONJAK_BUS__RETRY_DELAYS_MS", delays.join(",")),
            (
                "LONJAK_DATABASE__URL",
                s.database.url.expose_secret().to_owned(),
            ),
            (
                "LONJAK_DATABASE__DATA_KEY",
                s.database.data_key.expose_secret().to_owned(),
            ),
            (
                "LONJAK_IDENTITY__KEY",
                s.identity.key.expose_secret().to_owned(),
            ),
            (
                "LONJAK_VERIFIER__CONCURRENCY",
                s.verifier.concurrency.to_string(),
            ),
            ("LONJAK_VERIFIER__PREFETCH", s.verifier.prefetch.to_string()),
            (
                "LONJAK_VERIFIER__DEADLINE_MS",
                s.verifier.deadline_ms.to_string(),
            ),
            ("LONJAK_OPS__ADDR", "127.0.0.1:0".to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        for (name, registry) in [
            ("DUKCAPIL", &s.registries.dukcapil),
            ("DAPODIK", &s.registries.dapodik),
            ("DTKS", &s.registries.dtks),
        ] {
            let key = |field: &str| format!("LONJAK_REGISTRIES__{name}__{field}");
            env.extend([
                (key("URL"), registry.url.clone()),
                (key("RATE_PER_SEC"), registry.rate_per_sec.to_string()),
                (
                    key("ATTEMPT_TIMEOUT_MS"),
                    registry.attempt_timeout_ms.to_string(),
                ),
                (key("MAX_ATTEMPTS"), registry.max_attempts.to_string()),
            ]);
        }
        env
    }

    /// How many deliveries ended with `outcome` (in-process verifier only).
    pub fn processed(&self, outcome: &'static str) -> u64 {
        self.metrics
            .as_ref()
            .expect("in-process verifier")
            .processed
            .get_or_create(&OutcomeLabels { outcome })
            .get()
    }

    /// Waits until `condition` holds, polling.
    pub async fn eventually(&self, what: &str, mut condition: impl AsyncFnMut() -> bool) {
        let started = tokio::time::Instant::now();
        while !condition().await {
            assert!(started.elapsed() < PATIENCE, "never happened: {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every downstream event so far (verified and rejected, from the
    /// notifier queue, which is bound to both), by registration id: the
    /// event ids seen.
    pub async fn downstream_events(&self) -> HashMap<String, Vec<(String, uuid::Uuid)>> {
        let mut consumer = self
            .bus
            .consumer(WorkQueue::Notifier, 500, "test-watcher")
            .await
            .expect("consume the notifier queue");
        let mut events: HashMap<String, Vec<(String, uuid::Uuid)>> = HashMap::new();
        // The queue is drained when nothing arrives for a while.
        while let Ok(Some(delivery)) =
            tokio::time::timeout(Duration::from_secs(2), consumer.next()).await
        {
            let delivery = delivery.expect("a delivery");
            let envelope = delivery
                .envelope::<serde_json::Value>()
                .expect("an envelope");
            let id = envelope.payload["registration_id"]
                .as_str()
                .expect("registration id")
                .to_owned();
            events
                .entry(id)
                .or_default()
                .push((envelope.event_type.clone(), envelope.event_id));
            delivery.ack().await.expect("ack");
        }
        consumer.cancel().await;
        events
    }

    /// Rows about one registration: (registrations, status_history, outbox).
    pub async fn row_counts(&self, id: &RegistrationId) -> (i64, Vec<String>, i64) {
        let mut conn = AsyncPgConnection::establish(&self.db.url)
            .await
            .expect("connect to the test database");
        let id = id.to_string();
        let count = async |conn: &mut AsyncPgConnection, sql: &str| -> i64 {
            diesel::sql_query(sql)
                .bind::<Text, _>(&id)
                .get_result::<Count>(conn)
                .await
                .expect("count rows")
                .n
        };
        let registrations = count(
            &mut conn,
            "SELECT count(*) AS n FROM registrations WHERE id = $1",
        )
        .await;
        let outbox = count(
            &mut conn,
            "SELECT count(*) AS n FROM outbox WHERE registration_id = $1",
        )
        .await;
        let history: Vec<Step> = diesel::sql_query(
            "SELECT coalesce(from_status, '-') || '>' || to_status AS step \
             FROM status_history WHERE registration_id = $1 ORDER BY id",
        )
        .bind::<Text, _>(&id)
        .load(&mut conn)
        .await
        .expect("read history");
        (
            registrations,
            history.into_iter().map(|s| s.step).collect(),
            outbox,
        )
    }

    /// Ready messages of the verifier queue.
    pub async fn verifier_backlog(&self) -> u32 {
        let name = self.bus.topology().queue(WorkQueue::Verifier);
        self.bus
            .queue_depth(&name)
            .await
            .expect("queue depth")
            .messages
    }

    /// Registrations now in `status`.
    pub async fn count_in_status(&self, status: RegistrationStatus) -> i64 {
        let mut conn = AsyncPgConnection::establish(&self.db.url)
            .await
            .expect("connect to the test database");
        diesel::sql_query("SELECT count(*) AS n FROM registrations WHERE status = $1")
            .bind::<Text, _>(status.as_str())
            .get_result::<Count>(&mut conn)
            .await
            .expect("count registrations")
            .n
    }

    /// Shuts the in-process verifier down gracefully and waits for it.
    pub async fn shutdown(&mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await
                .expect("verifier task")
                .expect("verifier ran cleanly");
        }
    }

    /// Shuts everything down.
    pub async fn stop(mut self) {
        self.shutdown().await;
        self.bus.close().await;
    }
}

/// The end states of verification.
fn is_final(status: RegistrationStatus) -> bool {
    matches!(
        status,
        RegistrationStatus::Verified | RegistrationStatus::Rejected
    )
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Step {
    #[diesel(sql_type = Text)]
    step: String,
}
