//! Consuming a work queue: manual acks, explicit prefetch, re-subscription
//! after reconnects.

use futures::StreamExt;
use lapin::{
    Channel,
    options::{BasicConsumeOptions, BasicQosOptions},
    types::FieldTable,
};
use tokio::sync::watch;

use std::sync::Arc;

use crate::{
    Bus, BusError, Delivery, WorkQueue, link::close_channel, settle::ChannelSettler, timed,
};

/// Deliveries from one work queue. Call [`Consumer::next`] in the service
/// loop; after a broker restart it re-subscribes by itself.
pub struct Consumer {
    bus: Bus,
    queue: WorkQueue,
    prefetch: u16,
    tag: String,
    generation: watch::Receiver<u64>,
    active: Option<Active>,
}

struct Active {
    channel: Channel,
    stream: lapin::Consumer,
    settler: Arc<ChannelSettler>,
}

impl Consumer {
    pub(crate) async fn subscribe(
        bus: Bus,
        queue: WorkQueue,
        prefetch: u16,
        tag: &str,
    ) -> Result<Self, BusError> {
        let generation = bus.shared.subscribe_generation();
        let mut consumer = Self {
            bus,
            queue,
            prefetch,
            tag: tag.to_owned(),
            generation,
            active: None,
        };
        consumer.active = Some(consumer.open().await?);
        Ok(consumer)
    }

    /// The work queue this consumer reads.
    #[must_use]
    pub fn queue(&self) -> WorkQueue {
        self.queue
    }

    /// The next delivery. `Some(Err(_))` reports a lost subscription (the
    /// next call waits for the reconnection and re-subscribes); deliveries
    /// in hand at that moment can no longer be acked and will be redelivered.
    /// `None` once the bus is closed. Cancel-safe: it can sit in a
    /// `select!` beside a shutdown signal without losing deliveries.
    pub async fn next(&mut self) -> Option<Result<Delivery, BusError>> {
        loop {
            if self.bus.shared.is_closed() {
                self.active = None;
                return None;
            }
            let Some(active) = self.active.as_mut() else {
                match self.open().await {
                    Ok(active) => self.active = Some(active),
                    Err(error) => {
                        tracing::debug!(error = %error, "re-subscription failed; waiting");
                        self.wait_for_reconnect().await;
                    }
                }
                continue;
            };
            tokio::select! {
                next = active.stream.next() => match next {
                    Some(Ok(delivery)) => {
                        let settler = Arc::clone(&active.settler);
                        return Some(Ok(Delivery::new(delivery, self.bus.clone(), self.queue, settler)));
                    }
                    Some(Err(source)) => {
                        self.active = None;
                        self.bus.shared.wake();
                        return Some(Err(BusError::Broker { operation: "basic.consume", source }));
                    }
                    // Cancelled by the broker (queue deleted, node shutdown):
                    // subscribe again once that is possible.
                    None => {
                        self.active = None;
                        self.bus.shared.wake();
                        return Some(Err(BusError::NotConnected));
                    }
                },
                changed = self.generation.changed() => {
                    // A new connection replaced ours; the old channel is gone.
                    if changed.is_ok() {
                        self.active = None;
                    }
                }
            }
        }
    }

    /// Stop consuming: unacked deliveries go back to the queue.
    pub async fn cancel(mut self) {
        if let Some(active) = self.active.take() {
            close_channel(&active.channel, self.bus.shared.config.connect_timeout).await;
        }
    }

    async fn open(&mut self) -> Result<Active, BusError> {
        let channel = self.bus.open_channel().await?;
        // Mark the current generation as seen: this subscription belongs to it.
        self.generation.borrow_and_update();
        let within = self.bus.shared.config.connect_timeout;
        timed(
            "basic.qos",
            within,
            channel.basic_qos(self.prefetch, BasicQosOptions { global: false }),
        )
        .await?;
        let stream = timed(
            "basic.consume",
            within,
            channel.basic_consume(
                self.bus.topology().queue(self.queue).into(),
                self.tag.as_str().into(),
                // Manual acks (no_ack: false): a delivery is removed only
                // once its effect is committed. Not exclusive: workers scale out.
                BasicConsumeOptions::default(),
                FieldTable::default(),
            ),
        )
        .await?;
        let settler = Arc::new(ChannelSettler::new(channel.clone(), within));
        Ok(Active {
            channel,
            stream,
            settler,
        })
    }

    async fn wait_for_reconnect(&mut self) {
        let backoff = tokio::time::sleep(std::time::Duration::from_millis(500));
        tokio::select! {
            _ = self.generation.changed() => {}
            () = backoff => {}
        }
    }
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer")
            .field("queue", &self.queue)
            .field("tag", &self.tag)
            .field("prefetch", &self.prefetch)
            .field("subscribed", &self.active.is_some())
            .finish_non_exhaustive()
    }
}
