//! Confirmed, persistent, mandatory publishing.
//!
//! All publishers of a [`Bus`] share one confirm-mode channel. A publish sends
//! its frames and then waits for its own confirm without holding any lock, so
//! thousands of concurrent publishes pipeline their confirms on one channel.

use std::sync::atomic::{AtomicBool, Ordering};

use lapin::{BasicProperties, Confirmation, options::BasicPublishOptions};
use lonjak_domain::events::Event;
use serde::Serialize;

use crate::{Bus, BusError, Envelope, PublishError, TraceContext, headers};

/// Publishes events; cheap to clone.
#[derive(Clone, Debug)]
pub struct Publisher {
    pub(crate) bus: Bus,
}

impl Publisher {
    /// Publish `envelope` to the events exchange with `routing_key`,
    /// persistent and mandatory. Resolves only when the broker confirmed it;
    /// the whole call is bounded by `publish_timeout`.
    pub async fn publish<T: Serialize>(
        &self,
        routing_key: &str,
        envelope: &Envelope<T>,
        trace: Option<&TraceContext>,
    ) -> Result<(), PublishError> {
        let body = serde_json::to_vec(envelope).map_err(PublishError::Encode)?;
        let properties = headers::properties(envelope, routing_key, trace);
        let exchange = self.bus.topology().exchange();
        self.publish_raw(&exchange, routing_key, &body, properties)
            .await
    }

    /// Publish a domain event under its own routing key ([`Event::ROUTING_KEY`]).
    pub async fn publish_event<E: Event>(
        &self,
        envelope: &Envelope<E>,
        trace: Option<&TraceContext>,
    ) -> Result<(), PublishError> {
        self.publish(E::ROUTING_KEY, envelope, trace).await
    }

    /// Publish `envelope` straight to `queue` (a full queue name) through the
    /// default exchange, with the same guarantees as [`Publisher::publish`].
    pub async fn publish_to_queue<T: Serialize>(
        &self,
        queue: &str,
        envelope: &Envelope<T>,
        trace: Option<&TraceContext>,
    ) -> Result<(), PublishError> {
        let body = serde_json::to_vec(envelope).map_err(PublishError::Encode)?;
        let properties = headers::properties(envelope, &envelope.event_type, trace);
        self.publish_raw("", queue, &body, properties).await
    }

    /// Publish bytes with given properties (persistence and mandatory are
    /// forced) and wait for the confirm.
    pub async fn publish_raw(
        &self,
        exchange: &str,
        routing_key: &str,
        body: &[u8],
        properties: BasicProperties,
    ) -> Result<(), PublishError> {
        let shared = &self.bus.shared;
        if shared.is_closed() {
            return Err(PublishError::Unavailable(BusError::Closed));
        }
        let link = shared
            .link()
            .ok_or(PublishError::Unavailable(BusError::NotConnected))?;
        // Publishing into a blocked connection would only queue frames the
        // broker will not read: refuse at once so callers can shed load.
        if link.connection.status().blocked() {
            return Err(PublishError::Blocked);
        }
        let properties = properties.with_delivery_mode(2);
        let options = BasicPublishOptions {
            mandatory: true,
            ..BasicPublishOptions::default()
        };
        // Set once the frames are handed over: from then on a failure cannot
        // tell "lost" from "stored, confirm lost".
        let sent = AtomicBool::new(false);
        let publish = async {
            let confirm = link
                .publish
                .basic_publish(
                    exchange.into(),
                    routing_key.into(),
                    options,
                    body,
                    properties,
                )
                .await
                .map_err(|source| {
                    shared.wake();
                    PublishError::Unavailable(BusError::Broker {
                        operation: "basic.publish",
                        source,
                    })
                })?;
            sent.store(true, Ordering::Relaxed);
            let confirmation = confirm.await.map_err(|source| {
                shared.wake();
                PublishError::Unconfirmed(BusError::Broker {
                    operation: "publisher confirm",
                    source,
                })
            })?;
            match confirmation {
                Confirmation::Ack(None) => Ok(()),
                Confirmation::Ack(Some(_)) => Err(PublishError::Unroutable),
                Confirmation::Nack(_) => Err(PublishError::Nacked),
                // Confirms are enabled on every publishing channel; a channel
                // without them could not tell us the message is stored.
                Confirmation::NotRequested => {
                    Err(PublishError::Unavailable(BusError::NotConnected))
                }
            }
        };
        match tokio::time::timeout(shared.config.publish_timeout, publish).await {
            Ok(result) => result,
            Err(_) => {
                // A blocked notification may have arrived before the frames left.
                if !sent.load(Ordering::Relaxed) && link.connection.status().blocked() {
                    Err(PublishError::Blocked)
                } else {
                    Err(PublishError::Timeout)
                }
            }
        }
    }
}
