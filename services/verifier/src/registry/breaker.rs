//! A small circuit breaker, one per registry.
//!
//! Closed: calls pass; `threshold` consecutive failures open it. Open: calls
//! fail fast until `cool_down` has passed, so a ministry that is down is not
//! hammered by every in-flight registration. Half-open: exactly one probe call
//! passes; its success closes the circuit, its failure re-opens it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The observable state of a breaker (also exported as a metric).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CircuitState {
    Closed,
    Open,
    HalfOpen,
}

impl CircuitState {
    /// The gauge value: 0 closed, 1 open, 2 half-open.
    pub fn as_gauge(self) -> i64 {
        match self {
            Self::Closed => 0,
            Self::Open => 1,
            Self::HalfOpen => 2,
        }
    }
}

#[derive(Debug)]
enum Inner {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { probing: bool },
}

/// Permission to make one call; report its result with [`Permit::success`]
/// or [`Permit::failure`]. Dropping it gives no verdict (the call was
/// cancelled) and frees a half-open probe slot for the next caller.
#[derive(Debug)]
#[must_use]
pub struct Permit<'a> {
    breaker: Option<&'a CircuitBreaker>,
}

impl Permit<'_> {
    /// The call reached a healthy registry.
    pub fn success(mut self) {
        if let Some(breaker) = self.breaker.take() {
            *breaker.lock() = Inner::Closed { failures: 0 };
        }
    }

    /// The call failed in a way that says the registry is unwell.
    pub fn failure(self) {
        self.failure_at(Instant::now());
    }

    fn failure_at(mut self, now: Instant) {
        if let Some(breaker) = self.breaker.take() {
            breaker.record_failure(now);
        }
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Some(breaker) = self.breaker.take() {
            let mut inner = breaker.lock();
            if let Inner::HalfOpen { probing: true } = *inner {
                *inner = Inner::HalfOpen { probing: false };
            }
        }
    }
}

/// Consecutive-failure circuit breaker with a cool-down.
#[derive(Debug)]
pub struct CircuitBreaker {
    threshold: u32,
    cool_down: Duration,
    inner: Mutex<Inner>,
}

impl CircuitBreaker {
    /// `threshold` is clamped to at least 1.
    pub fn new(threshold: u32, cool_down: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cool_down,
            inner: Mutex::new(Inner::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave the state inconsistent
        // (every update is a single assignment), so poisoning is ignored.
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Asks to make a call. `Err(remaining)` while open (or while the
    /// half-open probe is out), with how long until a probe may be tried.
    pub fn try_acquire(&self) -> Result<Permit<'_>, Duration> {
        self.try_acquire_at(Instant::now())
    }

    fn try_acquire_at(&self, now: Instant) -> Result<Permit<'_>, Duration> {
        let permit = Permit {
            breaker: Some(self),
        };
        let mut inner = self.lock();
        match *inner {
            Inner::Closed { .. } => Ok(permit),
            Inner::Open { until } => {
                if now >= until {
                    *inner = Inner::HalfOpen { probing: true };
                    Ok(permit)
                } else {
                    Err(until - now)
                }
            }
            Inner::HalfOpen { probing: true } => {
                Err(self.cool_down.min(Duration::from_millis(100)))
            }
            Inner::HalfOpen { probing: false } => {
                *inner = Inner::HalfOpen { probing: true };
                Ok(permit)
            }
        }
    }

    fn record_failure(&self, now: Instant) {
        let mut inner = self.lock();
        *inner = match *inner {
            Inner::Closed { failures } if failures + 1 < self.threshold => Inner::Closed {
                failures: failures + 1,
            },
            _ => Inner::Open {
                until: now + self.cool_down,
            },
        };
    }

    /// The current state, for metrics.
    pub fn state(&self) -> CircuitState {
        self.state_at(Instant::now())
    }

    fn state_at(&self, now: Instant) -> CircuitState {
        match *self.lock() {
            Inner::Closed { .. } => CircuitState::Closed,
            Inner::Open { until } if now < until => CircuitState::Open,
            Inner::Open { .. } | Inner::HalfOpen { .. } => CircuitState::HalfOpen,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COOL_DOWN: Duration = Duration::from_secs(30);

    fn tripped(threshold: u32, at: Instant) -> CircuitBreaker {
        let breaker = CircuitBreaker::new(threshold, COOL_DOWN);
        for _ in 0..threshold {
            let permit = breaker
                .try_acquire_at(at)
                .expect("closed breaker admits calls");
            permit.failure_at(at);
        }
        breaker
    }

    #[test]
    fn opens_after_threshold_consecutive_failures_and_fails_fast() {
        let t0 = Instant::now();
        let breaker = tripped(3, t0);
        assert_eq!(breaker.state_at(t0), CircuitState::Open);
        let wait = breaker
            .try_acquire_at(t0)
            .expect_err("open breaker fails fast");
        assert_eq!(wait, COOL_DOWN);
    }

    #[test]
    fn a_success_resets_the_consecutive_failure_count() {
        let breaker = CircuitBreaker::new(2, COOL_DOWN);
        let permit = breaker.try_acquire().expect("closed");
        permit.failure();
        let permit = breaker.try_acquire().expect("closed");
        permit.success();
        let permit = breaker.try_acquire().expect("closed");
        permit.failure();
        assert_eq!(breaker.state(), CircuitState::Closed);
    }

    #[test]
    fn after_cool_down_one_probe_passes_and_its_success_closes_the_circuit() {
        let t0 = Instant::now();
        let breaker = tripped(1, t0);
        let later = t0 + COOL_DOWN;
        let probe = breaker
            .try_acquire_at(later)
            .expect("cool-down over: probe admitted");
        assert!(
            breaker.try_acquire_at(later).is_err(),
            "only one probe at a time"
        );
        probe.success();
        assert_eq!(breaker.state_at(later), CircuitState::Closed);
        assert!(breaker.try_acquire_at(later).is_ok());
    }

    #[test]
    fn a_failed_probe_reopens_the_circuit_for_another_cool_down() {
        let t0 = Instant::now();
        let breaker = tripped(1, t0);
        let later = t0 + COOL_DOWN;
        let probe = breaker.try_acquire_at(later).expect("probe");
        probe.failure_at(later);
        assert_eq!(breaker.state_at(later), CircuitState::Open);
        assert!(breaker.try_acquire_at(later + COOL_DOWN / 2).is_err());
    }

    #[test]
    fn a_dropped_probe_lets_the_next_caller_probe() {
        let t0 = Instant::now();
        let breaker = tripped(1, t0);
        let later = t0 + COOL_DOWN;
        let probe = breaker.try_acquire_at(later).expect("probe");
        drop(probe);
        assert!(breaker.try_acquire_at(later).is_ok());
    }
}
