//! The broker privacy check of a whole-pipeline run (`lonjak-tap`, used by
//! `scripts/check-log-privacy.sh`): a tap queue bound to the event exchange
//! (every routing key), to the dead-letter exchange (every work queue's
//! dead letters) and to the broker's firehose (`amq.rabbitmq.trace`, every
//! publish, the gateway's straight into the intake queue included, while
//! `rabbitmqctl trace_on` has it on) keeps a copy of each message the
//! pipeline publishes; after
//! the run, the tap and every queue of the topology (work, retry,
//! dead-letter) are read raw, bodies and headers, and searched for known
//! personal values.
//!
//! Like the fault tap (`inject.rs`), this talks to lapin directly: it reads
//! bytes as they lie on the broker, which a typed consumer would decode.

use anyhow::Context as _;
use lonjak_bus::Topology;
use lonjak_bus::WorkQueue;
use lonjak_bus::lapin::options::{
    BasicGetOptions, BasicNackOptions, QueueBindOptions, QueueDeclareOptions, QueueDeleteOptions,
};
use lonjak_bus::lapin::types::{AMQPValue, FieldTable};
use lonjak_bus::lapin::{Channel, Connection, ConnectionProperties};

/// Copies kept at most: a run that publishes more drops the oldest, which
/// the count in the report shows.
const TAP_MAX_LENGTH: i64 = 200_000;

/// The broker's trace exchange: a copy of every publish of the vhost
/// while tracing is on.
const FIREHOSE: &str = "amq.rabbitmq.trace";

/// The tap queue's name for `topology`.
pub fn tap_name(topology: &Topology) -> String {
    format!("{}privacy-tap", topology.prefix())
}

async fn channel(amqp_url: &str) -> anyhow::Result<(Connection, Channel)> {
    let conn = Connection::connect(amqp_url, ConnectionProperties::default())
        .await
        .context("connecting to the broker")?;
    let channel = conn.create_channel().await.context("opening a channel")?;
    Ok((conn, channel))
}

/// Declares the tap (durable, bounded) and binds it; returns its name.
pub async fn bind(topology: &Topology, amqp_url: &str) -> anyhow::Result<String> {
    let (conn, channel) = channel(amqp_url).await?;
    let tap = tap_name(topology);
    let mut args = FieldTable::default();
    args.insert(
        "x-max-length".into(),
        AMQPValue::LongLongInt(TAP_MAX_LENGTH),
    );
    channel
        .queue_declare(
            tap.as_str().into(),
            QueueDeclareOptions {
                durable: true,
                ..QueueDeclareOptions::default()
            },
            args,
        )
        .await
        .context("declaring the tap")?;
    let mut bindings = vec![
        (topology.exchange(), "#".to_owned()),
        (FIREHOSE.to_owned(), "publish.#".to_owned()),
    ];
    bindings.extend(WorkQueue::ALL.map(|q| (topology.dlx(), topology.queue(q))));
    for (exchange, key) in bindings {
        channel
            .queue_bind(
                tap.as_str().into(),
                exchange.as_str().into(),
                key.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .with_context(|| format!("binding the tap to {exchange} ({key})"))?;
    }
    let _ = conn.close(200, "bound".into()).await;
    Ok(tap)
}

/// What a search found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Search {
    /// Messages read (the tap's copies and what lay in the topology's queues).
    pub messages: usize,
    /// Values found, each once, with where: `(value index, queue)`.
    pub hits: Vec<(usize, String)>,
    /// Messages that are the gateway's `registration.submitted` (the tap
    /// must have seen them, or it proves nothing about them).
    pub submitted: usize,
}

/// Reads the tap (taking its copies) and every queue of the topology
/// (putting each message back) and searches each message's body and
/// headers for `values`. Deletes the tap afterwards.
pub async fn search(
    topology: &Topology,
    amqp_url: &str,
    values: &[String],
) -> anyhow::Result<Search> {
    let (conn, channel) = channel(amqp_url).await?;
    let tap = tap_name(topology);
    let mut found = Search::default();
    let mut queues = vec![(tap.clone(), true)];
    queues.extend(topology.all_queues().into_iter().map(|q| (q, false)));
    for (queue, take) in queues {
        let messages = read(&channel, &queue, take).await?;
        found.messages += messages.len();
        found.submitted += messages
            .iter()
            .filter(|m| m.contains(r#""event_type":"registration.submitted""#))
            .count();
        for (i, value) in values.iter().enumerate() {
            let already = found.hits.iter().any(|(j, _)| *j == i);
            if !already && messages.iter().any(|m| m.contains(value.as_str())) {
                found.hits.push((i, queue.clone()));
            }
        }
    }
    channel
        .queue_delete(tap.as_str().into(), QueueDeleteOptions::default())
        .await
        .context("deleting the tap")?;
    let _ = conn.close(200, "searched".into()).await;
    Ok(found)
}

/// Every message of `queue` as text (body, then headers). The pipeline's
/// own queues get theirs back (nack with requeue, once all are read, so
/// that no message is read twice); the tap's are taken.
async fn read(channel: &Channel, queue: &str, take: bool) -> anyhow::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut last_tag = None;
    while let Some(message) = channel
        .basic_get(queue.into(), BasicGetOptions { no_ack: take })
        .await
        .with_context(|| format!("reading {queue}"))?
    {
        let delivery = message.delivery;
        last_tag = Some(delivery.delivery_tag);
        out.push(format!(
            "{} {:?}",
            String::from_utf8_lossy(&delivery.data),
            delivery.properties.headers()
        ));
    }
    if let (false, Some(tag)) = (take, last_tag) {
        channel
            .basic_nack(
                tag,
                BasicNackOptions {
                    multiple: true,
                    requeue: true,
                },
            )
            .await
            .with_context(|| format!("putting {queue}'s messages back"))?;
    }
    Ok(out)
}
