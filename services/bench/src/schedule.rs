//! The open-loop arrival schedule: request `k` is due `k / rate` seconds after
//! the start, whatever happened to the requests before it. The generator
//! never waits for an answer before sending the next request.

use std::time::Duration;

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// A constant arrival rate for a bounded duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    rate: u64,
    total: u64,
}

impl Schedule {
    /// `rate` requests per second (at least 1) for `duration`.
    #[must_use]
    pub fn new(rate: u64, duration: Duration) -> Self {
        let rate = rate.max(1);
        let total = u128::from(rate) * duration.as_nanos() / NANOS_PER_SEC;
        Self {
            rate,
            total: u64::try_from(total).unwrap_or(u64::MAX),
        }
    }

    #[must_use]
    pub fn rate(&self) -> u64 {
        self.rate
    }

    /// Requests in the whole schedule.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.total
    }

    /// When request `k` is due, as an offset from the start.
    #[must_use]
    pub fn due_at(&self, k: u64) -> Duration {
        let nanos = u128::from(k) * NANOS_PER_SEC / u128::from(self.rate);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// How many requests are due by `elapsed`: those with `due_at(k) <= elapsed`,
    /// capped at [`Self::total`].
    #[must_use]
    pub fn due_by(&self, elapsed: Duration) -> u64 {
        // due_at(k) = floor(k·1e9 / rate) <= e  ⇔  k < (e + 1)·rate / 1e9
        let bound = (elapsed.as_nanos() + 1) * u128::from(self.rate);
        let count = bound.div_ceil(NANOS_PER_SEC);
        u64::try_from(count).unwrap_or(u64::MAX).min(self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_is_rate_times_duration() {
        assert_eq!(
            Schedule::new(3_000, Duration::from_secs(20)).total(),
            60_000
        );
        assert_eq!(Schedule::new(7, Duration::from_millis(500)).total(), 3);
    }

    #[test]
    fn requests_are_evenly_spaced() {
        let s = Schedule::new(4, Duration::from_secs(1));
        let due: Vec<_> = (0..4).map(|k| s.due_at(k).as_millis()).collect();
        assert_eq!(due, [0, 250, 500, 750]);
    }

    #[test]
    fn due_by_counts_exactly_the_requests_due_at_or_before_the_instant() {
        for rate in [1, 3, 7, 1_000, 2_999, 30_000] {
            let s = Schedule::new(rate, Duration::from_secs(2));
            for elapsed_us in (0..2_100_000).step_by(997) {
                let elapsed = Duration::from_micros(elapsed_us);
                let brute = (0..s.total()).filter(|&k| s.due_at(k) <= elapsed).count();
                assert_eq!(
                    s.due_by(elapsed),
                    brute as u64,
                    "rate {rate} at {elapsed:?}"
                );
            }
        }
    }

    #[test]
    fn the_first_request_is_due_at_once_and_nothing_beyond_the_total() {
        let s = Schedule::new(10, Duration::from_secs(1));
        assert_eq!(s.due_by(Duration::ZERO), 1);
        assert_eq!(s.due_by(Duration::from_secs(60)), 10);
    }
}
