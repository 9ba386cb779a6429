//! `spawn()` and a scripted handler: a worker on a random prefix with a fresh
//! database, and a handler whose failures each test chooses.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lonjak_bus::{Bus, BusConfig, Envelope, Topology, WorkQueue};
use lonjak_domain::RegistrationId;
use lonjak_domain::events::RegistrationSubmitted;
use lonjak_domain::testing::{SAMPLE_TODAY, identity_key, sample_registration};
use lonjak_store::testing::TestDatabase;
use lonjak_store::{DataKey, Store, StoreConfig};
use lonjak_worker::{
    Failure, FailureKind, Handler, Item, Outcome, Reason, Worker, WorkerMetrics, WorkerSettings,
};
use time::OffsetDateTime;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Longest any test waits: a guard against hanging, not a performance bound.
pub const PATIENCE: Duration = Duration::from_secs(60);

/// What the handler does with which registration.
#[derive(Default)]
pub struct Script {
    /// A batch holding one of these fails as a whole (permanently).
    pub poison: Mutex<HashSet<RegistrationId>>,
    /// Retried once, then done.
    pub retry_once: Mutex<HashSet<RegistrationId>>,
    /// Dead-lettered once (by outcome), then done if it comes back.
    pub dead_letter_once: Mutex<HashSet<RegistrationId>>,
    /// While set, every batch fails with an unavailable dependency.
    pub unavailable: AtomicBool,
    /// Done items: (registration, attempt, redelivered).
    pub done: Mutex<Vec<(RegistrationId, u32, bool)>>,
    /// Sizes of the batches the handler was called with.
    pub calls: Mutex<Vec<usize>>,
}

impl Script {
    pub fn done_ids(&self) -> Vec<RegistrationId> {
        lock(&self.done).iter().map(|(id, _, _)| *id).collect()
    }
}

pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub struct Scripted(pub Arc<Script>);

impl Handler for Scripted {
    type Event = RegistrationSubmitted;

    async fn handle(&self, batch: &[Item<RegistrationSubmitted>]) -> Result<Vec<Outcome>, Failure> {
        let script = &self.0;
        lock(&script.calls).push(batch.len());
        if script.unavailable.load(Ordering::SeqCst) {
            return Err(Failure::new(
                FailureKind::Unavailable,
                "database unavailable",
                std::io::Error::other("scripted outage"),
            ));
        }
        let poison = lock(&script.poison).clone();
        if batch
            .iter()
            .any(|item| poison.contains(&item.envelope.payload.registration_id))
        {
            return Err(Failure::new(
                FailureKind::Permanent,
                "scripted poison",
                std::io::Error::other("this batch holds a poison item"),
            ));
        }
        let mut outcomes = Vec::new();
        for item in batch {
            let id = item.envelope.payload.registration_id;
            if lock(&script.retry_once).remove(&id) {
                outcomes.push(Outcome::Retry(Reason::new("scripted transient")));
            } else if lock(&script.dead_letter_once).remove(&id) {
                outcomes.push(Outcome::DeadLetter(Reason::new("scripted dead letter")));
            } else {
                lock(&script.done).push((id, item.attempt, item.redelivered));
                outcomes.push(Outcome::done("processed"));
            }
        }
        Ok(outcomes)
    }
}

/// The registration id of sample applicant `i` (what [`TestWorker::publish`] sends).
pub fn id_of(i: u64) -> RegistrationId {
    let reg = sample_registration(i, SAMPLE_TODAY);
    RegistrationId::derive(&identity_key(), reg.nik(), reg.wave())
}

pub struct TestWorker {
    pub bus: Bus,
    pub store: Store,
    pub script: Arc<Script>,
    pub metrics: WorkerMetrics,
    /// Kept so the database lives as long as the worker.
    _db: TestDatabase,
    pub config: BusConfig,
    shutdown: CancellationToken,
    task: Option<JoinHandle<()>>,
    _cleanup: Cleanup,
}

pub fn settings() -> WorkerSettings {
    WorkerSettings {
        batch_size: 20,
        linger_ms: 50,
        concurrency: 2,
        backoff_max_ms: 200,
        shutdown_grace_ms: 10_000,
        ..WorkerSettings::default()
    }
}

/// A worker with `settings` on a fresh prefix and database, running.
pub async fn spawn(settings: WorkerSettings) -> TestWorker {
    spawn_with(settings, Arc::new(Script::default())).await
}

pub async fn spawn_with(settings: WorkerSettings, script: Arc<Script>) -> TestWorker {
    if std::env::var("TEST_LOG").is_ok() {
        lonjak_telemetry::init_test_tracing();
    }
    let config = BusConfig {
        url: std::env::var("LONJAK_TEST_AMQP_URL")
            .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned()),
        prefix: format!("t{:016x}.", rand::random::<u64>()),
        retry_delays: vec![Duration::from_millis(500)],
        delivery_limit: 20,
        ..BusConfig::default()
    };
    let cleanup = Cleanup(Topology::new(&config));
    let bus = Bus::connect(config.clone()).await.expect("bus");
    let db = TestDatabase::create().await;
    let store = Store::connect(StoreConfig::new(
        db.url.clone(),
        DataKey::from_bytes(&[42; 32]).expect("key"),
    ))
    .await
    .expect("store");
    let mut registry = prometheus_client::registry::Registry::default();
    let worker = Worker::new(
        "test",
        WorkQueue::Verifier,
        Scripted(Arc::clone(&script)),
        Bus::connect(config.clone()).await.expect("worker bus"),
        store.clone(),
        settings,
        &mut registry,
    );
    let metrics = worker.metrics().clone();
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let task = tokio::spawn(async move {
        worker.run(stop).await.expect("worker runs");
    });
    TestWorker {
        bus,
        store,
        script,
        metrics,
        _db: db,
        config,
        shutdown,
        task: Some(task),
        _cleanup: cleanup,
    }
}

impl TestWorker {
    /// Publishes submissions of sample applicants `range` (confirmed) and
    /// returns their ids.
    pub async fn publish(&self, range: std::ops::Range<u64>) -> Vec<RegistrationId> {
        let key = identity_key();
        let seal = lonjak_seal::SealPublicKey::from_base64(lonjak_seal::DEVELOPMENT_PUBLIC_KEY)
            .expect("the development key");
        let publisher = self.bus.publisher();
        let mut ids = Vec::new();
        for i in range {
            let reg = sample_registration(i, SAMPLE_TODAY);
            let id = RegistrationId::derive(&key, reg.nik(), reg.wave());
            let event = lonjak_seal::seal_submitted(&seal, id, &reg, OffsetDateTime::now_utc())
                .expect("sealed");
            publisher
                .publish_event(&Envelope::event(format!("test-{i}"), event), None)
                .await
                .expect("confirmed");
            ids.push(id);
        }
        ids
    }

    pub fn queue(&self, queue: WorkQueue) -> String {
        self.bus.topology().queue(queue)
    }

    pub async fn ready_in(&self, name: &str) -> u32 {
        self.bus.queue_depth(name).await.expect("depth").messages
    }

    /// Stops the worker gracefully and waits for it.
    pub async fn stop(&mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            tokio::time::timeout(PATIENCE, task)
                .await
                .expect("the worker stops within the grace")
                .expect("the worker task ends cleanly");
        }
    }
}

impl Drop for TestWorker {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Polls `check` until true, or panics after [`PATIENCE`].
pub async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Deletes the test's queues and exchanges when dropped.
pub struct Cleanup(pub Topology);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let topology = self.0.clone();
        let worker = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                let config = BusConfig {
                    prefix: topology.prefix().to_owned(),
                    retry_delays: topology.retry_delays().to_vec(),
                    ..BusConfig::default()
                };
                let _ = tokio::time::timeout(PATIENCE, lonjak_bus::delete_topology(&config)).await;
            });
        });
        let _ = worker.join();
    }
}
