//! Prometheus metrics of the photo check (`lonjak_photo_check_*`).
//! Deliveries, batches and queue lag are the runtime's (`lonjak_worker_*`).
//! Labels are closed sets: the result and the rejection reason.

use std::time::Duration;

use lonjak_domain::PhotoRejection;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Photos checked, by what the check found.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CheckLabels {
    /// `accepted` or `rejected`.
    pub result: &'static str,
    /// The rejection reason (`too_large`, `not_an_image`, …); `none` when
    /// accepted.
    pub reason: &'static str,
}

#[derive(Debug, Clone)]
pub struct Metrics {
    pub checked: Family<CheckLabels, Counter>,
    /// Bytes of the objects checked (their HEAD size; a missing object
    /// counts nothing).
    pub bytes: Counter,
    /// One object's check: HEAD, reads and, when accepted, the kept copy.
    pub duration: Histogram,
}

/// 5 ms to 10 s: a small photo on a LAN store takes milliseconds, a 2 MiB
/// one from a busy store up to seconds.
const DURATION_BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

impl Default for Metrics {
    /// Metrics not registered anywhere (tests that build a checker alone).
    fn default() -> Self {
        Self {
            checked: Family::default(),
            bytes: Counter::default(),
            duration: Histogram::new(DURATION_BUCKETS),
        }
    }
}

impl Metrics {
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        let sub = registry.sub_registry_with_prefix("lonjak_photo_check");
        sub.register(
            "photos",
            "Photos checked, by result and rejection reason",
            metrics.checked.clone(),
        );
        sub.register(
            "checked_bytes",
            "Bytes of the photos checked",
            metrics.bytes.clone(),
        );
        sub.register(
            "check_duration_seconds",
            "Time to check one photo (HEAD, reads, the kept copy)",
            metrics.duration.clone(),
        );
        // Shown from the first scrape (a dashboard's rate over nothing yet
        // is 0, not "no data").
        let _ = metrics.checked.get_or_create(&CheckLabels {
            result: "accepted",
            reason: "none",
        });
        metrics
    }

    /// One check's outcome (recorded once per upload, not per redelivery).
    pub fn checked(&self, result: Result<(), PhotoRejection>, size: Option<u64>) {
        let labels = match result {
            Ok(()) => CheckLabels {
                result: "accepted",
                reason: "none",
            },
            Err(reason) => CheckLabels {
                result: "rejected",
                reason: reason.as_str(),
            },
        };
        self.checked.get_or_create(&labels).inc();
        if let Some(size) = size {
            self.bytes.inc_by(size);
        }
    }

    pub fn took(&self, elapsed: Duration) {
        self.duration.observe(elapsed.as_secs_f64());
    }
}
