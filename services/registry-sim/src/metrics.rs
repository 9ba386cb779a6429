//! Prometheus metrics served on `/metrics`: requests per registry by outcome,
//! and requests in flight per registry.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;

use crate::config::Registry;
use crate::gate::Outcome;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    registry: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RegistryLabels {
    registry: &'static str,
}

/// The simulator's metric registry.
pub(crate) struct Metrics {
    registry: prometheus_client::registry::Registry,
    requests: Family<RequestLabels, Counter>,
    in_flight: Family<RegistryLabels, Gauge>,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = prometheus_client::registry::Registry::with_prefix("lonjak_sim");
        let requests = Family::<RequestLabels, Counter>::default();
        let in_flight = Family::<RegistryLabels, Gauge>::default();
        registry.register(
            "requests",
            "Registry requests received, by outcome",
            requests.clone(),
        );
        registry.register(
            "in_flight",
            "Registry requests in progress",
            in_flight.clone(),
        );
        // Create every series up front so dashboards see zeros, not gaps.
        for name in Registry::ALL.map(Registry::as_str) {
            for outcome in [
                Outcome::Ok,
                Outcome::RateLimited,
                Outcome::Overloaded,
                Outcome::Error,
                Outcome::BadRequest,
            ] {
                drop(requests.get_or_create(&RequestLabels {
                    registry: name,
                    outcome: outcome.as_str(),
                }));
            }
            drop(in_flight.get_or_create(&RegistryLabels { registry: name }));
        }
        Self {
            registry,
            requests,
            in_flight,
        }
    }

    pub(crate) fn record(&self, registry: Registry, outcome: Outcome) {
        self.requests
            .get_or_create(&RequestLabels {
                registry: registry.as_str(),
                outcome: outcome.as_str(),
            })
            .inc();
    }

    pub(crate) fn in_flight(&self, registry: Registry, delta: i64) {
        self.in_flight
            .get_or_create(&RegistryLabels {
                registry: registry.as_str(),
            })
            .inc_by(delta);
    }

    /// OpenMetrics text exposition.
    pub(crate) fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}
