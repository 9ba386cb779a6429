//! Prometheus metrics of the notifier (`lonjak_notifier_*`). Deliveries,
//! batches and queue lag (`lonjak_worker_event_age_seconds`) are the
//! runtime's. Labels are closed sets (channel, event template, outcome).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Messages by channel, event and outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct MessageLabels {
    pub channel: &'static str,
    /// The event's template: `verified`, `rejected`, `selected`,
    /// `waitlisted`, `email_verification`.
    pub event: &'static str,
    /// `sent`, `failed` (permanent), `retried` (transient), `duplicate`
    /// (sent or failed before), `busy` (another notifier holds the claim).
    pub outcome: &'static str,
}

/// Provider calls by channel and outcome.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    pub channel: &'static str,
    /// `ok`, `throttled`, `transient`, `permanent`.
    pub outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ChannelLabels {
    pub channel: &'static str,
}

#[derive(Debug, Clone)]
pub struct Metrics {
    pub messages: Family<MessageLabels, Counter>,
    pub provider_latency: Family<CallLabels, Histogram, fn() -> Histogram>,
    /// 429s with Retry-After from a provider.
    pub throttled: Family<ChannelLabels, Counter>,
    /// Claims of a message claimed before: after a transient failure, or
    /// taken over from a notifier that died holding it (the window that can
    /// send twice).
    pub repeat_claims: Family<ChannelLabels, Counter>,
}

/// 5 ms to 30 s: SMTP on a LAN answers in milliseconds, a provider at its
/// limit in seconds.
const LATENCY_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS)
}

impl Metrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self {
            messages: Family::default(),
            provider_latency: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            throttled: Family::default(),
            repeat_claims: Family::default(),
        };
        let sub = registry.sub_registry_with_prefix("lonjak_notifier");
        sub.register(
            "messages",
            "Messages by channel, event and outcome",
            metrics.messages.clone(),
        );
        sub.register(
            "provider_call_duration_seconds",
            "Provider call latency per attempt, by channel and outcome",
            metrics.provider_latency.clone(),
        );
        sub.register(
            "provider_throttled",
            "Provider answers of 429 with Retry-After",
            metrics.throttled.clone(),
        );
        sub.register(
            "repeat_claims",
            "Claims of a message claimed before (a retry, or a lease taken over)",
            metrics.repeat_claims.clone(),
        );
        metrics
    }

    pub fn message(&self, channel: &'static str, event: &'static str, outcome: &'static str) {
        self.messages
            .get_or_create(&MessageLabels {
                channel,
                event,
                outcome,
            })
            .inc();
    }
}
