//! AMQP properties and headers lonjak sets and reads.

use lapin::{
    BasicProperties,
    types::{AMQPValue, FieldTable, LongString, ShortString},
};
use time::OffsetDateTime;

use crate::{Envelope, TraceContext, trace::TRACEPARENT};

/// Attempt number of this delivery (1 for the first).
pub const ATTEMPT: &str = "x-lonjak-attempt";
/// Why the message was retried or dead-lettered.
pub const REASON: &str = "x-lonjak-reason";
/// The routing key the event was first published with (retries and dead
/// letters travel through the default exchange and lose it).
pub const ROUTING_KEY: &str = "x-lonjak-routing-key";

/// Headers the broker adds when it dead-letters; dropped on replay.
const BROKER_DEATH_HEADERS: [&str; 7] = [
    "x-death",
    "x-first-death-exchange",
    "x-first-death-queue",
    "x-first-death-reason",
    "x-last-death-exchange",
    "x-last-death-queue",
    "x-last-death-reason",
];

pub(crate) fn properties<T>(
    envelope: &Envelope<T>,
    routing_key: &str,
    trace: Option<&TraceContext>,
) -> BasicProperties {
    let mut headers = FieldTable::default();
    if let Some(trace) = trace {
        headers.insert(TRACEPARENT.into(), long_string(&trace.traceparent));
    }
    headers.insert(ROUTING_KEY.into(), long_string(routing_key));
    let timestamp = u64::try_from(envelope.occurred_at.unix_timestamp())
        .unwrap_or_else(|_| u64::try_from(OffsetDateTime::now_utc().unix_timestamp()).unwrap_or(0));
    BasicProperties::default()
        .with_delivery_mode(2)
        .with_content_type("application/json".into())
        .with_message_id(ShortString::from(envelope.event_id.to_string()))
        .with_correlation_id(short_string_lossy(&envelope.correlation_id))
        .with_type(short_string_lossy(&envelope.event_type))
        .with_timestamp(timestamp)
        .with_headers(headers)
}

/// A `ShortString` holds at most 255 bytes; longer values are cut at a char
/// boundary rather than failing the publish.
fn short_string_lossy(value: &str) -> ShortString {
    let mut end = value.len().min(255);
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    ShortString::from(&value[..end])
}

pub(crate) fn long_string(value: &str) -> AMQPValue {
    AMQPValue::LongString(LongString::from(value.as_bytes().to_vec()))
}

pub(crate) fn get_str(headers: Option<&FieldTable>, key: &str) -> Option<String> {
    match headers?.inner().get(key)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

pub(crate) fn get_u32(headers: Option<&FieldTable>, key: &str) -> Option<u32> {
    let value = headers?.inner().get(key)?;
    let wide: i64 = match *value {
        AMQPValue::ShortShortInt(v) => v.into(),
        AMQPValue::ShortShortUInt(v) => v.into(),
        AMQPValue::ShortInt(v) => v.into(),
        AMQPValue::ShortUInt(v) => v.into(),
        AMQPValue::LongInt(v) => v.into(),
        AMQPValue::LongUInt(v) => v.into(),
        AMQPValue::LongLongInt(v) => v,
        _ => return None,
    };
    u32::try_from(wide).ok()
}

/// Copy of `properties` with `changes` applied to its headers.
pub(crate) fn with_headers(
    properties: &BasicProperties,
    changes: impl FnOnce(&mut FieldTable),
) -> BasicProperties {
    let mut headers = properties.headers().clone().unwrap_or_default();
    changes(&mut headers);
    properties.clone().with_headers(headers)
}

/// Headers for a replayed dead letter: a fresh start, no broker death history.
pub(crate) fn strip_for_replay(headers: &FieldTable) -> FieldTable {
    let mut map = headers.inner().clone();
    map.retain(|key, _| {
        let key = key.as_str();
        key != ATTEMPT && key != REASON && !BROKER_DEATH_HEADERS.contains(&key)
    });
    FieldTable::from(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_numbers_are_read_from_any_integer_type() {
        for value in [
            AMQPValue::ShortShortUInt(3),
            AMQPValue::LongInt(3),
            AMQPValue::LongLongInt(3),
        ] {
            let mut headers = FieldTable::default();
            headers.insert(ATTEMPT.into(), value);
            assert_eq!(get_u32(Some(&headers), ATTEMPT), Some(3));
        }
        let mut negative = FieldTable::default();
        negative.insert(ATTEMPT.into(), AMQPValue::LongLongInt(-1));
        assert_eq!(get_u32(Some(&negative), ATTEMPT), None);
        assert_eq!(get_u32(None, ATTEMPT), None);
    }

    #[test]
    fn replay_strips_attempts_reasons_and_broker_death_history_only() {
        let mut headers = FieldTable::default();
        headers.insert(ATTEMPT.into(), AMQPValue::LongLongInt(4));
        headers.insert(REASON.into(), long_string("timeout"));
        headers.insert("x-death".into(), AMQPValue::Void);
        headers.insert("x-first-death-reason".into(), long_string("delivery_limit"));
        headers.insert("traceparent".into(), long_string("00-…"));
        headers.insert(ROUTING_KEY.into(), long_string("registration.submitted"));

        let kept = strip_for_replay(&headers);

        let mut names: Vec<&str> = kept.inner().keys().map(|k| k.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["traceparent", ROUTING_KEY]);
    }

    #[test]
    fn over_long_short_strings_are_cut_at_a_char_boundary() {
        let long = "é".repeat(200);
        let cut = short_string_lossy(&long);
        assert!(cut.as_str().len() <= 255);
        assert!(long.starts_with(cut.as_str()));
    }
}
