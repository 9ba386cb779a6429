//! One batch from deliveries to outcomes: decode, run the handler (holding
//! the batch while a dependency is unavailable, splitting it to isolate a
//! failing item), then settle.

use std::ops::Range;
use std::time::Duration;

use lonjak_bus::Delivery;
use time::OffsetDateTime;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::publish::Chain;
use crate::settle::settle;
use crate::worker::Ctx;
use crate::{Consumed, Failure, FailureKind, Handler, Item, Outcome, Reason};

/// First pause after an unavailable dependency; doubles up to the maximum.
const BACKOFF_MIN: Duration = Duration::from_millis(100);

/// Processes and settles one batch. Returns without settling only when
/// shutdown comes while the batch is held: its deliveries go back to the
/// queue when the consumer's channel closes.
pub(crate) async fn process_batch<H: Handler>(
    ctx: &Ctx<H>,
    deliveries: Vec<Delivery>,
    shutdown: &CancellationToken,
) {
    let started = Instant::now();
    let now = OffsetDateTime::now_utc();
    let mut outcomes: Vec<Option<Outcome>> = deliveries.iter().map(|_| None).collect();
    let mut subjects: Vec<Option<String>> = deliveries.iter().map(|_| None).collect();
    let mut items = Vec::with_capacity(deliveries.len());
    let mut positions = Vec::with_capacity(deliveries.len());
    for (i, delivery) in deliveries.iter().enumerate() {
        if delivery.redelivered() {
            ctx.metrics.redelivered();
        }
        match H::Event::decode(&delivery.routing_key(), delivery.body()) {
            Ok(envelope) => {
                ctx.metrics
                    .event_age((now - envelope.occurred_at).as_seconds_f64());
                subjects[i] = envelope.payload.subject().map(|id| id.to_string());
                items.push(Item {
                    envelope,
                    attempt: delivery.attempt(),
                    redelivered: delivery.redelivered(),
                    received_at: now,
                    trace: delivery.trace(),
                });
                positions.push(i);
            }
            Err(error) => {
                outcomes[i] = Some(Outcome::DeadLetter(Reason::with_source(
                    error.label(),
                    error,
                )));
            }
        }
    }
    if !items.is_empty() {
        let Some(results) = handle_isolating(ctx, &items, shutdown).await else {
            tracing::info!(
                batch.size = deliveries.len(),
                "shutdown while the batch was held; its deliveries go back to the queue"
            );
            return;
        };
        for (position, outcome) in positions.into_iter().zip(results) {
            outcomes[position] = Some(outcome);
        }
    }
    let outcomes = outcomes
        .into_iter()
        .map(|o| o.unwrap_or_else(|| Outcome::DeadLetter(Reason::new("no outcome"))))
        .collect();
    settle(ctx, deliveries, outcomes, subjects).await;
    ctx.metrics
        .batch(items.len().max(1), started.elapsed().as_secs_f64());
}

/// The handler's outcomes for `items`. A failed batch is split in halves
/// until the failing item stands alone, so one bad item never fails its
/// neighbours; `None` if shutdown came while a dependency was unavailable.
async fn handle_isolating<H: Handler>(
    ctx: &Ctx<H>,
    items: &[Item<H::Event>],
    shutdown: &CancellationToken,
) -> Option<Vec<Outcome>> {
    let mut outcomes: Vec<Option<Outcome>> = items.iter().map(|_| None).collect();
    let mut pending: Vec<Range<usize>> = Vec::new();
    pending.push(0..items.len());
    while let Some(range) = pending.pop() {
        let slice = &items[range.clone()];
        match handle_holding(ctx, slice, shutdown).await? {
            Ok(results) if results.len() == slice.len() => {
                for (i, outcome) in range.zip(results) {
                    outcomes[i] = Some(outcome);
                }
            }
            Ok(results) => {
                tracing::error!(
                    expected = slice.len(),
                    got = results.len(),
                    "the handler returned the wrong number of outcomes; dead-lettering the batch"
                );
                for i in range {
                    outcomes[i] = Some(Outcome::DeadLetter(Reason::new(
                        "handler returned no outcome for it",
                    )));
                }
            }
            Err(failure) if range.len() > 1 => {
                tracing::debug!(
                    batch.size = range.len(),
                    reason = failure.reason.label,
                    "batch failed; splitting it to find the item at fault"
                );
                let middle = range.start + range.len() / 2;
                pending.push(middle..range.end);
                pending.push(range.start..middle);
            }
            Err(failure) => {
                outcomes[range.start] = Some(match failure.kind {
                    FailureKind::Permanent => Outcome::DeadLetter(failure.reason),
                    FailureKind::Transient | FailureKind::Unavailable => {
                        Outcome::Retry(failure.reason)
                    }
                });
            }
        }
    }
    Some(
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Outcome::DeadLetter(Reason::new("no outcome"))))
            .collect(),
    )
}

/// Runs the handler on `items`; while it reports an unavailable
/// dependency, keeps the deliveries (unacked: nothing is lost, nothing is
/// retried through the queues) and tries again with exponential backoff.
/// `None` when shutdown comes first.
async fn handle_holding<H: Handler>(
    ctx: &Ctx<H>,
    items: &[Item<H::Event>],
    shutdown: &CancellationToken,
) -> Option<Result<Vec<Outcome>, Failure>> {
    let mut pause = BACKOFF_MIN;
    let mut held = false;
    let result = loop {
        let result = ctx.handler.handle(items).await;
        match result {
            Err(failure) if failure.kind == FailureKind::Unavailable => {
                ctx.metrics.unavailable();
                if !held {
                    held = true;
                    ctx.metrics.held(1);
                    log_unavailable(&failure);
                }
                tokio::select! {
                    () = shutdown.cancelled() => break None,
                    () = tokio::time::sleep(pause) => {}
                }
                pause = (pause * 2).min(ctx.settings.backoff_max());
            }
            other => break Some(other),
        }
    };
    if held {
        ctx.metrics.held(-1);
        if result.is_some() {
            tracing::info!(batch.size = items.len(), "dependency back; batch released");
        }
    }
    result
}

fn log_unavailable(failure: &Failure) {
    match &failure.reason.source {
        Some(source) => tracing::warn!(
            reason = failure.reason.label,
            error = %Chain(source.as_ref()),
            "dependency unavailable; holding the batch and backing off"
        ),
        None => tracing::warn!(
            reason = failure.reason.label,
            "dependency unavailable; holding the batch and backing off"
        ),
    }
}
