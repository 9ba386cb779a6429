//! The waiting room's metrics. Queue length, admission rate, admissions and
//! expiries are reported by the replica that ticked (sum the counters, take
//! the gauges' max across replicas); joins and checks by every replica.

use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// How a join or a ticket check ended. Bounded: safe as a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EncodeLabelValue)]
#[allow(non_camel_case_types)]
pub enum TicketOutcome {
    joined,
    rejoined,
    not_open_yet,
    waiting,
    admitted,
    used,
    expired,
    bad_ticket,
    unavailable,
    not_waitroom_wave,
    challenge_issued,
    challenge_missing,
    challenge_invalid,
    challenge_expired,
    challenge_wrong,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: TicketOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct WaveLabel {
    wave: u32,
}

#[derive(Clone)]
pub struct WaitroomMetrics {
    joins: Family<OutcomeLabel, Counter>,
    checks: Family<OutcomeLabel, Counter>,
    queue_length: Family<WaveLabel, Gauge>,
    admit_per_sec: Family<WaveLabel, Gauge>,
    admitted: Family<WaveLabel, Counter>,
    expired: Family<WaveLabel, Counter>,
    estimate_error: Histogram,
    shared_drain: Gauge,
}

impl WaitroomMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self {
            joins: Family::default(),
            checks: Family::default(),
            queue_length: Family::default(),
            admit_per_sec: Family::default(),
            admitted: Family::default(),
            expired: Family::default(),
            // (actual − announced) / announced, for each ticket let in.
            estimate_error: Histogram::new([-0.5, -0.25, -0.1, 0.0, 0.1, 0.25, 0.5, 1.0]),
            shared_drain: Gauge::default(),
        };
        registry.register(
            "lonjak_waitroom_joins",
            "Queue joins, by outcome",
            m.joins.clone(),
        );
        registry.register(
            "lonjak_waitroom_ticket_checks",
            "Ticket status checks, by outcome",
            m.checks.clone(),
        );
        registry.register(
            "lonjak_waitroom_queue_length",
            "Tickets waiting for their turn (replica that ticked)",
            m.queue_length.clone(),
        );
        registry.register(
            "lonjak_waitroom_admit_per_second",
            "Rate at which the queue lets tickets in",
            m.admit_per_sec.clone(),
        );
        registry.register(
            "lonjak_waitroom_admitted",
            "Tickets let in",
            m.admitted.clone(),
        );
        registry.register(
            "lonjak_waitroom_expired",
            "Permissions that ran out unused",
            m.expired.clone(),
        );
        registry.register(
            "lonjak_waitroom_estimate_error_ratio",
            "(actual − announced wait) / announced wait, per ticket let in",
            m.estimate_error.clone(),
        );
        registry.register(
            "lonjak_intake_shared_drain_per_second",
            "Registrations leaving `queued` per second, as every replica estimates it",
            m.shared_drain.clone(),
        );
        m
    }

    pub fn join(&self, outcome: TicketOutcome) {
        self.joins.get_or_create(&OutcomeLabel { outcome }).inc();
    }

    pub fn check(&self, outcome: TicketOutcome) {
        self.checks.get_or_create(&OutcomeLabel { outcome }).inc();
    }

    pub fn ticked(&self, wave: u32, waiting: i64, per_sec: f64, admitted: u64, expired: u64) {
        let label = WaveLabel { wave };
        self.queue_length.get_or_create(&label).set(waiting.max(0));
        self.admit_per_sec
            .get_or_create(&label)
            .set(per_sec.round() as i64);
        self.admitted.get_or_create(&label).inc_by(admitted);
        self.expired.get_or_create(&label).inc_by(expired);
    }

    pub fn estimate(&self, announced_secs: f64, actual_secs: f64) {
        self.estimate_error
            .observe((actual_secs - announced_secs) / announced_secs.max(1.0));
    }

    pub fn set_shared_drain(&self, per_sec: f64) {
        self.shared_drain.set(per_sec.round() as i64);
    }
}
