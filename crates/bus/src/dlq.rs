//! Operator tools for dead-letter queues: look without losing, replay.

use std::time::Duration;

use futures::StreamExt;
use lapin::{
    Channel,
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicGetOptions, BasicNackOptions, BasicQosOptions,
        QueueDeclareOptions,
    },
    types::FieldTable,
};

use crate::{
    Bus, BusError, WorkQueue,
    headers::{self, ATTEMPT, REASON},
    link::close_channel,
    timed,
};

/// How long a listing waits for messages beyond those the broker counted.
const SETTLE: Duration = Duration::from_millis(300);

/// A summary of one dead letter (no body: it holds personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The event id.
    pub message_id: Option<String>,
    /// Our reason header, or the broker's (`delivery_limit`, `expired`, …).
    pub reason: Option<String>,
    /// Attempts made before it was dead-lettered.
    pub attempts: u32,
    /// The routing key the event was first published with.
    pub routing_key: String,
    /// Body size in bytes.
    pub body_len: usize,
}

/// Up to `limit` dead letters of `queue`, oldest first. The messages stay in
/// the dead-letter queue: they are fetched unacknowledged and requeued.
pub async fn list(bus: &Bus, queue: WorkQueue, limit: usize) -> Result<Vec<DeadLetter>, BusError> {
    let channel = bus.open_channel().await?;
    let result = collect(bus, &channel, queue, limit).await;
    // Closing the channel requeues anything still unacked, even if the nack
    // in `collect` did not get through.
    close_channel(&channel, bus.config().connect_timeout).await;
    result
}

async fn collect(
    bus: &Bus,
    channel: &Channel,
    queue: WorkQueue,
    limit: usize,
) -> Result<Vec<DeadLetter>, BusError> {
    let within = bus.config().connect_timeout;
    let name = bus.topology().dlq(queue);
    // A quorum queue hands a channel only one unsettled basic.get at a time,
    // so look through a short-lived consumer instead: with a prefetch of
    // `limit` it receives up to that many messages and holds them unacked.
    let ready = timed(
        "queue.declare",
        within,
        channel.queue_declare(
            name.as_str().into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        ),
    )
    .await?
    .message_count();
    let ready = usize::try_from(ready).unwrap_or(usize::MAX);
    if limit == 0 {
        return Ok(Vec::new());
    }
    timed(
        "basic.qos",
        within,
        channel.basic_qos(
            u16::try_from(limit).unwrap_or(u16::MAX),
            BasicQosOptions { global: false },
        ),
    )
    .await?;
    let mut consumer = timed(
        "basic.consume",
        within,
        channel.basic_consume(
            name.as_str().into(),
            "lonjak-dlq-list".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        ),
    )
    .await?;
    let mut letters = Vec::new();
    let mut last_tag = None;
    while letters.len() < limit {
        // Wait patiently for messages the broker counted; past them, only
        // briefly for messages still being requeued (a previous listing's
        // nack reaches a quorum queue's count a moment later).
        let wait = if letters.len() < ready {
            within
        } else {
            SETTLE
        };
        let Ok(next) = tokio::time::timeout(wait, consumer.next()).await else {
            break;
        };
        let Some(next) = next else { break };
        let delivery = next.map_err(|source| BusError::Broker {
            operation: "basic.consume",
            source,
        })?;
        letters.push(summarise(&delivery));
        last_tag = Some(delivery.delivery_tag);
    }
    if let Some(tag) = last_tag {
        timed(
            "basic.nack",
            within,
            channel.basic_nack(
                tag,
                BasicNackOptions {
                    multiple: true,
                    requeue: true,
                },
            ),
        )
        .await?;
    }
    Ok(letters)
}

fn summarise(delivery: &lapin::message::Delivery) -> DeadLetter {
    let h = delivery.properties.headers().as_ref();
    DeadLetter {
        message_id: delivery
            .properties
            .message_id()
            .as_ref()
            .map(|id| id.as_str().to_owned()),
        reason: headers::get_str(h, REASON).or_else(|| headers::get_str(h, "x-first-death-reason")),
        attempts: headers::get_u32(h, ATTEMPT).unwrap_or(1),
        routing_key: headers::get_str(h, headers::ROUTING_KEY)
            .unwrap_or_else(|| delivery.routing_key.as_str().to_owned()),
        body_len: delivery.data.len(),
    }
}

/// What one replay did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replayed {
    /// Dead letters moved back to the work queue.
    pub moved: usize,
    /// Dead letters the queue held when the replay started: the most it moves.
    pub seen: usize,
}

/// Move up to `max` dead letters back to their work queue with the attempt
/// count reset. Each is acked only after its re-publish was confirmed, so a
/// failure part-way loses nothing.
///
/// The replay never moves more than the queue held when it started: a
/// message whose cause is still there is dead-lettered again at once, lands
/// behind the ones being replayed, and would otherwise be replayed forever.
pub async fn replay(bus: &Bus, queue: WorkQueue, max: usize) -> Result<Replayed, BusError> {
    replay_where(bus, queue, max, |_| true).await
}

/// Like [`replay`], for the dead letters whose body `wanted` picks: every
/// letter the queue held at the start is taken once; the picked go back to
/// the work queue (at most `max`), the others to the dead-letter queue's
/// tail as they were (the order of dead letters carries no meaning).
pub(crate) async fn replay_where(
    bus: &Bus,
    queue: WorkQueue,
    max: usize,
    wanted: impl Fn(&[u8]) -> bool,
) -> Result<Replayed, BusError> {
    let channel = bus.open_channel().await?;
    let result = move_back(bus, &channel, queue, max, wanted).await;
    close_channel(&channel, bus.config().connect_timeout).await;
    result
}

async fn move_back(
    bus: &Bus,
    channel: &Channel,
    queue: WorkQueue,
    max: usize,
    wanted: impl Fn(&[u8]) -> bool,
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
        if moved >= max {
            break;
        }
        let got = timed(
            "basic.get",
            within,
            channel.basic_get(dlq.as_str().into(), BasicGetOptions { no_ack: false }),
        )
        .await?;
        let Some(message) = got else { break };
        let delivery = message.delivery;
        let back = wanted(&delivery.data);
        let (to, properties) = if back {
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
        if back {
            moved += 1;
        }
    }
    Ok(Replayed { moved, seen })
}
