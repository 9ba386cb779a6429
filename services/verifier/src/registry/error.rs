//! Errors of registry calls: one attempt ([`CallError`]) and a whole call
//! with its retries ([`RegistryError`]).
//!
//! Display texts never carry the request URL (a Dapodik or DTKS URL contains
//! the NIK): they end up in logs and in dead-letter headers.

use std::time::Duration;

use super::Registry;

/// Why one attempt failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// The registry answered with an error status.
    #[error("answered HTTP {status}")]
    Status {
        status: u16,
        /// From `Retry-After` (seconds) on 429/503.
        retry_after: Option<Duration>,
    },
    /// No answer within the per-attempt timeout.
    #[error("timed out")]
    Timeout,
    /// Could not connect, or the connection broke mid-way.
    #[error("unreachable")]
    Transport(#[source] reqwest::Error),
    /// The answer was not the JSON we expect.
    #[error("answer could not be decoded")]
    Decode(#[source] reqwest::Error),
    /// The circuit breaker is open: the call was not made.
    #[error("circuit open")]
    CircuitOpen { remaining: Duration },
    /// The outbound rate limiter would not admit the call before the deadline.
    #[error("rate limit wait exceeds the deadline")]
    RateLimited,
}

impl CallError {
    /// Transient failures may succeed later; permanent ones never will.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status == 429 || *status == 408 || *status >= 500,
            Self::Timeout | Self::Transport(_) | Self::CircuitOpen { .. } | Self::RateLimited => {
                true
            }
            Self::Decode(_) => false,
        }
    }

    /// Whether the failure says something about the registry's health (and
    /// so counts towards opening its circuit).
    pub(crate) fn counts_against_health(&self) -> bool {
        match self {
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Timeout | Self::Transport(_) => true,
            Self::Decode(_) | Self::CircuitOpen { .. } | Self::RateLimited => false,
        }
    }

    /// A short metric label.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Status { status: 429, .. } => "http_429",
            Self::Status { status: 503, .. } => "http_503",
            Self::Status { status, .. } if *status >= 500 => "http_5xx",
            Self::Status { .. } => "http_4xx",
            Self::Timeout => "timeout",
            Self::Transport(_) => "transport",
            Self::Decode(_) => "decode",
            Self::CircuitOpen { .. } => "circuit_open",
            Self::RateLimited => "rate_limited",
        }
    }

    /// The least time to wait before the next attempt, if the registry or
    /// the breaker said so.
    pub(crate) fn min_wait(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            Self::CircuitOpen { remaining } => Some(*remaining),
            _ => None,
        }
    }

    pub(crate) fn from_reqwest(err: reqwest::Error) -> Self {
        let err = err.without_url();
        if err.is_timeout() {
            Self::Timeout
        } else if err.is_decode() {
            Self::Decode(err)
        } else {
            Self::Transport(err)
        }
    }
}

/// A registry call that failed for good (permanent error) or for now
/// (transient error after the retries the deadline allowed).
#[derive(Debug, thiserror::Error)]
#[error("{registry} {last} (after {attempts} attempt(s))")]
pub struct RegistryError {
    registry: Registry,
    attempts: u32,
    #[source]
    last: CallError,
}

impl RegistryError {
    pub(crate) fn new(registry: Registry, attempts: u32, last: CallError) -> Self {
        Self {
            registry,
            attempts,
            last,
        }
    }

    /// Which registry failed.
    pub fn registry(&self) -> Registry {
        self.registry
    }

    /// The failure of the last attempt.
    pub fn last(&self) -> &CallError {
        &self.last
    }

    /// Whether a later retry of the whole delivery may succeed.
    pub fn is_transient(&self) -> bool {
        self.last.is_transient()
    }
}
