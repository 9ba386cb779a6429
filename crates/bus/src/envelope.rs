//! The JSON envelope every event travels in.

use lonjak_domain::events::Event;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

/// Schema version written by this build; readers accept what they understand.
pub const SCHEMA_VERSION: u16 = 1;

/// An event with its metadata; the JSON body of every message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// Version of the envelope and payload schema.
    pub schema_version: u16,
    /// Unique per event; also the AMQP `message_id`, the consumers' idempotency key.
    pub event_id: Uuid,
    /// Routing key style name, e.g. `registration.submitted`.
    pub event_type: String,
    /// When the event happened (not when it was published).
    #[serde(with = "time::serde::rfc3339")]
    pub occurred_at: OffsetDateTime,
    /// Ties together every event caused by one request.
    pub correlation_id: String,
    /// The event itself.
    pub payload: T,
}

impl<T> Envelope<T> {
    /// A new event occurring now, with a time-ordered (v7) event id.
    pub fn new(event_type: &str, correlation_id: impl Into<String>, payload: T) -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            event_id: Uuid::now_v7(),
            event_type: event_type.to_owned(),
            occurred_at: OffsetDateTime::now_utc(),
            correlation_id: correlation_id.into(),
            payload,
        }
    }

    /// A new event of a domain type, named by its routing key.
    pub fn event(correlation_id: impl Into<String>, payload: T) -> Self
    where
        T: Event,
    {
        Self::new(T::ROUTING_KEY, correlation_id, payload)
    }

    /// Use a deterministic event id, so that a re-publish of the same event
    /// (e.g. after a crash before ack) is recognisable downstream.
    #[must_use]
    pub fn with_event_id(mut self, event_id: Uuid) -> Self {
        self.event_id = event_id;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_round_trips_through_json_with_rfc3339_time() {
        let envelope = Envelope::new("registration.submitted", "corr-1", vec![1u8, 2, 3]);
        let json = serde_json::to_value(&envelope).expect("encodes");
        assert!(
            json["occurred_at"]
                .as_str()
                .is_some_and(|s| s.ends_with('Z'))
        );
        assert_eq!(json["schema_version"], 1);
        let back: Envelope<Vec<u8>> = serde_json::from_value(json).expect("decodes");
        assert_eq!(back, envelope);
    }

    #[test]
    fn with_event_id_replaces_the_generated_id() {
        let id = Uuid::nil();
        let envelope = Envelope::new("x", "c", ()).with_event_id(id);
        assert_eq!(envelope.event_id, id);
    }
}
