//! `worker.*`: how a worker takes, batches and settles its deliveries.

use std::time::Duration;

use serde::Deserialize;

/// Settings of the consume loop, the same keys for every worker.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WorkerSettings {
    /// Deliveries in one batch at most (one transaction, one ack frame).
    pub batch_size: usize,
    /// How long a batch waits for more deliveries after its first, in ms.
    /// Bounds the latency batching adds when the queue is nearly empty.
    pub linger_ms: u64,
    /// Batches in flight at once.
    pub concurrency: usize,
    /// Unacknowledged deliveries the broker may push; 0 derives it as
    /// `batch_size × (concurrency + 1)`: every slot busy plus one batch
    /// gathering, without hoarding what another replica could take.
    pub prefetch: u16,
    /// How long shutdown waits for batches in hand, in ms.
    pub shutdown_grace_ms: u64,
    /// Longest pause between attempts while a dependency is unavailable, ms.
    pub backoff_max_ms: u64,
    /// How often the outbox relay looks for stale events, in ms.
    pub relay_interval_ms: u64,
    /// How old an unpublished event must be before the relay takes it, ms
    /// (well above the time from commit to confirm of a live batch).
    pub relay_after_ms: u64,
    /// Events the relay publishes per round.
    pub relay_batch: i64,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            batch_size: 200,
            linger_ms: 20,
            concurrency: 4,
            prefetch: 0,
            shutdown_grace_ms: 20_000,
            backoff_max_ms: 5_000,
            relay_interval_ms: 5_000,
            relay_after_ms: 30_000,
            relay_batch: 500,
        }
    }
}

impl WorkerSettings {
    /// The prefetch to ask the broker for.
    pub fn prefetch(&self) -> u16 {
        if self.prefetch > 0 {
            return self.prefetch;
        }
        let wanted = self
            .batch_size
            .max(1)
            .saturating_mul(self.concurrency.max(1).saturating_add(1));
        u16::try_from(wanted).unwrap_or(u16::MAX)
    }

    pub(crate) fn linger(&self) -> Duration {
        Duration::from_millis(self.linger_ms)
    }

    pub(crate) fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }

    pub(crate) fn backoff_max(&self) -> Duration {
        Duration::from_millis(self.backoff_max_ms.max(1))
    }

    pub(crate) fn relay_interval(&self) -> Duration {
        Duration::from_millis(self.relay_interval_ms.max(100))
    }

    pub(crate) fn relay_after(&self) -> Duration {
        Duration::from_millis(self.relay_after_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefetch_covers_every_batch_in_flight_and_one_gathering() {
        let settings = WorkerSettings {
            batch_size: 100,
            concurrency: 3,
            ..WorkerSettings::default()
        };
        assert_eq!(settings.prefetch(), 400);
        let explicit = WorkerSettings {
            prefetch: 7,
            ..settings.clone()
        };
        assert_eq!(explicit.prefetch(), 7);
        let huge = WorkerSettings {
            batch_size: 60_000,
            ..settings
        };
        assert_eq!(huge.prefetch(), u16::MAX);
    }
}
