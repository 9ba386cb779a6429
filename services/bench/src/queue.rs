//! The intake queue: counting it, and deleting a benchmark's topology.

use std::time::Duration;

use anyhow::Context;
use lonjak_bus::{Bus, BusConfig, WorkQueue};

/// The bus as the gateway sees it. `intake_max_length` must match the
/// gateway's: connecting declares the topology, and the broker refuses a
/// re-declaration with different queue arguments.
#[must_use]
pub fn bus_config(url: &str, prefix: &str, intake_max_length: Option<u32>) -> BusConfig {
    BusConfig {
        url: url.to_owned(),
        prefix: prefix.to_owned(),
        intake_max_length,
        ..BusConfig::default()
    }
}

/// How long counting waits for the bus to reconnect (the broker on a shared
/// development machine may be restarted by someone else's test).
const COUNT_ATTEMPTS: u32 = 30;
const COUNT_RETRY: Duration = Duration::from_millis(500);

/// Messages ready on the intake queue (no consumer runs during the benchmark).
pub async fn intake_depth(bus: &Bus) -> anyhow::Result<u32> {
    let queue = bus.topology().queue(WorkQueue::Verifier);
    let mut attempt = 1;
    loop {
        match bus.queue_depth(&queue).await {
            Ok(depth) => return Ok(depth.messages),
            Err(e) if attempt < COUNT_ATTEMPTS => {
                eprintln!("counting {queue} failed ({e}); retrying");
                attempt += 1;
                tokio::time::sleep(COUNT_RETRY).await;
            }
            Err(e) => return Err(e).with_context(|| format!("counting queue {queue}")),
        }
    }
}

/// Deletes every queue and exchange of `config`'s prefix (the bus refuses
/// the empty prefix: that is production's topology).
pub async fn delete_topology(config: &BusConfig) -> anyhow::Result<usize> {
    lonjak_bus::delete_topology(config)
        .await
        .context("deleting the benchmark's queues")
}
