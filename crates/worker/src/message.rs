//! What a worker consumes: an event type it can decode from a delivery.

use lonjak_bus::{Envelope, SCHEMA_VERSION};
use lonjak_domain::RegistrationId;
use lonjak_domain::events::Event;

/// A type a worker consumes. Every domain [`Event`] is one (its routing key
/// must match); a worker that takes several event types implements it for an
/// enum of them.
pub trait Consumed: Sized + Send + Sync + 'static {
    /// Decodes the body of a delivery published under `routing_key`.
    fn decode(routing_key: &str, body: &[u8]) -> Result<Envelope<Self>, DecodeError>;

    /// The registration it is about, for logs.
    fn subject(&self) -> Option<RegistrationId>;
}

impl<E: Event> Consumed for E {
    fn decode(routing_key: &str, body: &[u8]) -> Result<Envelope<Self>, DecodeError> {
        if routing_key != E::ROUTING_KEY {
            return Err(DecodeError::UnexpectedEvent);
        }
        decode_envelope(body)
    }

    fn subject(&self) -> Option<RegistrationId> {
        Some(self.registration_id())
    }
}

/// Parses an envelope of `T`, refusing schema versions this build does not
/// know before looking at the payload.
pub fn decode_envelope<T: serde::de::DeserializeOwned>(
    body: &[u8],
) -> Result<Envelope<T>, DecodeError> {
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: u16,
    }
    let version: Version = serde_json::from_slice(body).map_err(DecodeError::Malformed)?;
    if version.schema_version != SCHEMA_VERSION {
        return Err(DecodeError::UnknownSchemaVersion(version.schema_version));
    }
    serde_json::from_slice(body).map_err(DecodeError::Malformed)
}

/// Why a delivery could not be decoded: it is dead-lettered with the label.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// Not JSON, or not an envelope of the expected payload.
    #[error("malformed envelope")]
    Malformed(#[source] serde_json::Error),
    /// A schema version this build does not read.
    #[error("unknown schema version {0}")]
    UnknownSchemaVersion(u16),
    /// A routing key this worker does not handle.
    #[error("unexpected event type")]
    UnexpectedEvent,
}

impl DecodeError {
    /// Short label for headers and metrics.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed envelope",
            Self::UnknownSchemaVersion(_) => "unknown schema version",
            Self::UnexpectedEvent => "unexpected event type",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lonjak_domain::events::RegistrationRejected;

    fn rejected_json(version: u16) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "schema_version": version,
            "event_id": "0190d0f0-0000-7000-8000-000000000000",
            "event_type": "registration.rejected",
            "occurred_at": "2020-04-11T03:00:00Z",
            "correlation_id": "c",
            "payload": {
                "registration_id": "00112233445566778899aabbccddeeff",
                "wave": 1,
                "rejected_at": "2020-04-11T03:00:00Z",
                "reason": "under_18"
            }
        }))
        .expect("json")
    }

    #[test]
    fn an_event_decodes_under_its_own_routing_key_only() {
        let body = rejected_json(SCHEMA_VERSION);
        assert!(RegistrationRejected::decode("registration.rejected", &body).is_ok());
        assert!(matches!(
            RegistrationRejected::decode("registration.verified", &body),
            Err(DecodeError::UnexpectedEvent)
        ));
    }

    #[test]
    fn unknown_versions_and_malformed_bodies_are_told_apart() {
        let future = rejected_json(SCHEMA_VERSION + 1);
        assert!(matches!(
            RegistrationRejected::decode("registration.rejected", &future),
            Err(DecodeError::UnknownSchemaVersion(v)) if v == SCHEMA_VERSION + 1
        ));
        for body in [&b"not json"[..], b"{}", b"{\"schema_version\":1}"] {
            let error =
                RegistrationRejected::decode("registration.rejected", body).expect_err("refused");
            assert_eq!(error.label(), "malformed envelope");
        }
    }
}
