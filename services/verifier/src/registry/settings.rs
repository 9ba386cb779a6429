//! Settings of one registry client (`registries.<name>.*` in configuration).

use std::num::NonZeroU32;
use std::time::Duration;

use serde::Deserialize;

/// How to call one registry, and how gently.
#[derive(Debug, Clone, Deserialize)]
pub struct RegistrySettings {
    /// Base URL, e.g. `http://127.0.0.1:8090`.
    pub url: String,
    /// Most calls per second lonjak ever makes to this registry.
    pub rate_per_sec: NonZeroU32,
    /// Timeout of one HTTP attempt, in milliseconds.
    #[serde(default = "defaults::attempt_timeout_ms")]
    pub attempt_timeout_ms: u64,
    /// Attempts per call within one delivery (the first included).
    #[serde(default = "defaults::max_attempts")]
    pub max_attempts: u32,
    /// First backoff delay, in milliseconds (doubled per attempt, jittered).
    #[serde(default = "defaults::backoff_min_ms")]
    pub backoff_min_ms: u64,
    /// Largest backoff delay, in milliseconds.
    #[serde(default = "defaults::backoff_max_ms")]
    pub backoff_max_ms: u64,
    /// Consecutive failures that open the circuit.
    #[serde(default = "defaults::breaker_threshold")]
    pub breaker_threshold: u32,
    /// How long an open circuit fails fast before one probe, in milliseconds.
    #[serde(default = "defaults::breaker_cool_down_ms")]
    pub breaker_cool_down_ms: u64,
}

mod defaults {
    pub fn attempt_timeout_ms() -> u64 {
        2_000
    }
    pub fn max_attempts() -> u32 {
        4
    }
    pub fn backoff_min_ms() -> u64 {
        100
    }
    pub fn backoff_max_ms() -> u64 {
        2_000
    }
    pub fn breaker_threshold() -> u32 {
        5
    }
    pub fn breaker_cool_down_ms() -> u64 {
        5_000
    }
}

impl RegistrySettings {
    /// Settings with every default, for `url` at `rate_per_sec`.
    pub fn new(url: impl Into<String>, rate_per_sec: NonZeroU32) -> Self {
        Self {
            url: url.into(),
            rate_per_sec,
            attempt_timeout_ms: defaults::attempt_timeout_ms(),
            max_attempts: defaults::max_attempts(),
            backoff_min_ms: defaults::backoff_min_ms(),
            backoff_max_ms: defaults::backoff_max_ms(),
            breaker_threshold: defaults::breaker_threshold(),
            breaker_cool_down_ms: defaults::breaker_cool_down_ms(),
        }
    }

    pub fn attempt_timeout(&self) -> Duration {
        Duration::from_millis(self.attempt_timeout_ms)
    }

    pub fn backoff_min(&self) -> Duration {
        Duration::from_millis(self.backoff_min_ms)
    }

    pub fn backoff_max(&self) -> Duration {
        Duration::from_millis(self.backoff_max_ms.max(self.backoff_min_ms))
    }

    pub fn breaker_cool_down(&self) -> Duration {
        Duration::from_millis(self.breaker_cool_down_ms)
    }
}
