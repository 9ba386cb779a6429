//! W3C trace context carried in the `traceparent` AMQP header.

use lapin::types::{AMQPValue, FieldTable};

/// Header name (W3C Trace Context).
pub const TRACEPARENT: &str = "traceparent";

/// A W3C `traceparent` value: `00-<32 hex trace id>-<16 hex span id>-<2 hex flags>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceContext {
    /// The header value, always well-formed when built by this type.
    pub traceparent: String,
}

impl TraceContext {
    /// A new root trace (random trace and span ids, sampled).
    #[must_use]
    pub fn new_root() -> Self {
        let trace: u128 = rand::random::<u128>().max(1);
        let span: u64 = rand::random::<u64>().max(1);
        Self {
            traceparent: format!("00-{trace:032x}-{span:016x}-01"),
        }
    }

    /// A child span in the same trace: what a consumer uses when it publishes
    /// the next event.
    #[must_use]
    pub fn child(&self) -> Self {
        // The field is public, so it may hold anything: a malformed parent
        // starts a new trace rather than panicking.
        let (Some(trace_id), Some(flags)) =
            (self.traceparent.get(3..35), self.traceparent.get(53..55))
        else {
            return Self::new_root();
        };
        let span: u64 = rand::random::<u64>().max(1);
        Self {
            traceparent: format!("00-{trace_id}-{span:016x}-{flags}"),
        }
    }

    /// The 32-hex-digit trace id (empty when the value is malformed).
    #[must_use]
    pub fn trace_id(&self) -> &str {
        self.traceparent.get(3..35).unwrap_or_default()
    }

    /// Parse a `traceparent` value; `None` when malformed (it is then ignored,
    /// as the W3C specification asks).
    #[must_use]
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        let bytes = value.as_bytes();
        if bytes.len() != 55 || bytes[2] != b'-' || bytes[35] != b'-' || bytes[52] != b'-' {
            return None;
        }
        let is_hex = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        };
        let (version, trace, span, flags) =
            (&value[0..2], &value[3..35], &value[36..52], &value[53..55]);
        let all_zero = |s: &str| s.bytes().all(|b| b == b'0');
        if !(is_hex(version) && is_hex(trace) && is_hex(span) && is_hex(flags))
            || version == "ff"
            || all_zero(trace)
            || all_zero(span)
        {
            return None;
        }
        Some(Self {
            traceparent: value.to_owned(),
        })
    }

    /// Read the context from AMQP headers, if present and well-formed.
    #[must_use]
    pub fn from_headers(headers: Option<&FieldTable>) -> Option<Self> {
        match headers?.inner().get(TRACEPARENT)? {
            AMQPValue::LongString(s) => Self::parse(&String::from_utf8_lossy(s.as_bytes())),
            AMQPValue::ShortString(s) => Self::parse(s.as_str()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_new_root_parses_and_its_child_keeps_the_trace_id() {
        let root = TraceContext::new_root();
        assert_eq!(TraceContext::parse(&root.traceparent), Some(root.clone()));
        let child = root.child();
        assert_eq!(child.trace_id(), root.trace_id());
        assert_ne!(child.traceparent, root.traceparent);
        assert!(TraceContext::parse(&child.traceparent).is_some());
    }

    #[test]
    fn malformed_or_all_zero_values_are_ignored() {
        assert!(TraceContext::parse("").is_none());
        assert!(
            TraceContext::parse("00-00000000000000000000000000000000-0000000000000001-01")
                .is_none()
        );
        assert!(
            TraceContext::parse("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01")
                .is_none()
        );
        assert!(
            TraceContext::parse("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
                .is_some()
        );
    }

    proptest! {
        #[test]
        fn parsing_any_string_never_panics(s in ".{0,80}") {
            let _ = TraceContext::parse(&s);
        }
    }
}
