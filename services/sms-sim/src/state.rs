//! What the simulator remembers: the live configuration, its capacity
//! limiter, every message it accepted and every request it answered.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use serde::Serialize;
use time::OffsetDateTime;

use crate::config::{ConfigError, SmsSimConfig};

/// A message the provider accepted.
#[derive(Debug, Clone, Serialize)]
pub struct Accepted {
    pub message_id: String,
    pub to: String,
    pub text: String,
    pub idempotency_key: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub accepted_at: OffsetDateTime,
}

/// One request and how it was answered.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub to: String,
    /// When it arrived, before any simulated latency.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub status: u16,
}

/// Counts since start (or the last clear).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SmsStats {
    pub requests: u64,
    pub accepted: u64,
    /// Repeats of an idempotency key already accepted: answered, not sent again.
    pub duplicates: u64,
    pub throttled: u64,
    pub failed: u64,
    pub refused: u64,
}

#[derive(Default)]
struct Log {
    accepted: Vec<Accepted>,
    attempts: Vec<Attempt>,
    by_key: HashMap<String, usize>,
    stats: SmsStats,
    next_id: u64,
}

/// State shared by every worker of one simulator.
pub(crate) struct AppState {
    config: RwLock<(SmsSimConfig, Option<Arc<DefaultDirectRateLimiter>>)>,
    log: Mutex<Log>,
}

fn limiter(config: &SmsSimConfig) -> Option<Arc<DefaultDirectRateLimiter>> {
    let rate = NonZeroU32::new(config.capacity_per_sec)?;
    let burst = NonZeroU32::new(config.burst).unwrap_or(rate);
    Some(Arc::new(RateLimiter::direct(
        Quota::per_second(rate).allow_burst(burst),
    )))
}

/// What the capacity check decided.
pub(crate) enum Admission {
    Admitted,
    /// Over capacity: come back after this long.
    Throttled(Duration),
}

impl AppState {
    pub(crate) fn new(config: SmsSimConfig) -> Self {
        let limiter = limiter(&config);
        Self {
            config: RwLock::new((config, limiter)),
            log: Mutex::new(Log::default()),
        }
    }

    pub(crate) fn config(&self) -> SmsSimConfig {
        self.config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .clone()
    }

    /// Merges `patch` into the live configuration (a new capacity starts
    /// with a full bucket).
    pub(crate) fn reconfigure(
        &self,
        patch: serde_json::Value,
    ) -> Result<SmsSimConfig, ConfigError> {
        let mut slot = self.config.write().unwrap_or_else(PoisonError::into_inner);
        let next = slot.0.patched(patch)?;
        let limiter = limiter(&next);
        *slot = (next.clone(), limiter);
        Ok(next)
    }

    pub(crate) fn admit(&self) -> Admission {
        let limiter = self
            .config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .1
            .clone();
        match limiter.map(|l| l.check()) {
            None | Some(Ok(())) => Admission::Admitted,
            Some(Err(not_until)) => {
                Admission::Throttled(not_until.wait_time_from(DefaultClock::default().now()))
            }
        }
    }

    fn with_log<R>(&self, f: impl FnOnce(&mut Log) -> R) -> R {
        f(&mut self.log.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Records an answered request.
    pub(crate) fn attempt(&self, to: &str, at: OffsetDateTime, status: u16) {
        self.with_log(|log| {
            log.stats.requests += 1;
            match status {
                429 => log.stats.throttled += 1,
                500..=599 => log.stats.failed += 1,
                400..=499 => log.stats.refused += 1,
                _ => {}
            }
            log.attempts.push(Attempt {
                to: to.to_owned(),
                at,
                status,
            });
        });
    }

    /// Accepts a message, or finds the one accepted under the same
    /// idempotency key: `(message_id, newly accepted)`.
    pub(crate) fn accept(&self, to: &str, text: &str, key: Option<&str>) -> (String, bool) {
        self.with_log(|log| {
            if let Some(&index) = key.and_then(|k| log.by_key.get(k)) {
                log.stats.duplicates += 1;
                return (log.accepted[index].message_id.clone(), false);
            }
            log.next_id += 1;
            let message_id = format!("sms-{:08}", log.next_id);
            if let Some(key) = key {
                log.by_key.insert(key.to_owned(), log.accepted.len());
            }
            log.accepted.push(Accepted {
                message_id: message_id.clone(),
                to: to.to_owned(),
                text: text.to_owned(),
                idempotency_key: key.map(str::to_owned),
                accepted_at: OffsetDateTime::now_utc(),
            });
            log.stats.accepted += 1;
            (message_id, true)
        })
    }

    pub(crate) fn messages(&self, to: Option<&str>) -> Vec<Accepted> {
        self.with_log(|log| {
            log.accepted
                .iter()
                .filter(|m| to.is_none_or(|to| m.to == to))
                .cloned()
                .collect()
        })
    }

    pub(crate) fn attempts(&self, to: Option<&str>) -> Vec<Attempt> {
        self.with_log(|log| {
            log.attempts
                .iter()
                .filter(|a| to.is_none_or(|to| a.to == to))
                .cloned()
                .collect()
        })
    }

    pub(crate) fn stats(&self) -> SmsStats {
        self.with_log(|log| log.stats.clone())
    }

    pub(crate) fn clear(&self) {
        self.with_log(|log| *log = Log::default());
    }
}
