//! `spawn_app()` and typed helpers: a real broker under a random prefix, a
//! fresh database, an in-process registry simulator.

use std::num::NonZeroU32;
use std::time::Duration;

use lonjak_bus::{Bus, BusSettings, Envelope};
use lonjak_domain::events::RegistrationSubmitted;
use lonjak_domain::{
    IdentityKey, IdentitySettings, Registration, RegistrationId, RegistrationRequest, Wave,
    submission_date,
};
use lonjak_registry_sim::{RunningSim, SimConfig};
use lonjak_store::testing::TestDatabase;
use lonjak_store::{DatabaseSettings, Store};
use lonjak_telemetry::ops::OpsSettings;
use lonjak_verifier::config::{RegistriesSettings, VerifierSettings};
use lonjak_verifier::registry::RegistrySettings;
use lonjak_verifier::{Application, Settings};
use lonjak_worker::{WorkerMetrics, WorkerSettings};
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
    pub worker: WorkerSettings,
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
            worker: WorkerSettings {
                batch_size: 16,
                linger_ms: 20,
                concurrency: 2,
                backoff_max_ms: 500,
                shutdown_grace_ms: 10_000,
                ..WorkerSettings::default()
            },
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
    /// The same key as hex, for the environment of a verifier binary.
    pub identity_key_hex: String,
    /// The key of the stored look-up hashes (not the id key).
    pub lookup_key_hex: String,
    pub metrics: Option<WorkerMetrics>,
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// A port free at the time of asking (the ops server binds it right after).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
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
    let identity_key_hex = random_hex(32);
    let lookup_key_hex = random_hex(32);
    let settings = Settings {
        bus: BusSettings {
            prefix: format!("test-{}-", random_hex(6)),
            delivery_limit: 20,
            retry_delays_ms: options.retry_delays_ms,
            publish_timeout_ms: 5_000,
            connect_timeout_ms: 5_000,
            ..BusSettings::default()
        },
        database: DatabaseSettings {
            url: SecretString::from(db.url.clone()),
            max_connections: 8,
            connect_timeout_ms: 5_000,
            data_key: Some(SecretString::from(random_hex(32))),
            ..DatabaseSettings::default()
        },
        identity: IdentitySettings {
            key: IdentityKey::from_hex(&identity_key_hex).expect("identity key"),
            lookup_key: Some(IdentityKey::from_hex(&lookup_key_hex).expect("look-up key")),
        },
        seal: lonjak_seal::OpeningSettings {
            private_key: lonjak_seal::SealPrivateKey::from_base64(
                lonjak_seal::DEVELOPMENT_PRIVATE_KEY,
            )
            .expect("the development key"),
            previous_private_key: None,
        },
        registries: RegistriesSettings {
            dukcapil: registry(0),
            dapodik: registry(1),
            dtks: registry(2),
        },
        verifier: VerifierSettings { deadline_ms: 3_000 },
        worker: options.worker,
        ops: OpsSettings {
            addr: format!("127.0.0.1:{}", free_port()),
        },
    };
    let identity_key = settings.identity.key.clone();
    let app = Application::build(settings.clone())
        .await
        .expect("build the verifier");
    let bus = Bus::connect(settings.bus.to_config())
        .await
        .expect("connect the test's own bus");
    let store = app.worker().store().clone();
    let shutdown = CancellationToken::new();
    let (metrics, task) = if options.start {
        let metrics = app.worker().metrics().clone();
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
        identity_key_hex,
        lookup_key_hex,
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
        let payload =
            lonjak_seal::seal_request(&seal_public_key(), reg_id, wave, submitted_at, request)
                .expect("sealed");
        Submission {
            id: reg_id,
            envelope: Envelope::event(format!("test-{reg_id}"), payload),
        }
    }

    pub async fn publish(&self, submission: &Submission) {
        self.bus
            .publisher()
            .publish_event(&submission.envelope, None)
            .await
            .expect("publish a submission");
    }

    /// The environment that configures the verifier binary like this app.
    pub fn child_env(&self) -> Vec<(String, String)> {
        let s = &self.settings;
        let delays: Vec<String> = s.bus.retry_delays_ms.iter().map(u64::to_string).collect();
        let data_key = s
            .database
            .data_key
            .as_ref()
            .map(|key| key.expose_secret().to_owned())
            .unwrap_or_default();
        let mut env: Vec<(String, String)> = [
            ("LONJAK_BUS__URL", s.bus.url.expose_secret().to_owned()),
            ("LONJAK_BUS__PREFIX", s.bus.prefix.clone()),
            (
                "LONJAK_BUS__INTAKE_MAX_LENGTH",
                s.bus.intake_max_length.to_string(),
            ),
            (
                "LONJAK_BUS__DELIVERY_LIMIT",
                s.bus.delivery_limit.to_string(),
            ),
            ("LONJAK_BUS__RETRY_DELAYS_MS", delays.join(",")),
            (
                "LONJAK_DATABASE__URL",
                s.database.url.expose_secret().to_owned(),
            ),
            ("LONJAK_DATABASE__DATA_KEY", data_key),
            ("LONJAK_IDENTITY__KEY", self.identity_key_hex.clone()),
            ("LONJAK_IDENTITY__LOOKUP_KEY", self.lookup_key_hex.clone()),
            (
                "LONJAK_SEAL__PRIVATE_KEY",
                lonjak_seal::DEVELOPMENT_PRIVATE_KEY.to_owned(),
            ),
            (
                "LONJAK_WORKER__CONCURRENCY",
                s.worker.concurrency.to_string(),
            ),
            ("LONJAK_WORKER__BATCH_SIZE", s.worker.batch_size.to_string()),
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

    /// Shuts the in-process verifier down gracefully and waits for it.
    pub async fn shutdown(&mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await
                .expect("verifier task")
                .expect("verifier ran cleanly");
        }
    }

    /// Shuts everything down and deletes this test's queues and exchanges:
    /// left behind, quorum queues hold file handles until the broker runs
    /// out and stops accepting connections.
    pub async fn stop(mut self) {
        self.shutdown().await;
        self.bus.close().await;
        delete_topology(&self.bus, self.settings.bus.url.expose_secret()).await;
    }
}

/// Deletes every queue and exchange of the bus's topology, best effort.
async fn delete_topology(bus: &Bus, _url: &str) {
    let _ = lonjak_bus::delete_topology(bus.config()).await;
}

/// The public key the test submissions are sealed to (the development pair).
pub fn seal_public_key() -> lonjak_seal::SealPublicKey {
    lonjak_seal::SealPublicKey::from_base64(lonjak_seal::DEVELOPMENT_PUBLIC_KEY)
        .expect("the development key")
}

/// Opens a test submission with the development key.
pub fn open(
    payload: &lonjak_domain::events::RegistrationSubmitted,
) -> lonjak_domain::RegistrationRequest {
    let key = lonjak_seal::SealPrivateKey::from_base64(lonjak_seal::DEVELOPMENT_PRIVATE_KEY)
        .expect("the development key");
    lonjak_seal::open_submitted(&lonjak_seal::OpeningKeys::new(vec![key]), payload).expect("opens")
}
