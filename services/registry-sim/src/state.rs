//! Shared state of a running simulator: the live configuration, one gate per
//! registry and the metrics.

use std::collections::BTreeMap;
use std::sync::{PoisonError, RwLock};
use std::time::Instant;

use crate::config::{ConfigError, Registry, SimConfig};
use crate::gate::{Gate, Outcome, RegistryStats};
use crate::metrics::Metrics;

/// Per-registry statistics, keyed by registry name (`dukcapil`, `dapodik`, `dtks`).
pub type SimStats = BTreeMap<String, RegistryStats>;

/// State shared by every worker of one simulator.
pub(crate) struct AppState {
    config: RwLock<SimConfig>,
    gates: [Gate; 3],
    metrics: Metrics,
}

impl AppState {
    pub(crate) fn new(config: SimConfig) -> Self {
        Self {
            config: RwLock::new(config),
            gates: [Gate::new(), Gate::new(), Gate::new()],
            metrics: Metrics::new(),
        }
    }

    pub(crate) fn config(&self) -> SimConfig {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Merges `patch` into the live configuration; returns the result.
    pub(crate) fn reconfigure(&self, patch: serde_json::Value) -> Result<SimConfig, ConfigError> {
        let mut config = self.config.write().unwrap_or_else(PoisonError::into_inner);
        let next = config.patched(patch)?;
        *config = next.clone();
        Ok(next)
    }

    pub(crate) fn gate(&self, registry: Registry) -> &Gate {
        &self.gates[registry.index()]
    }

    pub(crate) fn arrive(&self, registry: Registry) {
        self.gate(registry).arrive(Instant::now());
    }

    /// Marks a request in progress until the returned guard drops (also when
    /// the client goes away and actix drops the handler).
    pub(crate) fn enter(&self, registry: Registry) -> InFlight<'_> {
        let count = self.gate(registry).enter();
        self.metrics.in_flight(registry, 1);
        InFlight {
            state: self,
            registry,
            count,
        }
    }

    pub(crate) fn record(&self, registry: Registry, outcome: Outcome) {
        self.gate(registry).record(outcome);
        self.metrics.record(registry, outcome);
    }

    pub(crate) fn stats(&self) -> SimStats {
        Registry::ALL
            .into_iter()
            .map(|registry| (registry.as_str().to_owned(), self.gate(registry).stats()))
            .collect()
    }

    pub(crate) fn reset_stats(&self) {
        for gate in &self.gates {
            gate.reset();
        }
    }

    pub(crate) fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}

/// A request in progress at one registry.
pub(crate) struct InFlight<'a> {
    state: &'a AppState,
    registry: Registry,
    count: u64,
}

impl InFlight<'_> {
    /// Requests in progress at this registry when this one entered.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.state.gate(self.registry).leave();
        self.state.metrics.in_flight(self.registry, -1);
    }
}
