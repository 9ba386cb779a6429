//! Replaying one registration's dead letters: what an operator does for a
//! support agent's replay request. Every message the dead-letter queue held
//! at the start is taken once; those about the registration go back to
//! their work queue with the attempt count reset, the others go back to the
//! dead-letter queue as they were (its tail: the order of dead letters
//! carries no meaning). Each is acked only after its re-publish was
//! confirmed, so a failure part-way loses nothing.

use crate::dlq::{Replayed, replay_where};
use crate::{Bus, BusError, WorkQueue};

/// Moves the dead letters of `queue` whose event is about registration
/// `registration_id` (the envelope's `payload.registration_id`, which
/// stays in the clear) back to the work queue. `moved` counts those.
pub async fn replay_registration(
    bus: &Bus,
    queue: WorkQueue,
    registration_id: &str,
) -> Result<Replayed, BusError> {
    replay_where(bus, queue, usize::MAX, |body| {
        is_about(body, registration_id)
    })
    .await
}

/// Whether a dead letter's body is an envelope about `registration_id`.
fn is_about(body: &[u8], registration_id: &str) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("payload")?
                .get("registration_id")?
                .as_str()
                .map(|id| id == registration_id)
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_letter_is_about_the_registration_its_payload_names() {
        let id = "0123456789abcdef0123456789abcdef";
        let about = format!(r#"{{"payload":{{"registration_id":"{id}","wave":1}}}}"#);
        assert!(is_about(about.as_bytes(), id));
        assert!(!is_about(about.as_bytes(), &id.replace('0', "1")));
        assert!(!is_about(br#"{"payload":{"wave":1}}"#, id));
        assert!(!is_about(b"not json", id));
    }
}
