//! One delivery and what a handler can do with it: ack, retry later,
//! dead-letter, requeue, or reset its channel.
//!
//! Settling takes `&self`, so a caller whose retry or dead-letter failed can
//! still requeue the delivery or reset its channel: every delivery must end
//! in one of those, or it holds a prefetch slot until the broker's consumer
//! timeout. A second settle of one delivery answers [`BusError::Stale`].

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use crate::{
    Bus, BusError, Envelope, TraceContext, WorkQueue,
    headers::{self, ATTEMPT, REASON},
    settle::ChannelSettler,
};

/// A message taken from a work queue, to be acked, retried or dead-lettered.
pub struct Delivery {
    inner: lapin::message::Delivery,
    bus: Bus,
    queue: WorkQueue,
    settler: Arc<ChannelSettler>,
}

/// What [`Delivery::retry_later`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryOutcome {
    /// Parked in a retry queue; comes back after `delay`.
    Scheduled {
        /// The wait before the next attempt.
        delay: Duration,
    },
    /// Attempts exhausted: moved to the dead-letter queue.
    DeadLettered,
}

impl Delivery {
    pub(crate) fn new(
        inner: lapin::message::Delivery,
        bus: Bus,
        queue: WorkQueue,
        settler: Arc<ChannelSettler>,
    ) -> Self {
        settler.received(inner.delivery_tag);
        Self {
            inner,
            bus,
            queue,
            settler,
        }
    }

    /// The work queue this delivery came from.
    #[must_use]
    pub fn queue(&self) -> WorkQueue {
        self.queue
    }

    /// Decode the JSON envelope.
    pub fn envelope<T: DeserializeOwned>(&self) -> Result<Envelope<T>, serde_json::Error> {
        serde_json::from_slice(&self.inner.data)
    }

    /// The raw body.
    #[must_use]
    pub fn body(&self) -> &[u8] {
        &self.inner.data
    }

    /// Attempt number: 1 for the first, incremented by each retry.
    #[must_use]
    pub fn attempt(&self) -> u32 {
        headers::get_u32(self.inner.properties.headers().as_ref(), ATTEMPT)
            .unwrap_or(1)
            .max(1)
    }

    /// Whether the broker delivered this message before (a consumer died or
    /// its channel closed with it unacked): handlers must be idempotent.
    #[must_use]
    pub fn redelivered(&self) -> bool {
        self.inner.redelivered
    }

    /// The W3C trace context, if the publisher sent one.
    #[must_use]
    pub fn trace(&self) -> Option<TraceContext> {
        TraceContext::from_headers(self.inner.properties.headers().as_ref())
    }

    /// The AMQP `message_id` (the envelope's event id).
    #[must_use]
    pub fn message_id(&self) -> Option<&str> {
        self.inner
            .properties
            .message_id()
            .as_ref()
            .map(|id| id.as_str())
    }

    /// The AMQP `correlation_id`.
    #[must_use]
    pub fn correlation_id(&self) -> Option<&str> {
        self.inner
            .properties
            .correlation_id()
            .as_ref()
            .map(|id| id.as_str())
    }

    /// The routing key the event was first published with.
    #[must_use]
    pub fn routing_key(&self) -> String {
        headers::get_str(
            self.inner.properties.headers().as_ref(),
            headers::ROUTING_KEY,
        )
        .unwrap_or_else(|| self.inner.routing_key.as_str().to_owned())
    }

    /// The underlying lapin delivery (properties, headers, delivery tag).
    #[must_use]
    pub fn raw(&self) -> &lapin::message::Delivery {
        &self.inner
    }

    /// Acknowledge: the broker forgets the message. Call only after the
    /// effect is committed and any downstream publish confirmed.
    pub async fn ack(&self) -> Result<(), BusError> {
        self.settler
            .ack(&self.inner.acker, self.inner.delivery_tag)
            .await
    }

    /// Acknowledge many deliveries at once: one `multiple` ack per channel
    /// where no unsettled delivery lies below, one ack each otherwise.
    /// Returns the number of frames sent.
    pub async fn ack_all(deliveries: &[&Delivery]) -> Result<usize, BusError> {
        let mut frames = 0;
        let mut rest: Vec<&Delivery> = deliveries.to_vec();
        while let Some(first) = rest.first() {
            let settler = Arc::clone(&first.settler);
            let (same, other): (Vec<&Delivery>, Vec<&Delivery>) = rest
                .into_iter()
                .partition(|d| Arc::ptr_eq(&d.settler, &settler));
            let ackers = same
                .iter()
                .map(|d| (d.inner.delivery_tag, d.inner.acker.clone()))
                .collect();
            frames += settler.ack_many(ackers).await?;
            rest = other;
        }
        Ok(frames)
    }

    /// Put the delivery back on its queue now (`basic.nack`, requeue). The
    /// broker counts it against the queue's delivery limit.
    pub async fn requeue(&self) -> Result<(), BusError> {
        self.settler
            .requeue(&self.inner.acker, self.inner.delivery_tag)
            .await
    }

    /// Close this delivery's channel: the broker requeues every delivery
    /// still unsettled on it, this one included. The last resort when
    /// neither an ack nor a requeue went through.
    pub async fn reset_channel(&self) {
        self.settler.reset().await;
    }

    /// Re-publish to the retry queue for this attempt's delay (attempt + 1,
    /// same body and properties), confirmed, then ack the original. When the
    /// attempts are exhausted, dead-letter instead. Should the ack fail after
    /// the confirmed re-publish, the message comes back twice: handlers are
    /// idempotent anyway. `reason` travels in a header: no personal data.
    pub async fn retry_later(&self, reason: &str) -> Result<RetryOutcome, BusError> {
        let attempt = self.attempt();
        let delays = self.bus.topology().retry_delays();
        let index = usize::try_from(attempt - 1).unwrap_or(usize::MAX);
        let Some(&delay) = delays.get(index) else {
            self.dead_letter(reason).await?;
            return Ok(RetryOutcome::DeadLettered);
        };
        let target = self.bus.topology().retry_queue(self.queue, delay);
        self.republish(&target, attempt.saturating_add(1), reason)
            .await?;
        self.ack().await?;
        Ok(RetryOutcome::Scheduled { delay })
    }

    /// Publish to the work queue's dead-letter queue (confirmed) with the
    /// reason and attempt in headers, then ack the original.
    pub async fn dead_letter(&self, reason: &str) -> Result<(), BusError> {
        let target = self.bus.topology().dlq(self.queue);
        self.republish(&target, self.attempt(), reason).await?;
        self.ack().await
    }

    async fn republish(&self, queue: &str, attempt: u32, reason: &str) -> Result<(), BusError> {
        let routing_key = self.routing_key();
        let properties = headers::with_headers(&self.inner.properties, |h| {
            h.insert(ATTEMPT.into(), i64::from(attempt).into());
            h.insert(REASON.into(), headers::long_string(reason));
            h.insert(
                headers::ROUTING_KEY.into(),
                headers::long_string(&routing_key),
            );
        });
        self.bus
            .publisher()
            .publish_raw("", queue, &self.inner.data, properties)
            .await?;
        Ok(())
    }
}

/// Shows ids and counters only: the body holds personal data.
impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("queue", &self.queue)
            .field("message_id", &self.message_id())
            .field("attempt", &self.attempt())
            .field("redelivered", &self.redelivered())
            .field("body_len", &self.inner.data.len())
            .finish_non_exhaustive()
    }
}
