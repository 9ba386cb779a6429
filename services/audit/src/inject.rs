//! Fault injection on the broker for the fault scenarios (`lonjak-inject`):
//! poison messages straight into a work queue, duplicate deliveries of real
//! traffic, and removing the injected poison from the dead-letter queue
//! afterwards.
//!
//! Both publish through the bus crate's confirmed publisher, so every
//! injected message is on the queue when the command reports it.
//!
//! The duplicate tap consumes a work queue with lapin directly, not through
//! `crates/worker`, on purpose: it is not a service but a competing
//! consumer that must see raw deliveries (undecoded, whatever their schema)
//! and publish each one twice before acking it, which the runtime's
//! decode-handle-settle loop exists to prevent.

use std::time::Duration;

use anyhow::Context as _;
use futures::StreamExt as _;
use lonjak_bus::lapin::options::{
    BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, QueueDeclareOptions,
};
use lonjak_bus::lapin::types::{AMQPValue, FieldTable, LongString};
use lonjak_bus::lapin::{BasicProperties, Connection, ConnectionProperties};
use lonjak_bus::{Bus, Envelope, WorkQueue, headers};

/// The poison kinds, each with the body that carries it.
pub fn poison_bodies(routing_key: &str) -> anyhow::Result<Vec<(&'static str, Vec<u8>)>> {
    let mut unknown_version = Envelope::new(
        routing_key,
        "poison",
        serde_json::json!({"registration_id": "0".repeat(32)}),
    );
    unknown_version.schema_version = 999;
    let missing_fields = Envelope::new(routing_key, "poison", serde_json::json!({"wave": 1}));
    Ok(vec![
        (
            "invalid-json",
            b"{\"schema_version\": 1, \"event_id\": ".to_vec(),
        ),
        (
            "unknown-schema-version",
            serde_json::to_vec(&unknown_version).context("encoding")?,
        ),
        (
            "missing-fields",
            serde_json::to_vec(&missing_fields).context("encoding")?,
        ),
    ])
}

/// Publishes one message of each poison kind to `queue`'s work queue and
/// returns `(kind, message id)` for each.
pub async fn poison(bus: &Bus, queue: WorkQueue) -> anyhow::Result<Vec<(&'static str, String)>> {
    let routing_key = queue
        .routing_keys()
        .first()
        .copied()
        .unwrap_or("registration.submitted");
    let target = bus.topology().queue(queue);
    let mut out = Vec::new();
    for (kind, body) in poison_bodies(routing_key)? {
        let id = uuid::Uuid::now_v7().to_string();
        let mut table = FieldTable::default();
        table.insert(
            headers::ROUTING_KEY.into(),
            AMQPValue::LongString(LongString::from(routing_key)),
        );
        let properties = BasicProperties::default()
            .with_message_id(id.as_str().into())
            .with_content_type("application/json".into())
            .with_headers(table);
        bus.publisher()
            .publish_raw("", &target, &body, properties)
            .await
            .with_context(|| format!("publishing the {kind} poison message"))?;
        out.push((kind, id));
    }
    Ok(out)
}

/// Marks the copies this command publishes, so it never copies a copy.
const COPY_HEADER: &str = "x-lonjak-copy";

/// What a duplication run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Duplicated {
    /// Messages tapped and re-published at once (while the original is in flight).
    pub at_once: usize,
    /// The same messages re-published again at the end (after the originals
    /// were most likely processed).
    pub late: usize,
}

/// Competes with the worker on `queue` for `window`: each message it takes
/// goes back into the queue twice (both confirmed) before the original is
/// acked, so the worker sees it twice, possibly at once. At the end of the
/// window every taken message is published once more (by then most likely
/// processed). It duplicates at most `cap` messages, then stops.
///
/// It reads the work queue itself, not the events exchange: the gateway
/// publishes submissions straight into the intake queue.
pub async fn duplicate(
    bus: &Bus,
    amqp_url: &str,
    queue: WorkQueue,
    window: Duration,
    cap: usize,
) -> anyhow::Result<Duplicated> {
    let conn = Connection::connect(amqp_url, ConnectionProperties::default())
        .await
        .context("connecting the tap")?;
    let channel = conn
        .create_channel()
        .await
        .context("opening the tap channel")?;
    // A small prefetch: the worker keeps most of the traffic.
    channel
        .basic_qos(16, BasicQosOptions::default())
        .await
        .context("basic.qos")?;
    let target = bus.topology().queue(queue);
    let mut consumer = channel
        .basic_consume(
            target.as_str().into(),
            "lonjak-inject-tap".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .context("consuming the work queue")?;
    let publisher = bus.publisher();
    let mut kept = Vec::new();
    let mut at_once = 0;
    let deadline = tokio::time::Instant::now() + window;
    // Stops after `cap` originals: the copies come back to this consumer too.
    while at_once < cap {
        let Ok(Some(next)) = tokio::time::timeout_at(deadline, consumer.next()).await else {
            break;
        };
        let delivery = next.context("reading the work queue")?;
        let copy = delivery
            .properties
            .headers()
            .as_ref()
            .is_some_and(|h| h.inner().contains_key(COPY_HEADER));
        // A copy goes back once, unchanged: duplicating copies would grow
        // the queue without bound.
        let (copies, properties) = if copy {
            (1, delivery.properties.clone())
        } else {
            let mut headers = delivery.properties.headers().clone().unwrap_or_default();
            headers.insert(COPY_HEADER.into(), AMQPValue::Boolean(true));
            (2, delivery.properties.clone().with_headers(headers))
        };
        for _ in 0..copies {
            publisher
                .publish_raw("", &target, &delivery.data, properties.clone())
                .await
                .context("publishing a duplicate")?;
        }
        // Acked only once the copies are confirmed: nothing is lost if this
        // command dies half-way (the original is redelivered).
        delivery
            .acker
            .ack(BasicAckOptions::default())
            .await
            .context("acking the original")?;
        if !copy {
            at_once += 1;
            kept.push((delivery.data, properties));
        }
    }
    let _ = conn.close(200, "tap done".into()).await;
    for (body, properties) in &kept {
        publisher
            .publish_raw("", &target, body, properties.clone())
            .await
            .context("publishing a late duplicate")?;
    }
    Ok(Duplicated {
        at_once,
        late: kept.len(),
    })
}

/// Removes the dead letters of `queue` whose message ids are in `ids` (the
/// poison a scenario injected), leaving every other letter where it was.
/// Looks at no more letters than the dead-letter queue held at the start.
/// Returns how many were removed.
pub async fn remove_dead_letters(
    bus: &Bus,
    amqp_url: &str,
    queue: WorkQueue,
    ids: &[String],
) -> anyhow::Result<usize> {
    let conn = Connection::connect(amqp_url, ConnectionProperties::default())
        .await
        .context("connecting")?;
    let channel = conn.create_channel().await.context("opening a channel")?;
    let dlq = bus.topology().dlq(queue);
    let depth = channel
        .queue_declare(
            dlq.as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .context("reading the dead-letter queue's depth")?
        .message_count();
    let mut removed = 0;
    if depth > 0 {
        // Every letter is held unacked until the end, so none is seen twice.
        channel
            .basic_qos(
                u16::try_from(depth).unwrap_or(u16::MAX),
                BasicQosOptions::default(),
            )
            .await
            .context("basic.qos")?;
        let mut consumer = channel
            .basic_consume(
                dlq.as_str().into(),
                "lonjak-inject-remove".into(),
                BasicConsumeOptions::default(),
                FieldTable::default(),
            )
            .await
            .context("consuming the dead-letter queue")?;
        for _ in 0..depth {
            let Ok(Some(next)) =
                tokio::time::timeout(Duration::from_secs(5), consumer.next()).await
            else {
                break;
            };
            let delivery = next.context("reading a dead letter")?;
            let id = delivery
                .properties
                .message_id()
                .as_ref()
                .map(|id| id.as_str().to_owned());
            if id.is_some_and(|id| ids.contains(&id)) {
                delivery
                    .acker
                    .ack(BasicAckOptions::default())
                    .await
                    .context("removing a dead letter")?;
                removed += 1;
            } else {
                delivery
                    .acker
                    .nack(BasicNackOptions {
                        multiple: false,
                        requeue: true,
                    })
                    .await
                    .context("leaving a dead letter")?;
            }
        }
    }
    let _ = conn.close(200, "done".into()).await;
    Ok(removed)
}
