//! `spawn_app()` and typed helpers: a real broker under a random prefix, a
//! fresh database, verified registrations stored as the verifier stores them.

use std::time::Duration;

use diesel::sql_types::{Int4, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use lonjak_bus::{Bus, BusSettings, Envelope};
use lonjak_domain::events::RegistrationVerified;
use lonjak_domain::testing::{identity_key, sample_registration};
use lonjak_domain::verification::{CheckOutcome, Registry};
use lonjak_domain::{EmploymentStatus, KkHash, KkNumber, RegistrationId, RegistrationStatus, Wave};
use lonjak_eligibility::config::EligibilitySettings;
use lonjak_eligibility::{Application, Settings};
use lonjak_store::testing::TestDatabase;
use lonjak_store::{
    CheckRecord, DataKey, DatabaseSettings, NewRegistration, OutboxEvent, Store, StoreConfig,
    Verification,
};
use lonjak_telemetry::ops::OpsSettings;
use lonjak_worker::{WorkerMetrics, WorkerSettings};
use secrecy::SecretString;
use time::{Date, OffsetDateTime};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Longest any test waits for the worker: a guard against hanging, not a
/// performance threshold.
pub const PATIENCE: Duration = Duration::from_secs(60);

pub struct TestApp {
    pub db: TestDatabase,
    pub bus: Bus,
    /// The test's own store, with a data key (it writes registrations).
    pub store: Store,
    pub metrics: WorkerMetrics,
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

pub async fn spawn_app() -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        lonjak_telemetry::init_test_tracing();
    }
    let db = TestDatabase::create().await;
    let settings = Settings {
        bus: BusSettings {
            prefix: format!("test-{}-", uuid::Uuid::new_v4().simple()),
            retry_delays_ms: vec![1_000],
            ..BusSettings::default()
        },
        database: DatabaseSettings {
            url: SecretString::from(db.url.clone()),
            max_connections: 4,
            data_key: Some(SecretString::from("07".repeat(32))),
            ..DatabaseSettings::default()
        },
        eligibility: EligibilitySettings::default(),
        worker: WorkerSettings {
            batch_size: 16,
            linger_ms: 20,
            concurrency: 2,
            // The verified events the test stores stay unpublished on purpose.
            relay_after_ms: 600_000,
            ..WorkerSettings::default()
        },
        ops: OpsSettings {
            addr: format!("127.0.0.1:{}", free_port()),
        },
    };
    let app = Application::build(settings.clone())
        .await
        .expect("build the eligibility worker");
    let bus = Bus::connect(settings.bus.to_config())
        .await
        .expect("connect the test's own bus");
    let store = Store::connect(StoreConfig::new(
        db.url.clone(),
        DataKey::from_bytes(&[7; 32]).expect("key"),
    ))
    .await
    .expect("connect the test's store");
    let shutdown = CancellationToken::new();
    let metrics = app.worker().metrics().clone();
    let task = Some(tokio::spawn(app.run(shutdown.clone())));
    TestApp {
        db,
        bus,
        store,
        metrics,
        shutdown,
        task,
    }
}

/// What the registries said about an applicant, and what they stated.
#[derive(Debug, Clone)]
pub struct Applicant {
    pub seed: u64,
    pub employment: EmploymentStatus,
    pub aid: Option<&'static str>,
    pub registered_birth_date: Option<Date>,
    pub occupation: &'static str,
    pub enrolled: bool,
    /// Another applicant's KK number, to put both on one family card.
    pub kk_of: Option<u64>,
    pub wave: Wave,
}

impl Applicant {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            employment: EmploymentStatus::LaidOff,
            aid: None,
            registered_birth_date: None,
            occupation: "private_employee",
            enrolled: false,
            kk_of: None,
            wave: Wave::FIRST,
        }
    }
}

impl TestApp {
    /// Stores `applicant` as the verifier records a verified registration:
    /// the row, the three registry answers, the history.
    pub async fn verified(&self, applicant: &Applicant) -> RegistrationId {
        let today = lonjak_domain::submission_date(OffsetDateTime::now_utc());
        let reg = sample_registration(applicant.seed, today);
        let key = identity_key();
        let id = RegistrationId::derive(&key, reg.nik(), applicant.wave);
        let mut row = NewRegistration::from_domain(&reg, id, &key, OffsetDateTime::now_utc());
        row.wave = applicant.wave;
        row.employment_status = applicant.employment.as_str().to_owned();
        if let Some(other) = applicant.kk_of {
            let kk = sample_registration(other, today)
                .kk_number()
                .as_str()
                .to_owned();
            row.kk_hash = KkHash::derive(&key, &KkNumber::parse(&kk).expect("kk"));
            row.kk_number = kk;
        }
        let answer = |registry, detail| CheckRecord {
            registry,
            outcome: CheckOutcome::Answered,
            detail,
        };
        let birth = applicant.registered_birth_date.unwrap_or(row.birth_date);
        let verification = Verification {
            registration: row,
            started_at: OffsetDateTime::now_utc(),
            decision: RegistrationStatus::Verifying
                .transition(RegistrationStatus::Verified, None)
                .expect("allowed"),
            social_aid_programme: applicant.aid.map(str::to_owned),
            checks: vec![
                answer(
                    Registry::Dukcapil,
                    serde_json::json!({
                        "found": true, "name_match": true, "birth_date_match": true,
                        "registered_birth_date": birth.to_string(),
                        "occupation": applicant.occupation,
                    }),
                ),
                answer(
                    Registry::Dapodik,
                    serde_json::json!({"enrolled": applicant.enrolled}),
                ),
                answer(
                    Registry::Dtks,
                    serde_json::json!({"recipient": applicant.aid.is_some()}),
                ),
            ],
            event: OutboxEvent {
                event_id: uuid::Uuid::new_v4(),
                routing_key: "registration.verified".to_owned(),
                envelope: serde_json::json!({}),
            },
        };
        self.store
            .record_verifications(&[verification])
            .await
            .expect("store a verified registration");
        // The verifier would have published it; the test publishes its own.
        self.sql(
            "UPDATE outbox SET published_at = now() WHERE registration_id = $1 AND $2 = 0",
            &id.to_string(),
            0,
        )
        .await;
        id
    }

    /// Publishes the `registration.verified` event of `id`.
    pub async fn publish_verified(&self, id: RegistrationId, applicant: &Applicant) {
        let payload = RegistrationVerified {
            registration_id: id,
            wave: applicant.wave,
            verified_at: OffsetDateTime::now_utc(),
            employment_status: applicant.employment,
            social_aid_programme: applicant.aid.map(str::to_owned),
        };
        self.bus
            .publisher()
            .publish_event(&Envelope::event(format!("test-{id}"), payload), None)
            .await
            .expect("publish a verified event");
    }

    /// Waits until `id` leaves `verified`; its status.
    pub async fn decided(&self, id: RegistrationId) -> lonjak_store::StatusView {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let view = self.store.registration_status(&id).await.expect("status");
            if let Some(view) = view.filter(|v| v.status != RegistrationStatus::Verified) {
                return view;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{id} was never decided"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the outbox event `routing_key` of `id` is confirmed
    /// published (marked), and says how many such events exist.
    pub async fn published(&self, id: RegistrationId, routing_key: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Counts {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            all: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            published: i64,
        }
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let counts: Counts = diesel::sql_query(
                "SELECT count(*) AS all, count(published_at) AS published FROM outbox
                  WHERE registration_id = $1 AND routing_key = $2",
            )
            .bind::<Text, _>(id.to_string())
            .bind::<Text, _>(routing_key)
            .get_result(&mut self.raw().await)
            .await
            .expect("outbox counts");
            if counts.all > 0 && counts.published == counts.all {
                return counts.all;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "{routing_key} of {id} never published"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `n` deliveries were settled with `outcome`.
    pub async fn settled(&self, outcome: &'static str, n: u64) {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while self.metrics.settled_count(outcome) < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "fewer than {n} {outcome}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn raw(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.db.url)
            .await
            .expect("connect to the test database")
    }

    /// Runs one SQL statement with `$1` a registration id and `$2` a number.
    pub async fn sql(&self, statement: &str, id: &str, n: i32) {
        diesel::sql_query(statement)
            .bind::<Text, _>(id)
            .bind::<Int4, _>(n)
            .execute(&mut self.raw().await)
            .await
            .expect("statement");
    }

    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            task.await.expect("task").expect("worker ran cleanly");
        }
        self.bus.close().await;
        let _ = lonjak_bus::delete_topology(self.bus.config()).await;
    }
}
