//! The outbox relay: publishes events committed but never confirmed (a
//! worker died between its commit and its publish, or the broker refused it
//! then), and keeps the pending-events gauge current.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::Handler;
use crate::publish::{Chain, publish_all};
use crate::worker::Ctx;

/// How long a relay holds the events it took; beyond it another may take them.
const LEASE: Duration = Duration::from_secs(60);

pub(crate) async fn run_relay<H: Handler>(ctx: Arc<Ctx<H>>, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(ctx.settings.relay_interval());
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = ticks.tick() => {}
        }
        relay_once(&ctx).await;
        if let Ok(pending) = ctx.store.unpublished_count().await {
            ctx.metrics.outbox_pending(pending);
        }
    }
}

/// One round: lease stale events, publish them, mark the confirmed ones.
pub(crate) async fn relay_once<H: Handler>(ctx: &Ctx<H>) -> usize {
    let settings = &ctx.settings;
    let events = match ctx
        .store
        .lease_stale_events(settings.relay_after(), LEASE, settings.relay_batch)
        .await
    {
        Ok(events) => events,
        Err(error) => {
            tracing::debug!(error = %Chain(&error), "outbox relay could not read the outbox");
            return 0;
        }
    };
    if events.is_empty() {
        return 0;
    }
    let batch: Vec<_> = events.iter().map(|e| (e, None)).collect();
    let confirmed: Vec<_> = publish_all(&ctx.bus.publisher(), &batch)
        .await
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    if let Err(error) = ctx.store.mark_published(&confirmed).await {
        tracing::warn!(error = %Chain(&error), "outbox relay could not mark what it published");
    }
    ctx.metrics.relayed(confirmed.len() as u64);
    tracing::info!(
        leased = events.len(),
        published = confirmed.len(),
        "outbox relay published stale events"
    );
    confirmed.len()
}
