//! Wait estimates: people (or messages) ahead divided by the rate they are
//! taken at, with a range from the spread of the measured rate.

use serde::Serialize;

/// An estimated wait and its range, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WaitEstimate {
    pub seconds: u64,
    /// Likely shortest and longest wait (about the 10th and 90th percentile
    /// of the measured rate's variation).
    pub low_seconds: u64,
    pub high_seconds: u64,
}

/// `ahead` taken at `per_sec` (± `std_dev`): the range uses the rate's
/// 10th/90th percentiles under a normal spread, and is never narrower than
/// ±10 %, since the rate ahead is a forecast. While the drain is stopped
/// (`stalled_secs` > 0, `per_sec` its last busy rate) the wait adds as long
/// again as the stop has lasted, and the range widens: from the stop
/// ending now to its lasting three times as long again.
pub fn estimate_wait(
    ahead: f64,
    per_sec: f64,
    std_dev: f64,
    stalled_secs: f64,
) -> Option<WaitEstimate> {
    if ahead <= 0.0 {
        return Some(WaitEstimate {
            seconds: 0,
            low_seconds: 0,
            high_seconds: 0,
        });
    }
    if !(per_sec.is_finite() && per_sec > 0.0) {
        return None;
    }
    let spread = (1.28 * std_dev.max(0.0)).max(0.1 * per_sec);
    let fast = per_sec + spread;
    let slow = (per_sec - spread).max(per_sec * 0.25);
    let stop = stalled_secs.max(0.0);
    let secs = |rate: f64, stop: f64| (ahead / rate + stop).round().clamp(0.0, 86_400.0) as u64;
    Some(WaitEstimate {
        seconds: secs(per_sec, stop),
        low_seconds: secs(fast, 0.0),
        high_seconds: secs(slow, 3.0 * stop),
    })
}

/// What a ticket's wait is made of: the work ahead of it, in registrations,
/// and the rate that work is done at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueBasis {
    pub ahead: f64,
    pub per_sec: f64,
}

/// The queue lets people in as fast as the global limit (`ceiling`) allows
/// until the intake backs up, and from then on at the rate the pipeline
/// drains, less what brings the backlog back to its target
/// (`target_backlog_secs` of drain; see `pacing`). So, while more than a
/// second of drain waits in the intake (`backlog`): the tickets ahead plus
/// the backlog above target, at the measured drain; otherwise the tickets
/// ahead at the ceiling. An idle pipeline's measured rate is only its
/// arrivals (dividing by it announced hour-long waits at an opening that
/// took two minutes), and a backed-up one lets the queue move at a crawl
/// until its backlog is worked off (dividing by its drain announced a
/// fortieth of the wait): docs/benchmarks.md.
pub fn queue_basis(
    ahead: f64,
    drain_per_sec: f64,
    backlog: u32,
    target_backlog_secs: f64,
    ceiling: f64,
) -> QueueBasis {
    let backlog = f64::from(backlog);
    if drain_per_sec > 0.0 && backlog > drain_per_sec {
        let excess = (backlog - drain_per_sec * target_backlog_secs).max(0.0);
        QueueBasis {
            ahead: ahead + excess,
            per_sec: drain_per_sec.min(ceiling),
        }
    } else {
        QueueBasis {
            ahead,
            per_sec: ceiling,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backed_up_intake_moves_the_queue_at_its_drain_once_its_excess_is_worked_off() {
        // 250/s drained, 2,000 waiting against a target of 10 s (2,500).
        let b = queue_basis(1_000.0, 250.0, 2_000, 10.0, 600.0);
        assert_eq!((b.ahead, b.per_sec), (1_000.0, 250.0));
        // 31,000 waiting: 28,500 above target come first.
        let b = queue_basis(1_000.0, 250.0, 31_000, 10.0, 600.0);
        assert_eq!((b.ahead, b.per_sec), (29_500.0, 250.0));
        // Never faster than the global limit lets anyone in.
        assert_eq!(
            queue_basis(1_000.0, 900.0, 2_000, 10.0, 600.0).per_sec,
            600.0
        );
    }

    #[test]
    fn an_idle_intake_moves_the_queue_at_the_ceiling() {
        // The opening: nothing drained yet, or only the first arrivals.
        let idle = QueueBasis {
            ahead: 1_000.0,
            per_sec: 600.0,
        };
        assert_eq!(queue_basis(1_000.0, 0.0, 0, 10.0, 600.0), idle);
        assert_eq!(queue_basis(1_000.0, 12.0, 3, 10.0, 600.0), idle);
    }

    #[test]
    fn nobody_ahead_means_no_wait() {
        assert_eq!(
            estimate_wait(0.0, 0.0, 0.0, 0.0).map(|e| e.seconds),
            Some(0)
        );
    }

    #[test]
    fn the_wait_is_those_ahead_over_the_rate_with_a_range_around_it() {
        let e = estimate_wait(1_000.0, 100.0, 0.0, 0.0).unwrap();
        assert_eq!(e.seconds, 10);
        assert_eq!((e.low_seconds, e.high_seconds), (9, 11));
        let noisy = estimate_wait(1_000.0, 100.0, 40.0, 0.0).unwrap();
        assert!(
            noisy.low_seconds <= 7 && noisy.high_seconds >= 20,
            "{noisy:?}"
        );
    }

    #[test]
    fn an_unknown_rate_gives_no_estimate() {
        assert_eq!(estimate_wait(10.0, 0.0, 0.0, 0.0), None);
        assert_eq!(estimate_wait(10.0, f64::NAN, 0.0, 0.0), None);
    }

    #[test]
    fn a_stopped_drain_adds_the_stop_so_far_and_widens_the_range() {
        let running = estimate_wait(1_000.0, 100.0, 0.0, 0.0).unwrap();
        let stopped = estimate_wait(1_000.0, 100.0, 0.0, 6.0).unwrap();
        assert_eq!(stopped.seconds, running.seconds + 6);
        assert_eq!(stopped.low_seconds, running.low_seconds);
        assert_eq!(stopped.high_seconds, running.high_seconds + 18);
    }
}
