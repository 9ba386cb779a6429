//! Publishing outbox events: the same for a batch's own events and for the
//! relay's stale ones.

use futures::future::join_all;
use lonjak_bus::{Envelope, Publisher, TraceContext};
use lonjak_store::OutboxEvent;
use uuid::Uuid;

use crate::BoxError;

/// Publishes `events` concurrently (their confirms pipeline on the bus's one
/// confirm channel) and returns, per event, whether the broker confirmed it.
pub(crate) async fn publish_all(
    publisher: &Publisher,
    events: &[(&OutboxEvent, Option<TraceContext>)],
) -> Vec<Result<Uuid, BoxError>> {
    join_all(
        events
            .iter()
            .map(|(event, trace)| publish_one(publisher, event, trace.as_ref())),
    )
    .await
}

async fn publish_one(
    publisher: &Publisher,
    event: &OutboxEvent,
    trace: Option<&TraceContext>,
) -> Result<Uuid, BoxError> {
    let envelope: Envelope<serde_json::Value> = serde_json::from_value(event.envelope.clone())?;
    publisher
        .publish(&event.routing_key, &envelope, trace)
        .await?;
    Ok(event.event_id)
}

/// An error and its causes on one line, for the single log line an error gets.
pub(crate) struct Chain<'a>(pub &'a (dyn std::error::Error + 'static));

impl std::fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
