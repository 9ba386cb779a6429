//! The metrics every worker exports, under `lonjak_worker_`, labelled by
//! worker name. Labels are small closed sets, never ids or personal data.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WorkerLabels {
    pub worker: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutcomeLabels {
    pub worker: &'static str,
    /// A `Done` label (`verified`, `duplicate`, …), `retried` or `dead_lettered`.
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StepLabels {
    pub worker: &'static str,
    /// `publish`, `mark`, `ack`, `retry`, `dead_letter`, `requeue`.
    pub step: &'static str,
}

const BATCH_SIZES: [f64; 10] = [1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 200.0, 500.0, 1000.0];
/// Event age when processed: seconds to an hour (a backlog drains for long).
const AGES: [f64; 12] = [
    0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 900.0, 3600.0,
];

/// Every metric of the runtime. Cheap to clone (shared handles).
#[derive(Debug, Clone)]
pub struct WorkerMetrics {
    name: &'static str,
    deliveries: Family<OutcomeLabels, Counter>,
    redelivered: Family<WorkerLabels, Counter>,
    batch_size: Family<WorkerLabels, Histogram, fn() -> Histogram>,
    batch_duration: Family<WorkerLabels, Histogram, fn() -> Histogram>,
    event_age: Family<WorkerLabels, Histogram, fn() -> Histogram>,
    settle_failures: Family<StepLabels, Counter>,
    unavailable: Family<WorkerLabels, Counter>,
    held: Family<WorkerLabels, Gauge>,
    outbox_pending: Family<WorkerLabels, Gauge>,
    relayed: Family<WorkerLabels, Counter>,
}

fn batch_sizes() -> Histogram {
    Histogram::new(BATCH_SIZES)
}

fn latencies() -> Histogram {
    Histogram::new(lonjak_telemetry::buckets::latency_seconds())
}

fn ages() -> Histogram {
    Histogram::new(AGES)
}

impl WorkerMetrics {
    /// Creates the metrics of worker `name` and registers them.
    pub fn register(name: &'static str, registry: &mut Registry) -> Self {
        let metrics = Self {
            name,
            deliveries: Family::default(),
            redelivered: Family::default(),
            batch_size: Family::new_with_constructor(batch_sizes as fn() -> Histogram),
            batch_duration: Family::new_with_constructor(latencies as fn() -> Histogram),
            event_age: Family::new_with_constructor(ages as fn() -> Histogram),
            settle_failures: Family::default(),
            unavailable: Family::default(),
            held: Family::default(),
            outbox_pending: Family::default(),
            relayed: Family::default(),
        };
        let sub = registry.sub_registry_with_prefix("lonjak_worker");
        sub.register(
            "deliveries",
            "Deliveries settled, by outcome",
            metrics.deliveries.clone(),
        );
        sub.register(
            "redelivered",
            "Deliveries the broker had delivered before",
            metrics.redelivered.clone(),
        );
        sub.register(
            "batch_size",
            "Deliveries per processed batch",
            metrics.batch_size.clone(),
        );
        sub.register(
            "batch_duration_seconds",
            "Time from a batch's start to its last settle",
            metrics.batch_duration.clone(),
        );
        sub.register(
            "event_age_seconds",
            "Age of an event when its batch starts (queue lag)",
            metrics.event_age.clone(),
        );
        sub.register(
            "settle_failures",
            "Settling steps that failed, by step",
            metrics.settle_failures.clone(),
        );
        sub.register(
            "dependency_unavailable",
            "Batch attempts held back because a dependency was unavailable",
            metrics.unavailable.clone(),
        );
        sub.register(
            "held_batches",
            "Batches held unacked while a dependency is unavailable",
            metrics.held.clone(),
        );
        sub.register(
            "outbox_pending",
            "Outbox events not yet confirmed by the broker",
            metrics.outbox_pending.clone(),
        );
        sub.register(
            "relayed",
            "Stale outbox events published by the relay",
            metrics.relayed.clone(),
        );
        metrics.create_series();
        metrics
    }

    /// The same metrics for another worker `name` of the same process: one
    /// registry takes each metric once, so the workers of one process share
    /// the families and tell their series apart by the `worker` label.
    #[must_use]
    pub fn for_worker(&self, name: &'static str) -> Self {
        let metrics = Self {
            name,
            ..self.clone()
        };
        metrics.create_series();
        metrics
    }

    /// A family shows in `/metrics` only once it has a series: create every
    /// series whose labels are known up front, at zero, so dashboards and
    /// alerts find them before the first event.
    fn create_series(&self) {
        let worker = self.worker();
        for outcome in ["retried", "dead_lettered", "requeued"] {
            drop(self.deliveries.get_or_create(&OutcomeLabels {
                worker: self.name,
                outcome,
            }));
        }
        for step in ["publish", "mark", "ack", "retry", "dead_letter", "requeue"] {
            drop(self.settle_failures.get_or_create(&StepLabels {
                worker: self.name,
                step,
            }));
        }
        drop(self.redelivered.get_or_create(&worker));
        drop(self.batch_size.get_or_create(&worker));
        drop(self.batch_duration.get_or_create(&worker));
        drop(self.event_age.get_or_create(&worker));
        drop(self.unavailable.get_or_create(&worker));
        drop(self.held.get_or_create(&worker));
        drop(self.outbox_pending.get_or_create(&worker));
        drop(self.relayed.get_or_create(&worker));
    }

    fn worker(&self) -> WorkerLabels {
        WorkerLabels { worker: self.name }
    }

    pub(crate) fn settled(&self, outcome: &'static str, n: u64) {
        self.deliveries
            .get_or_create(&OutcomeLabels {
                worker: self.name,
                outcome,
            })
            .inc_by(n);
    }

    /// Deliveries settled with `outcome` so far (tests, tools).
    pub fn settled_count(&self, outcome: &'static str) -> u64 {
        self.deliveries
            .get_or_create(&OutcomeLabels {
                worker: self.name,
                outcome,
            })
            .get()
    }

    pub(crate) fn redelivered(&self) {
        self.redelivered.get_or_create(&self.worker()).inc();
    }

    pub(crate) fn batch(&self, size: usize, seconds: f64) {
        self.batch_size
            .get_or_create(&self.worker())
            .observe(size as f64);
        self.batch_duration
            .get_or_create(&self.worker())
            .observe(seconds);
    }

    pub(crate) fn event_age(&self, seconds: f64) {
        self.event_age
            .get_or_create(&self.worker())
            .observe(seconds.max(0.0));
    }

    pub(crate) fn settle_failed(&self, step: &'static str) {
        self.settle_failures
            .get_or_create(&StepLabels {
                worker: self.name,
                step,
            })
            .inc();
    }

    /// Settling steps of `step` that failed so far (tests, tools).
    pub fn settle_failure_count(&self, step: &'static str) -> u64 {
        self.settle_failures
            .get_or_create(&StepLabels {
                worker: self.name,
                step,
            })
            .get()
    }

    pub(crate) fn unavailable(&self) {
        self.unavailable.get_or_create(&self.worker()).inc();
    }

    pub(crate) fn held(&self, delta: i64) {
        self.held.get_or_create(&self.worker()).inc_by(delta);
    }

    pub(crate) fn outbox_pending(&self, pending: i64) {
        self.outbox_pending
            .get_or_create(&self.worker())
            .set(pending);
    }

    pub(crate) fn relayed(&self, n: u64) {
        self.relayed.get_or_create(&self.worker()).inc_by(n);
    }
}
