//! Intake metrics: every answer counted by outcome, publish latency, in-flight.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Why a request ended the way it did. Bounded set: safe as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum Outcome {
    accepted,
    invalid,
    malformed,
    too_large,
    unsupported_media_type,
    rate_limited_client,
    rate_limited_global,
    overloaded_inflight,
    queue_full,
    broker_blocked,
    broker_unavailable,
    /// Sent, but neither confirmed nor refused: it may be stored.
    unconfirmed,
    /// The body did not arrive within `http.body_timeout_ms`.
    body_timeout,
    /// The wave runs a waiting room and the request had no usable ticket.
    ticket_refused,
    internal,
}

/// How a status look-up ended. Bounded set: safe as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum StatusOutcome {
    found,
    queued,
    not_found,
    invalid,
    rate_limited,
    unavailable,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct StatusLabel {
    outcome: StatusOutcome,
}

#[derive(Clone)]
pub struct IntakeMetrics {
    requests: Family<OutcomeLabel, Counter>,
    status: Family<StatusLabel, Counter>,
    publish_seconds: Histogram,
    inflight: Gauge,
    queue_depth: Gauge,
    drain_per_sec: Gauge,
}

impl IntakeMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            requests: Family::default(),
            status: Family::default(),
            publish_seconds: Histogram::new(lonjak_telemetry::buckets::latency_seconds()),
            inflight: Gauge::default(),
            queue_depth: Gauge::default(),
            drain_per_sec: Gauge::default(),
        };
        registry.register(
            "lonjak_intake_requests",
            "Registration requests answered, by outcome",
            metrics.requests.clone(),
        );
        registry.register(
            "lonjak_status_requests",
            "Status look-ups answered, by outcome",
            metrics.status.clone(),
        );
        registry.register(
            "lonjak_intake_publish_duration_seconds",
            "Time from publish to the broker's confirm",
            metrics.publish_seconds.clone(),
        );
        registry.register(
            "lonjak_intake_inflight",
            "Registrations waiting for a broker confirm",
            metrics.inflight.clone(),
        );
        registry.register(
            "lonjak_intake_queue_depth",
            "Messages waiting in the intake queue (last sample)",
            metrics.queue_depth.clone(),
        );
        registry.register(
            "lonjak_intake_drain_per_second",
            "Recent rate at which the intake queue is consumed",
            metrics.drain_per_sec.clone(),
        );
        metrics
    }

    pub fn count(&self, outcome: Outcome) {
        self.requests.get_or_create(&OutcomeLabel { outcome }).inc();
    }

    pub fn count_status(&self, outcome: StatusOutcome) {
        self.status.get_or_create(&StatusLabel { outcome }).inc();
    }

    pub fn observe_publish(&self, seconds: f64) {
        self.publish_seconds.observe(seconds);
    }

    pub fn inflight(&self) -> &Gauge {
        &self.inflight
    }

    pub fn set_queue(&self, depth: u32, drain_per_sec: f64) {
        self.queue_depth.set(i64::from(depth));
        self.drain_per_sec.set(drain_per_sec.round() as i64);
    }
}
