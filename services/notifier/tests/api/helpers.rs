//! `spawn_app()` and typed helpers: a real broker under a random prefix, a
//! fresh database, the SMS simulator in-process, and the local SMTP server
//! (maildev, started by `scripts/services.sh`) read back over its HTTP API.

use std::num::NonZeroU32;
use std::time::Duration;

use lonjak_bus::WorkQueue;
use lonjak_bus::{Bus, BusSettings, Envelope};
use lonjak_domain::events::{Event, RegistrationVerified};
use lonjak_domain::testing::sample_request;
use lonjak_domain::{
    EmailHash, EmailVerificationKey, EmailVerificationSettings, IdentityKey, Language,
    Registration, RegistrationId, RegistrationStatus, Wave, submission_date,
};
use lonjak_notifier::config::{EmailSettings, LoopSettings, NotifierSettings, SmsSettings};
use lonjak_notifier::{Application, LOOPS, Settings};
use lonjak_sms_sim::{RunningSmsSim, SmsSimConfig};
use lonjak_store::testing::TestDatabase;
use lonjak_store::{Channel, DatabaseSettings, NewRegistration, OutboxEvent, Store, Verification};
use lonjak_telemetry::ops::OpsSettings;
use lonjak_worker::{WorkerMetrics, WorkerSettings};
use secrecy::SecretString;
use serde_json::Value;
use time::OffsetDateTime;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use crate::events::{rejected, score, selected, verified, waitlisted};

/// Longest any test waits for a state: a guard against hanging, not a
/// performance threshold.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// The local SMTP server's HTTP API (maildev).
fn maildev() -> String {
    std::env::var("LONJAK_TEST_MAILDEV_URL").unwrap_or_else(|_| "http://127.0.0.1:1080".to_owned())
}

fn smtp_url() -> String {
    std::env::var("LONJAK_TEST_SMTP_URL").unwrap_or_else(|_| "smtp://127.0.0.1:1025".to_owned())
}

pub struct Options {
    pub sim: SmsSimConfig,
    pub sms_rate: u32,
    pub email_rate: u32,
    pub retry_delays_ms: Vec<u64>,
    pub notifier: NotifierSettings,
    pub worker: WorkerSettings,
    /// The SMS loop's own `worker.*` values.
    pub sms_worker: LoopSettings,
    /// Start the notifier now (false: the test starts it).
    pub start: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            sim: SmsSimConfig {
                latency_ms: 5,
                latency_jitter_ms: 2,
                workers: 2,
                ..SmsSimConfig::default()
            },
            sms_rate: 200,
            email_rate: 200,
            retry_delays_ms: vec![1_000, 1_000, 1_000],
            notifier: NotifierSettings {
                send_deadline_ms: 2_000,
                claim_lease_ms: 2_500,
            },
            worker: WorkerSettings {
                batch_size: 16,
                linger_ms: 20,
                concurrency: 2,
                backoff_max_ms: 500,
                shutdown_grace_ms: 10_000,
                ..WorkerSettings::default()
            },
            sms_worker: LoopSettings::default(),
            start: true,
        }
    }
}

pub struct TestApp {
    pub sim: RunningSmsSim,
    pub db: TestDatabase,
    pub settings: Settings,
    pub bus: Bus,
    pub store: Store,
    /// Writes registrations as the verifier would (it holds the data key the
    /// notifier does without).
    writer: Store,
    pub key: EmailVerificationKey,
    /// The same key as hex, for the environment of a notifier binary.
    pub key_hex: String,
    /// The consume loops' metrics (email, SMS) once started.
    pub metrics: Vec<WorkerMetrics>,
    /// Tells one test's addresses from every other's at the shared SMTP server.
    pub run: String,
    http: reqwest::Client,
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

fn random_hex(bytes: usize) -> String {
    (0..bytes)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        lonjak_telemetry::init_test_tracing();
    }
    let sim = lonjak_sms_sim::spawn(options.sim)
        .await
        .expect("start the SMS simulator");
    let db = TestDatabase::create().await;
    let key_hex = random_hex(32);
    let pace = |rate: u32| NonZeroU32::new(rate).expect("a rate above zero");
    let settings = Settings {
        bus: BusSettings {
            prefix: format!("test-{}-", random_hex(6)),
            delivery_limit: 50,
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
        email_verification: EmailVerificationSettings {
            key: EmailVerificationKey::from_hex(&key_hex).expect("key"),
            ttl_hours: 48,
            link_base_url: "http://127.0.0.1:8080".to_owned(),
            resends_per_day: 5,
        },
        email: EmailSettings {
            smtp_url: SecretString::from(smtp_url()),
            from: "Lonjak <noreply@lonjak.test>".to_owned(),
            message_id_domain: "lonjak.test".to_owned(),
            rate_per_sec: pace(options.email_rate),
            burst: NonZeroU32::MIN,
            pool_size: 4,
            timeout_ms: 5_000,
            worker: LoopSettings::default(),
        },
        sms: SmsSettings {
            url: sim.base_url.clone(),
            rate_per_sec: pace(options.sms_rate),
            burst: NonZeroU32::MIN,
            timeout_ms: 5_000,
            worker: options.sms_worker,
        },
        notifier: options.notifier,
        worker: options.worker,
        ops: OpsSettings {
            addr: format!("127.0.0.1:{}", free_port()),
        },
    };
    let app = Application::build(settings.clone())
        .await
        .expect("build the notifier");
    let bus = Bus::connect(settings.bus.to_config())
        .await
        .expect("connect the test's own bus");
    let store = app.worker(Channel::Email).store().clone();
    let writer = Store::connect(
        settings
            .database
            .to_config_with_data_key()
            .expect("writer settings"),
    )
    .await
    .expect("connect the writer");
    let mut test = TestApp {
        writer,
        sim,
        db,
        key: settings.email_verification.key.clone(),
        key_hex,
        settings,
        bus,
        store,
        metrics: Vec::new(),
        run: random_hex(4),
        http: reqwest::Client::new(),
        shutdown: CancellationToken::new(),
        task: None,
    };
    if options.start {
        test.start(app);
    }
    test
}

/// One applicant of a test, with addresses no other test uses.
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub struct Applicant {
    pub id: RegistrationId,
    pub name: String,
    pub email: String,
    /// What the verification link is signed over.
    pub email_hash: EmailHash,
    pub phone: String,
}

impl TestApp {
    /// Runs `app` (built from this test's settings) in the background.
    pub fn start(&mut self, app: Application) {
        self.metrics = LOOPS
            .iter()
            .map(|(channel, _, _)| app.worker(*channel).metrics().clone())
            .collect();
        self.task = Some(tokio::spawn(app.run(self.shutdown.clone())));
    }

    /// Records applicant `n` as verified (as the verifier would), having
    /// chosen `language` at intake; `phone` overrides the generated number.
    pub async fn applicant(&self, n: u64, language: Language, phone: Option<&str>) -> Applicant {
        let now = OffsetDateTime::now_utc();
        let mut request = sample_request(n, submission_date(now));
        let seed: u64 = rand::random::<u64>() % 1_000_000_000;
        request.email = Some(format!("t{}-{n}@example.id", self.run));
        request.phone = Some(
            phone
                .map(str::to_owned)
                .unwrap_or_else(|| format!("+62812{seed:09}")),
        );
        // Chosen at intake, as the API takes it.
        request.language = Some(language.as_str().to_owned());
        let registration = Registration::parse(&request, submission_date(now), Wave::FIRST)
            .expect("a valid applicant");
        let identity = IdentityKey::from_hex(&random_hex(32)).expect("identity key");
        let id = RegistrationId::derive(&identity, registration.nik(), Wave::FIRST);
        let event = OutboxEvent {
            event_id: uuid::Uuid::now_v7(),
            routing_key: RegistrationVerified::ROUTING_KEY.to_owned(),
            envelope: serde_json::json!({}),
        };
        let verification = Verification {
            registration: NewRegistration::from_domain(&registration, id, &identity, now),
            started_at: now,
            decision: RegistrationStatus::Verifying
                .transition(RegistrationStatus::Verified, None)
                .expect("verifying → verified"),
            social_aid_programme: None,
            checks: Vec::new(),
            event: event.clone(),
        };
        self.writer
            .record_verifications(&[verification])
            .await
            .expect("record the applicant");
        // The test publishes the events itself: keep the relay off this one.
        self.store
            .mark_published(&[event.event_id])
            .await
            .expect("mark published");
        Applicant {
            id,
            email_hash: EmailHash::derive(&identity, registration.email().as_str()),
            name: request.full_name.unwrap_or_default(),
            email: request.email.unwrap_or_default(),
            phone: request.phone.unwrap_or_default(),
        }
    }

    pub async fn publish<E: Event>(&self, envelope: &Envelope<E>) {
        self.bus
            .publisher()
            .publish_event(envelope, None)
            .await
            .expect("publish");
    }

    /// Mail the SMTP server received for `address`.
    pub async fn emails_to(&self, address: &str) -> Vec<Value> {
        self.all_emails()
            .await
            .into_iter()
            .filter(|mail| sent_to(mail, address))
            .collect()
    }

    /// Every message the SMTP server holds (one request: for counting
    /// several addresses' mail at once).
    pub async fn all_emails(&self) -> Vec<Value> {
        self.http
            .get(format!("{}/email", maildev()))
            .send()
            .await
            .expect("the SMTP server's HTTP API (scripts/services.sh starts it)")
            .json()
            .await
            .expect("mail as JSON")
    }

    /// Waits until `check` holds.
    pub async fn eventually<F>(&self, what: &str, mut check: F)
    where
        F: AsyncFnMut() -> bool,
    {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            if check().await {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "gave up waiting: {what}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the applicant has `emails` emails and `sms` SMS, then a
    /// little longer, and checks that no more came (a duplicate would).
    pub async fn expect_messages(&self, who: &Applicant, emails: usize, sms: usize) {
        self.eventually("every message arrived", async || {
            self.emails_to(&who.email).await.len() >= emails
                && self.sim.messages(Some(&who.phone)).len() >= sms
        })
        .await;
        self.settled().await;
        assert_eq!(self.emails_to(&who.email).await.len(), emails, "emails");
        assert_eq!(self.sim.messages(Some(&who.phone)).len(), sms, "SMS");
    }

    /// Deliveries both loops settled with `outcome` so far.
    pub fn settled_count(&self, outcome: &'static str) -> u64 {
        assert!(!self.metrics.is_empty(), "the notifier is not running");
        self.metrics.iter().map(|m| m.settled_count(outcome)).sum()
    }

    /// Messages waiting in the queue of one channel.
    pub async fn depth(&self, queue: WorkQueue) -> u32 {
        let name = self.bus.topology().queue(queue);
        self.bus
            .queue_depth(&name)
            .await
            .map_or(u32::MAX, |depth| depth.messages)
    }

    /// Waits until both channels' queues are empty and nothing is in hand.
    pub async fn settled(&self) {
        self.eventually("the notifier's queues drained", async || {
            self.depth(WorkQueue::NotifyEmail).await == 0
                && self.depth(WorkQueue::NotifySms).await == 0
        })
        .await;
        // Deliveries in hand are settled within a batch's sends.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

impl Drop for TestApp {
    /// Stops the notifier and deletes this test's queues, also when the test
    /// failed: left behind, quorum queues hold the broker's file handles
    /// until it stops accepting connections.
    fn drop(&mut self) {
        self.shutdown.cancel();
        let config = self.bus.config().clone();
        let deleted = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map(|runtime| runtime.block_on(lonjak_bus::delete_topology(&config)))
        })
        .join();
        if !matches!(deleted, Ok(Ok(Ok(_)))) {
            eprintln!("could not delete this test's queues; scripts/janitor.sh removes them");
        }
    }
}

/// Whether `mail` (as the SMTP server's API shows it) went to `address`.
pub fn sent_to(mail: &Value, address: &str) -> bool {
    mail["envelope"]["to"]
        .as_array()
        .is_some_and(|to| to.iter().any(|t| t["address"] == address))
}
