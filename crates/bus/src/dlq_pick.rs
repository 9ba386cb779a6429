//! Replaying one registration's dead letters: what an operator does for a
//! support agent's replay request. Every message the dead-letter queue held
//! at the start is taken once; those about the registration go back to
//! their work queue with the attempt count reset, the others go back to the
//! dead-letter queue as they were (its tail: the order of dead letters
//! carries no meaning). Each is acked only after its re-publish was
//! confirmed, so a failure part-way loses nothing.

use lapin::Channel;
use lapin::options::{BasicAckOptions, BasicGetOptions, BasicNackOptions, QueueDeclareOptions};
use lapin::types::FieldTable;

use crate::dlq::Replayed;
use crate::link::close_channel;
use crate::{Bus, BusError, WorkQueue, headers, timed};

/// Moves the dead letters of `queue` whose event is about registration
/// `registration_id` (the envelope's `payload.registration_id`, which
/// stays in the clear) back to the work queue. `moved` counts those.
pub async fn replay_registration(
    bus: &Bus,
    queue: WorkQueue,
    registration_id: &str,
) -> Result<Replayed, BusError> {
    let channel = bus.open_channel().await?;
    let result = pick(bus, &channel, queue, registration_id).await;
    close_channel(&channel, bus.config().connect_timeout).await;
    result
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

async fn pick(
    bus: &Bus,
    channel: &Channel,
    queue: WorkQueue,
    registration_id: &str,
) -> Result<Replayed, BusError> {
    let within = bus.config().connect_timeout;
    let dlq = bus.topology().dlq(queue);
    let target = bus.topology().queue(queue);
    let seen = timed(
        "queue.declare",
        within,
        channel.queue_declare(
            dlq.as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        ),
    )
    .await?
    .message_count();
    let seen = usize::try_from(seen).unwrap_or(usize::MAX);
    let publisher = bus.publisher();
    let mut moved = 0;
    for _ in 0..seen {
        let got = timed(
            "basic.get",
            within,
            channel.basic_get(dlq.as_str().into(), BasicGetOptions { no_ack: false }),
        )
        .await?;
        let Some(message) = got else { break };
        let delivery = message.delivery;
        let (to, properties) = if is_about(&delivery.data, registration_id) {
            let fresh = delivery
                .properties
                .headers()
                .as_ref()
                .map(headers::strip_for_replay)
                .unwrap_or_default();
            (&target, delivery.properties.clone().with_headers(fresh))
        } else {
            (&dlq, delivery.properties.clone())
        };
        if let Err(error) = publisher
            .publish_raw("", to, &delivery.data, properties)
            .await
        {
            let _ = timed(
                "basic.nack",
                within,
                delivery.acker.nack(BasicNackOptions {
                    multiple: false,
                    requeue: true,
                }),
            )
            .await;
            return Err(error.into());
        }
        timed(
            "basic.ack",
            within,
            delivery.acker.ack(BasicAckOptions::default()),
        )
        .await?;
        if std::ptr::eq(to, &target) {
            moved += 1;
        }
    }
    Ok(Replayed { moved, seen })
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
