//! Settling a processed batch. Every delivery ends in exactly one of: acked
//! (after its downstream events are confirmed), parked in a retry queue,
//! dead-lettered with its reason, requeued, or given back by a channel
//! reset. A settle that fails falls through that list, so no delivery keeps
//! its prefetch slot until the broker's consumer timeout.

use futures::future::join_all;
use lonjak_bus::{Delivery, RetryOutcome, TraceContext};
use lonjak_store::OutboxEvent;

use crate::publish::{Chain, publish_all};
use crate::worker::Ctx;
use crate::{Handler, Outcome, Reason};

/// Label of an item whose downstream events were not all confirmed.
const PUBLISH_FAILED: &str = "downstream publish failed";

pub(crate) async fn settle<H: Handler>(
    ctx: &Ctx<H>,
    deliveries: Vec<Delivery>,
    outcomes: Vec<Outcome>,
    subjects: Vec<Option<String>>,
) {
    let mut done: Vec<(usize, &'static str, Vec<OutboxEvent>)> = Vec::new();
    let mut parked: Vec<(usize, Reason, bool)> = Vec::new();
    for (i, outcome) in outcomes.into_iter().enumerate() {
        match outcome {
            Outcome::Done { label, events } => done.push((i, label, events)),
            Outcome::Retry(reason) => parked.push((i, reason, true)),
            Outcome::DeadLetter(reason) => parked.push((i, reason, false)),
        }
    }

    // Downstream events first: an item is acked only once all of its
    // events are confirmed.
    let traces: Vec<Option<TraceContext>> = deliveries
        .iter()
        .map(|d| d.trace().map(|t| t.child()))
        .collect();
    let to_publish: Vec<(&OutboxEvent, Option<TraceContext>)> = done
        .iter()
        .flat_map(|(i, _, events)| events.iter().map(|e| (e, traces[*i].clone())))
        .collect();
    let mut results = publish_all(&ctx.bus.publisher(), &to_publish)
        .await
        .into_iter();
    let mut confirmed = Vec::new();
    let mut acks: Vec<(usize, &'static str)> = Vec::new();
    for (i, label, events) in done {
        let mut failed = None;
        for _ in &events {
            match results.next() {
                Some(Ok(event_id)) => confirmed.push(event_id),
                Some(Err(error)) => failed = Some(error),
                None => {}
            }
        }
        match failed {
            None => acks.push((i, label)),
            Some(error) => {
                ctx.metrics.settle_failed("publish");
                parked.push((i, Reason::with_source(PUBLISH_FAILED, error), true));
            }
        }
    }
    // Best effort: an event confirmed but not marked is published again by
    // the relay later, and consumers de-duplicate it.
    if let Err(error) = ctx.store.mark_published(&confirmed).await {
        ctx.metrics.settle_failed("mark");
        tracing::warn!(error = %Chain(&error), "could not mark confirmed events; the relay will publish them again");
    }

    let ack_set: Vec<&Delivery> = acks.iter().map(|(i, _)| &deliveries[*i]).collect();
    ack_together(ctx, &ack_set, &acks).await;

    join_all(parked.into_iter().map(|(i, reason, retry)| {
        park(ctx, &deliveries[i], reason, retry, subjects[i].as_deref())
    }))
    .await;
}

/// Acks the done deliveries with as few frames as the channel allows. If the
/// ack does not go through, resets the channel: the broker redelivers them
/// and the handler finds them done.
async fn ack_together<H: Handler>(
    ctx: &Ctx<H>,
    deliveries: &[&Delivery],
    labels: &[(usize, &'static str)],
) {
    if deliveries.is_empty() {
        return;
    }
    match Delivery::ack_all(deliveries).await {
        Ok(_) => {
            for (_, label) in labels {
                ctx.metrics.settled(label, 1);
            }
        }
        Err(error) => {
            ctx.metrics.settle_failed("ack");
            tracing::warn!(error = %Chain(&error), batch.size = deliveries.len(), "ack failed; resetting the channel so the broker redelivers");
            for delivery in deliveries {
                delivery.reset_channel().await;
            }
        }
    }
}

/// Sends one delivery through a retry queue (`retry`) or to the dead-letter
/// queue, falling back to a requeue, then to a channel reset.
async fn park<H: Handler>(
    ctx: &Ctx<H>,
    delivery: &Delivery,
    reason: Reason,
    retry: bool,
    subject: Option<&str>,
) {
    log_parked(&reason, retry, delivery.attempt(), subject);
    let (result, step) = if retry {
        let result = delivery.retry_later(reason.label).await.map(|outcome| {
            if outcome == RetryOutcome::DeadLettered {
                "dead_lettered"
            } else {
                "retried"
            }
        });
        (result, "retry")
    } else {
        let result = delivery
            .dead_letter(reason.label)
            .await
            .map(|()| "dead_lettered");
        (result, "dead_letter")
    };
    match result {
        Ok(outcome) => ctx.metrics.settled(outcome, 1),
        Err(error) => {
            ctx.metrics.settle_failed(step);
            tracing::warn!(error = %Chain(&error), step, "could not park the delivery; requeueing it");
            if delivery.requeue().await.is_ok() {
                ctx.metrics.settled("requeued", 1);
            } else {
                ctx.metrics.settle_failed("requeue");
                delivery.reset_channel().await;
            }
        }
    }
}

fn log_parked(reason: &Reason, retry: bool, attempt: u32, subject: Option<&str>) {
    let what = if retry {
        "retrying later"
    } else {
        "dead-lettering"
    };
    let subject = subject.unwrap_or("-");
    match &reason.source {
        Some(source) => tracing::warn!(
            registration.id = subject,
            reason = reason.label,
            attempt,
            error = %Chain(source.as_ref()),
            "{what}"
        ),
        None => tracing::warn!(
            registration.id = subject,
            reason = reason.label,
            attempt,
            "{what}"
        ),
    }
}
