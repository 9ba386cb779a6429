//! Prometheus metrics of the verifier's registry clients. Deliveries,
//! batches and settling are the runtime's (`lonjak_worker_*`).
//!
//! Labels are small closed sets (registry, outcome, error kind), never ids or
//! personal data, so cardinality stays bounded.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Label set of per-registry gauges.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RegistryLabels {
    pub registry: &'static str,
}

/// Label set of registry call latencies.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    pub registry: &'static str,
    /// `ok` or an error kind (see [`crate::registry::CallError::kind`]).
    pub outcome: &'static str,
}

/// Every metric the verifier exports.
#[derive(Debug, Clone)]
pub struct Metrics {
    /// Registry call latency in seconds, per attempt.
    pub registry_latency: Family<CallLabels, Histogram, fn() -> Histogram>,
    /// Registry call failures, per attempt.
    pub registry_errors: Family<CallLabels, Counter>,
    /// Circuit state per registry: 0 closed, 1 open, 2 half-open.
    pub circuit_state: Family<RegistryLabels, Gauge>,
}

/// Buckets from 5 ms to 10 s: a ministry answering in tens of milliseconds is
/// healthy, one answering in seconds is the storm.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

impl Metrics {
    /// Creates the metrics and registers them under `lonjak_verifier_`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            registry_latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            registry_errors: Family::default(),
            circuit_state: Family::default(),
        };
        let sub = registry.sub_registry_with_prefix("lonjak_verifier");
        sub.register(
            "registry_call_duration_seconds",
            "Registry call latency per attempt",
            metrics.registry_latency.clone(),
        );
        sub.register(
            "registry_errors",
            "Registry call failures per attempt, by kind",
            metrics.registry_errors.clone(),
        );
        sub.register(
            "registry_circuit_state",
            "Circuit breaker state: 0 closed, 1 open, 2 half-open",
            metrics.circuit_state.clone(),
        );
        metrics
    }

    /// Metrics registered nowhere, for tests and tools.
    pub fn unregistered() -> Self {
        Self::register(&mut Registry::default())
    }
}
