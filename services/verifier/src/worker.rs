//! The consume loop: up to `concurrency` deliveries in flight, each settled
//! (ack, retry later or dead-letter) only once its verdict is final; on
//! shutdown it stops taking deliveries and finishes those in hand.

use std::sync::Arc;
use std::time::Duration;

use lonjak_bus::{Consumer, Delivery, RetryOutcome};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::handler::{Handler, Verdict};
use crate::metrics::Metrics;

/// Runs until `shutdown` fires or the bus closes, then waits up to `grace`
/// for deliveries in hand. Those still unfinished are abandoned unacked: the
/// broker redelivers them, and the handler is idempotent.
pub async fn run(
    mut consumer: Consumer,
    handler: Handler,
    metrics: Metrics,
    concurrency: usize,
    shutdown: CancellationToken,
    grace: Duration,
) {
    let slots = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut tasks = JoinSet::new();
    loop {
        // Take a slot before a delivery, so no delivery waits unprocessed in
        // this process while another worker could have it.
        let slot = tokio::select! {
            () = shutdown.cancelled() => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let next = tokio::select! {
            () = shutdown.cancelled() => break,
            next = consumer.next() => next,
        };
        match next {
            None => break,
            Some(Err(error)) => {
                // In-hand deliveries of the lost channel will be redelivered.
                tracing::warn!(%error, "consumer lost its subscription; resubscribing");
            }
            Some(Ok(delivery)) => {
                let handler = handler.clone();
                let metrics = metrics.clone();
                let span = tracing::info_span!(
                    "delivery",
                    registration.id = tracing::field::Empty,
                    attempt = delivery.attempt(),
                );
                tasks.spawn(
                    async move {
                        let verdict = handler.process(&delivery).await;
                        settle(delivery, verdict, &metrics).await;
                        drop(slot);
                    }
                    .instrument(span),
                );
            }
        }
        while tasks.try_join_next().is_some() {}
    }
    tracing::info!(
        in_flight = tasks.len(),
        "stopped taking deliveries; finishing those in hand"
    );
    let drained =
        tokio::time::timeout(grace, async { while tasks.join_next().await.is_some() {} }).await;
    if drained.is_err() {
        tracing::warn!(
            abandoned = tasks.len(),
            "shutdown grace over; unfinished deliveries go back to the queue"
        );
        // Aborting may cut a store transaction short; that is safe only
        // because the process (and its pool) ends next: PostgreSQL rolls back
        // the open transaction of a closed connection.
        tasks.shutdown().await;
    }
    consumer.cancel().await;
}

/// Applies the verdict to the delivery. A failure to settle leaves the
/// delivery unacked: it is redelivered when the channel closes.
async fn settle(delivery: Delivery, verdict: Verdict, metrics: &Metrics) {
    let result = match verdict {
        Verdict::Ack(outcome) => {
            metrics.processed(outcome.label());
            tracing::info!(outcome = outcome.label(), "registration processed");
            delivery.ack().await
        }
        Verdict::RetryLater(reason) => match delivery.retry_later(&reason).await {
            Ok(RetryOutcome::Scheduled { delay }) => {
                metrics.retries.inc();
                metrics.processed("retried");
                tracing::info!(%reason, delay_ms = delay.as_millis() as u64, "registration retried later");
                Ok(())
            }
            Ok(_) => {
                metrics.dead_letters.inc();
                metrics.processed("dead_lettered");
                tracing::warn!(%reason, "retries exhausted; registration dead-lettered");
                Ok(())
            }
            Err(error) => Err(error),
        },
        Verdict::DeadLetter(reason) => {
            metrics.dead_letters.inc();
            metrics.processed("dead_lettered");
            tracing::warn!(%reason, "registration dead-lettered");
            delivery.dead_letter(&reason).await
        }
    };
    if let Err(error) = result {
        tracing::warn!(%error, "could not settle delivery; the broker will redeliver it");
    }
}
