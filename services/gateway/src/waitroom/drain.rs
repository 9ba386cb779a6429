//! Samples the intake's drain rate into the store, one replica per period,
//! and brings the shared figure back into this replica's queue gauge, where
//! the 202 receipt, the status page and the waiting room read it.

use std::time::Duration;

use lonjak_store::DrainSampling;
use tokio_util::sync::CancellationToken;

use super::{LazyStore, WaitroomMetrics};
use crate::broker::QueueGauge;

pub fn run_drain_sampler(
    store: LazyStore,
    queue: QueueGauge,
    metrics: WaitroomMetrics,
    period: Duration,
    time_constant: Duration,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(period);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let (mut was_backlogged, mut was_saturated) = (false, false);
        // When the current run of backlogged samples began.
        let mut backlogged_since: Option<std::time::Instant> = None;
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = ticker.tick() => {}
            }
            let Ok(store) = store.get().await else {
                continue;
            };
            let gauge = queue.sample();
            let backlogged = gauge.depth > 0;
            // Busy over the whole period: backlog at both ends of it.
            let saturated = backlogged && was_backlogged;
            let now = std::time::Instant::now();
            backlogged_since = backlogged.then(|| backlogged_since.unwrap_or(now));
            let sampling = DrainSampling {
                period,
                time_constant,
                saturated,
                busy_started: saturated && !was_saturated,
                busy_secs: match (saturated, backlogged_since) {
                    (true, Some(since)) => now.duration_since(since).as_secs_f64(),
                    _ => 0.0,
                },
                quiet: saturated && gauge.is_quiet(),
            };
            (was_backlogged, was_saturated) = (backlogged, saturated);
            if let Err(error) = store.sample_drain(sampling).await {
                tracing::warn!(error = %crate::problem::chain(&error), "drain sample failed");
            }
            match store.drain_rate().await {
                Ok(rate) => {
                    queue.set_shared_drain(rate);
                    metrics.set_shared_drain(rate.per_sec);
                }
                Err(error) => {
                    tracing::warn!(error = %crate::problem::chain(&error), "drain rate read failed")
                }
            }
        }
    });
}
