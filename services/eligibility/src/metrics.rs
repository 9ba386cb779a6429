//! `lonjak_selection_decisions_total{decision}`: every decision selections
//! have made, read from the waves table on an interval (selection runs in
//! `lonjak-ops`, a command with nothing to scrape). Deliveries, batches and
//! settling are the runtime's (`lonjak_worker_*`).

use std::time::Duration;

use lonjak_store::{SelectionCounts, Store};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DecisionLabels {
    /// `selected`, `waitlisted` or `rejected` (the KK cap).
    pub decision: &'static str,
}

/// The selection metrics.
#[derive(Debug, Clone, Default)]
pub struct SelectionMetrics {
    pub decisions: Family<DecisionLabels, Counter>,
}

impl SelectionMetrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry
            .sub_registry_with_prefix("lonjak_selection")
            .register(
                "decisions",
                "Applicants decided by wave selections, by decision",
                metrics.decisions.clone(),
            );
        metrics
    }

    /// Brings the counters up to `totals` (they never go down).
    pub fn observe(&self, totals: SelectionCounts) {
        for (decision, total) in [
            ("selected", totals.selected),
            ("waitlisted", totals.waitlisted),
            ("rejected", totals.rejected),
        ] {
            let counter = self.decisions.get_or_create(&DecisionLabels { decision });
            let seen = counter.get();
            if total > seen {
                counter.inc_by(total - seen);
            }
        }
    }

    /// Refreshes the counters every `period` until `shutdown`.
    pub fn run(self, store: Store, period: Duration, shutdown: CancellationToken) {
        tokio::spawn(async move {
            loop {
                match store.selection_totals().await {
                    Ok(totals) => self.observe(totals),
                    Err(error) => tracing::warn!(
                        error = &error as &dyn std::error::Error,
                        "reading the selection totals"
                    ),
                }
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(period) => {}
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_follow_the_totals_and_never_go_down() {
        let metrics = SelectionMetrics::default();
        let get = |d| {
            metrics
                .decisions
                .get_or_create(&DecisionLabels { decision: d })
                .get()
        };
        metrics.observe(SelectionCounts {
            selected: 3,
            waitlisted: 5,
            rejected: 1,
        });
        metrics.observe(SelectionCounts {
            selected: 2,
            waitlisted: 9,
            rejected: 1,
        });
        assert_eq!(
            (get("selected"), get("waitlisted"), get("rejected")),
            (3, 9, 1)
        );
    }
}
