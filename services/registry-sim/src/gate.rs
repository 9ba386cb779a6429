//! Per-registry admission and accounting: the in-flight count behind
//! `max_concurrent`, the token bucket behind `rate_per_sec`, and the counters
//! behind `/stats`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How a request ended, for `/stats` and the metric label `outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    RateLimited,
    Overloaded,
    Error,
    BadRequest,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::RateLimited => "rate_limited",
            Outcome::Overloaded => "overloaded",
            Outcome::Error => "error",
            Outcome::BadRequest => "bad_request",
        }
    }
}

/// What one registry has seen since start or the last reset. Every request
/// that reached the registry's route counts in `requests`, whatever its outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryStats {
    /// Requests received.
    pub requests: u64,
    /// Answered 200.
    pub ok: u64,
    /// Answered 429 (rate above `rate_per_sec`).
    pub rate_limited: u64,
    /// Answered 503 with `Retry-After` (more than `max_concurrent` at once).
    pub overloaded: u64,
    /// Answered 500/503 by error injection or because the registry is down.
    pub errors: u64,
    /// Answered 400 (malformed NIK or body).
    pub bad_requests: u64,
    /// Most requests in progress at once.
    pub max_concurrent_seen: u64,
    /// Most requests received within any one-second window.
    pub max_rate_per_sec_seen: u64,
}

#[derive(Default)]
struct Counters {
    stats: RegistryStats,
    /// Arrival times within the last second, oldest first.
    window: VecDeque<Instant>,
}

struct Bucket {
    /// `None` until first use: the bucket starts full at whatever size is
    /// configured then.
    tokens: Option<f64>,
    last: Instant,
}

/// Admission state of one registry.
pub(crate) struct Gate {
    in_flight: AtomicU64,
    bucket: Mutex<Bucket>,
    counters: Mutex<Counters>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data stays consistent even if a holder panicked (plain counters).
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Gate {
    pub(crate) fn new() -> Self {
        Self {
            in_flight: AtomicU64::new(0),
            bucket: Mutex::new(Bucket {
                tokens: None,
                last: Instant::now(),
            }),
            counters: Mutex::new(Counters::default()),
        }
    }

    /// Counts a received request and updates the busiest one-second window.
    pub(crate) fn arrive(&self, now: Instant) {
        let mut counters = lock(&self.counters);
        counters.stats.requests += 1;
        while counters
            .window
            .front()
            .is_some_and(|oldest| now.duration_since(*oldest) >= Duration::from_secs(1))
        {
            counters.window.pop_front();
        }
        counters.window.push_back(now);
        let in_window = counters.window.len() as u64;
        counters.stats.max_rate_per_sec_seen = counters.stats.max_rate_per_sec_seen.max(in_window);
    }

    /// Marks one more request in progress; returns how many are now.
    pub(crate) fn enter(&self) -> u64 {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        let mut counters = lock(&self.counters);
        counters.stats.max_concurrent_seen = counters.stats.max_concurrent_seen.max(now);
        now
    }

    /// Marks one request finished.
    pub(crate) fn leave(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
    }

    /// Takes a token; on refusal returns how long until one is available.
    /// `rate_per_sec` 0 means unlimited; `burst` 0 means one second's worth.
    pub(crate) fn take_token(
        &self,
        rate_per_sec: u32,
        burst: u32,
        now: Instant,
    ) -> Result<(), Duration> {
        if rate_per_sec == 0 {
            return Ok(());
        }
        let rate = f64::from(rate_per_sec);
        let size = f64::from(if burst == 0 { rate_per_sec } else { burst });
        let mut bucket = lock(&self.bucket);
        let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
        // Clamping to the current size also applies a live reconfiguration.
        let tokens = bucket
            .tokens
            .map_or(size, |t| (t + elapsed * rate).min(size));
        bucket.last = now;
        if tokens >= 1.0 {
            bucket.tokens = Some(tokens - 1.0);
            Ok(())
        } else {
            bucket.tokens = Some(tokens);
            Err(Duration::from_secs_f64((1.0 - tokens) / rate))
        }
    }

    pub(crate) fn record(&self, outcome: Outcome) {
        let mut counters = lock(&self.counters);
        let stats = &mut counters.stats;
        match outcome {
            Outcome::Ok => stats.ok += 1,
            Outcome::RateLimited => stats.rate_limited += 1,
            Outcome::Overloaded => stats.overloaded += 1,
            Outcome::Error => stats.errors += 1,
            Outcome::BadRequest => stats.bad_requests += 1,
        }
    }

    pub(crate) fn stats(&self) -> RegistryStats {
        lock(&self.counters).stats.clone()
    }

    /// Zeroes the counters; requests in progress stay counted as in flight.
    pub(crate) fn reset(&self) {
        *lock(&self.counters) = Counters::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_admits_a_burst_then_refuses_until_tokens_refill() {
        let gate = Gate::new();
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(gate.take_token(3, 0, start), Ok(()));
        }
        let wait = gate.take_token(3, 0, start).expect_err("bucket is empty");
        assert!(wait > Duration::ZERO);
        assert_eq!(
            gate.take_token(3, 0, start + Duration::from_secs(1)),
            Ok(())
        );
    }

    #[test]
    fn a_zero_rate_never_limits() {
        let gate = Gate::new();
        let now = Instant::now();
        assert!((0..10_000).all(|_| gate.take_token(0, 0, now).is_ok()));
    }

    #[test]
    fn the_busiest_window_counts_arrivals_less_than_a_second_apart() {
        let gate = Gate::new();
        let start = Instant::now();
        for ms in [0, 100, 200, 1_150, 1_180] {
            gate.arrive(start + Duration::from_millis(ms));
        }
        let stats = gate.stats();
        assert_eq!(stats.requests, 5);
        assert_eq!(stats.max_rate_per_sec_seen, 3);
    }

    #[test]
    fn concurrency_peak_is_remembered_after_requests_leave() {
        let gate = Gate::new();
        assert_eq!(gate.enter(), 1);
        assert_eq!(gate.enter(), 2);
        gate.leave();
        gate.leave();
        assert_eq!(gate.enter(), 1);
        assert_eq!(gate.stats().max_concurrent_seen, 2);
    }
}
