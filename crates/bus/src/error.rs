//! Error types of the bus: one for broker operations, one for publishing.

use std::time::Duration;

/// A broker operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BusError {
    /// The first connection (or a reconnection) could not be established.
    #[error("cannot connect to the broker")]
    Connect(#[source] lapin::Error),
    /// The broker did not answer within the configured bound.
    #[error("broker operation `{operation}` timed out after {after:?}")]
    Timeout {
        /// What was being waited for (`connect`, `ack`, `queue.declare`, …).
        operation: &'static str,
        /// The bound that expired.
        after: Duration,
    },
    /// No usable connection right now (broker down, reconnecting).
    #[error("not connected to the broker")]
    NotConnected,
    /// The operation was refused before reaching the broker.
    #[error("refused: {0}")]
    Refused(&'static str),
    /// [`crate::Bus::close`] was called.
    #[error("the bus is closed")]
    Closed,
    /// The broker answered with an error (channel or connection level).
    #[error("broker error during `{operation}`")]
    Broker {
        /// The AMQP method that failed.
        operation: &'static str,
        /// The protocol error.
        #[source]
        source: lapin::Error,
    },
    /// A queue exists on the broker with other arguments than this
    /// deployment's bus settings (max length, delivery limit, retry delays).
    #[error(
        "queue `{queue}` exists with other arguments than these bus settings; make bus.* the same in every service, or recreate the queue"
    )]
    TopologyMismatch {
        /// The full queue name.
        queue: String,
        /// The broker's refusal.
        #[source]
        source: lapin::Error,
    },
    /// A queue this service needs does not exist and it may not declare it
    /// (`declare_topology = false`): the topology job has not run.
    #[error("queue `{queue}` does not exist; run `lonjak-ops topology apply` first")]
    TopologyMissing {
        /// The full queue name.
        queue: String,
    },
    /// The delivery cannot be settled any more: its channel closed (the
    /// broker requeues it) or it was already settled.
    #[error("the delivery's channel is gone or the delivery was already settled")]
    Stale,
    /// A confirmed publish (retry, dead letter, replay) did not go through.
    #[error("confirmed publish failed")]
    Publish(#[source] Box<PublishError>),
}

impl From<PublishError> for BusError {
    fn from(error: PublishError) -> Self {
        BusError::Publish(Box::new(error))
    }
}

/// Why a publish was not confirmed. Every variant except `Encode` means
/// "try again later". `Timeout` and `Unconfirmed` mean the message left for
/// the broker and may be stored all the same ([`PublishError::may_be_stored`]):
/// a retry must be harmless (idempotent ids).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PublishError {
    /// The broker refused the message: the queue is at its max length
    /// (`x-overflow=reject-publish`).
    #[error("the broker refused the message (queue full)")]
    Nacked,
    /// The message was returned: no queue is bound for its routing key.
    #[error("the message is unroutable")]
    Unroutable,
    /// No confirm arrived within `publish_timeout`; the message may be stored.
    #[error("no publisher confirm within the timeout")]
    Timeout,
    /// The message was sent, then the channel or connection failed before
    /// its confirm arrived: the broker may have stored it.
    #[error("the message was sent but its confirm was lost")]
    Unconfirmed(#[source] BusError),
    /// The connection is blocked by a broker resource alarm; nothing was sent.
    #[error("the broker connection is blocked by a resource alarm")]
    Blocked,
    /// Not connected, or the channel failed.
    #[error("the broker is unavailable")]
    Unavailable(#[source] BusError),
    /// The envelope could not be serialised.
    #[error("cannot encode the message")]
    Encode(#[source] serde_json::Error),
}

impl PublishError {
    /// Whether the broker may have stored the message although the publish
    /// failed: the publisher cannot tell "lost" from "stored, confirm lost".
    #[must_use]
    pub fn may_be_stored(&self) -> bool {
        matches!(self, PublishError::Timeout | PublishError::Unconfirmed(_))
    }
}
