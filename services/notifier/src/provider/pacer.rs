//! Pacing calls to one provider: our own `governor` limit, and the pause a
//! provider asks for when it answers 429 with Retry-After. Waiters queue in
//! single file (a turnstile), so hundreds of messages waiting for the same
//! provider do not all wake at every free slot.

use std::num::NonZeroU32;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::time::Instant;

use crate::config::Pace;

#[derive(Debug)]
pub struct Pacer {
    limiter: DefaultDirectRateLimiter,
    turnstile: tokio::sync::Mutex<()>,
    /// Nothing goes to the provider before this instant (its Retry-After).
    paused_until: Mutex<Option<Instant>>,
}

/// The deadline came before the provider could be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotInTime;

impl Pacer {
    pub fn new(pace: Pace) -> Self {
        let burst = pace.burst.min(pace.rate_per_sec).max(NonZeroU32::MIN);
        Self {
            limiter: RateLimiter::direct(Quota::per_second(pace.rate_per_sec).allow_burst(burst)),
            turnstile: tokio::sync::Mutex::new(()),
            paused_until: Mutex::new(None),
        }
    }

    fn paused_until(&self) -> Option<Instant> {
        *self
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Holds every call for `wait` from now (or longer, if a pause already
    /// runs past that).
    pub fn pause(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut slot = self
            .paused_until
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if slot.is_none_or(|current| current < until) {
            *slot = Some(until);
        }
    }

    /// Waits for this call's turn: after any pause, within the rate.
    pub async fn admit(&self, deadline: Instant) -> Result<(), NotInTime> {
        tokio::time::timeout_at(deadline, async {
            let _turn = self.turnstile.lock().await;
            loop {
                if let Some(until) = self.paused_until()
                    && until > Instant::now()
                {
                    tokio::time::sleep_until(until).await;
                }
                self.limiter.until_ready().await;
                // A pause that began while this call waited for the limiter
                // holds it too.
                if self
                    .paused_until()
                    .is_none_or(|until| until <= Instant::now())
                {
                    return;
                }
            }
        })
        .await
        .map_err(|_| NotInTime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pace(rate: u32) -> Pace {
        Pace {
            rate_per_sec: NonZeroU32::new(rate).expect("rate"),
            burst: NonZeroU32::MIN,
        }
    }

    // Lower bounds only: the limiter can make calls slower than the
    // rate, never faster, however busy the machine is.
    #[tokio::test]
    async fn calls_are_spaced_by_the_rate() {
        let pacer = Pacer::new(pace(20));
        let start = Instant::now();
        let far = start + Duration::from_secs(60);
        for _ in 0..11 {
            pacer.admit(far).await.expect("admitted");
        }
        // One at once, then ten more at 50 ms each.
        assert!(start.elapsed() >= Duration::from_millis(490));
    }

    #[tokio::test]
    async fn a_pause_holds_calls_and_a_deadline_before_its_end_gives_up() {
        let pacer = Pacer::new(pace(1_000));
        let start = Instant::now();
        pacer.pause(Duration::from_millis(300));
        assert_eq!(
            pacer.admit(start + Duration::from_millis(50)).await,
            Err(NotInTime)
        );
        pacer
            .admit(start + Duration::from_secs(60))
            .await
            .expect("admitted after the pause");
        assert!(start.elapsed() >= Duration::from_millis(300));
    }
}
