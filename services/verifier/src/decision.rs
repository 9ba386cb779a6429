//! From a decision to what is stored and announced: the transition, the
//! downstream event, and the labels the runtime reports.

use lonjak_bus::Envelope;
use lonjak_domain::Registration;
use lonjak_domain::events::{
    Event, RegistrationRejected, RegistrationSubmitted, RegistrationVerified,
};
use lonjak_domain::status::{RegistrationStatus, Transition};
use lonjak_domain::verification::Decision;
use lonjak_store::OutboxEvent;
use lonjak_worker::{Item, Outcome, Reason};
use time::OffsetDateTime;

use crate::registry::{Registry, RegistryError};

/// Label of a delivery whose registration was already recorded.
pub const DUPLICATE: &str = "duplicate";

/// The transition, DTKS programme, outbox event and metric label of a
/// decided submission.
pub fn decided_event(
    item: &Item<RegistrationSubmitted>,
    registration: &Registration,
    decision: &Decision,
) -> Result<(Transition, Option<String>, OutboxEvent, &'static str), Reason> {
    let submitted = &item.envelope.payload;
    let correlation = item.envelope.correlation_id.clone();
    let now = OffsetDateTime::now_utc();
    let (to, reason, programme, event, label) = match decision {
        Decision::Verified {
            social_aid_programme,
        } => {
            let payload = RegistrationVerified {
                registration_id: submitted.registration_id,
                wave: submitted.wave,
                verified_at: now,
                employment_status: registration.employment_status(),
                social_aid_programme: social_aid_programme.clone(),
            };
            (
                RegistrationStatus::Verified,
                None,
                social_aid_programme.clone(),
                outbox(Envelope::event(correlation, payload))?,
                "verified",
            )
        }
        Decision::Rejected(reason) => {
            let payload = RegistrationRejected {
                registration_id: submitted.registration_id,
                wave: submitted.wave,
                rejected_at: now,
                reason: *reason,
            };
            (
                RegistrationStatus::Rejected,
                Some(*reason),
                None,
                outbox(Envelope::event(correlation, payload))?,
                "rejected",
            )
        }
    };
    let transition = RegistrationStatus::Verifying
        .transition(to, reason)
        .map_err(|e| Reason::with_source("invalid state transition", e))?;
    Ok((transition, programme, event, label))
}

/// The outbox row of an event, as it goes on the wire.
fn outbox<E: Event>(envelope: Envelope<E>) -> Result<OutboxEvent, Reason> {
    let event_id = envelope.event_id;
    let envelope =
        serde_json::to_value(&envelope).map_err(|e| Reason::with_source("event encoding", e))?;
    Ok(OutboxEvent {
        event_id,
        routing_key: E::ROUTING_KEY.to_owned(),
        envelope,
    })
}

/// A registry that failed for this registration: retried later when the
/// failure is transient (down, slow, limiting us), dead-lettered otherwise.
pub fn registry_failure(error: RegistryError) -> Outcome {
    let transient = error.is_transient();
    let label = match (error.registry(), transient) {
        (Registry::Dukcapil, true) => "dukcapil unavailable",
        (Registry::Dapodik, true) => "dapodik unavailable",
        (Registry::Dtks, true) => "dtks unavailable",
        (Registry::Dukcapil, false) => "dukcapil refused the request",
        (Registry::Dapodik, false) => "dapodik refused the request",
        (Registry::Dtks, false) => "dtks refused the request",
    };
    let reason = Reason::with_source(label, error);
    if transient {
        Outcome::Retry(reason)
    } else {
        Outcome::DeadLetter(reason)
    }
}
