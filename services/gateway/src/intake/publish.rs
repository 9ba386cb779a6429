//! Publishing an accepted registration: under an in-flight slot, with the
//! broker's confirm, and an honest answer for every way it can fail.

use std::time::Instant;

use lonjak_bus::{Envelope, PublishError, TraceContext, WorkQueue};
use lonjak_domain::events::RegistrationSubmitted;

use super::Refusal;
use crate::admission::{AdmissionState, refusal};
use crate::metrics::Outcome;
use crate::problem::Problem;
use crate::state::AppState;

/// Publishes and waits for the confirm. The in-flight slot is taken here,
/// after the body was read and parsed, and returned when the broker answers.
pub async fn publish(
    state: &AppState,
    admission: &AdmissionState,
    envelope: &Envelope<RegistrationSubmitted>,
    trace: &TraceContext,
) -> Result<(), Refusal> {
    let Some(bus) = state.bus.get() else {
        return Err((
            Outcome::broker_unavailable,
            // The next connection attempt is this far away.
            Problem::unavailable(
                "broker-unavailable",
                "The registration queue is not reachable yet; nothing was stored.",
                state.reconnect_delay.as_secs(),
            ),
        ));
    };
    let permit = admission
        .admission
        .acquire(|| admission.waits(state))
        .map_err(|refused| (refused.outcome, refusal(&refused)))?;
    state.metrics.inflight().inc();
    let started = Instant::now();
    let result = bus
        .publisher()
        .publish_to_queue(&intake_queue(bus), envelope, Some(trace))
        .await;
    state
        .metrics
        .observe_publish(started.elapsed().as_secs_f64());
    state.metrics.inflight().dec();
    drop(permit);
    result.map_err(|error| refusal_for(state, &error))
}

/// The one queue `registration.submitted` is routed to. The gateway
/// publishes straight to it through the default exchange: the topic
/// exchange's routing cost the broker about a third of its CPU per
/// registration (docs/benchmarks.md). `mandatory` still turns a missing
/// queue into an error. The test below fails if the topology ever routes
/// the event to a second queue.
fn intake_queue(bus: &lonjak_bus::Bus) -> String {
    bus.topology().queue(WorkQueue::Verifier)
}

/// Maps a failed publish to an honest answer: "nothing was stored" only
/// where that is known, "may have been received" where it is not.
fn refusal_for(state: &AppState, error: &PublishError) -> Refusal {
    let timeout_secs = state.publish_timeout.as_secs().max(1);
    if error.may_be_stored() {
        tracing::warn!(error = crate::problem::chain(error), "publish unconfirmed");
        return (
            Outcome::unconfirmed,
            Problem::unavailable(
                "unconfirmed",
                "The registration may have been received, but the queue did not confirm it. \
                 Resubmitting is safe: the same registration returns the same receipt.",
                timeout_secs,
            ),
        );
    }
    match error {
        // The queue is at its limit, or the broker's alarm is up until memory
        // frees: both ease as the backlog drains.
        PublishError::Nacked => (
            Outcome::queue_full,
            Problem::unavailable(
                "queue-full",
                "The registration queue is full; nothing was stored.",
                state.queue.seconds_until_room(),
            ),
        ),
        PublishError::Blocked => (
            Outcome::broker_blocked,
            Problem::unavailable(
                "broker-blocked",
                "The registration queue is paused by a resource alarm; nothing was stored.",
                state.queue.seconds_until_room(),
            ),
        ),
        PublishError::Encode(_) => (Outcome::internal, Problem::internal_logged(error)),
        other => {
            if matches!(other, PublishError::Unroutable) {
                tracing::error!("intake queue missing: registration.submitted is unroutable");
            } else {
                tracing::warn!(error = crate::problem::chain(other), "publish failed");
            }
            (
                Outcome::broker_unavailable,
                Problem::unavailable(
                    "broker-unavailable",
                    "The registration queue is not reachable; nothing was stored.",
                    timeout_secs,
                ),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use lonjak_bus::WorkQueue;
    use lonjak_domain::events::{Event, RegistrationSubmitted};

    const SUBMITTED: &str = RegistrationSubmitted::ROUTING_KEY;

    #[test]
    fn registration_submitted_is_routed_to_the_intake_queue_only() {
        let routed: Vec<WorkQueue> = WorkQueue::ALL
            .into_iter()
            .filter(|q| q.routing_keys().contains(&SUBMITTED))
            .collect();
        assert_eq!(routed, [WorkQueue::Verifier]);
    }
}
