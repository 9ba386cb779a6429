//! How one sampling period updates the shared drain estimate: the
//! weighting of a period's rate, the warm-up of a busy period, and telling
//! a stopped drain from a slow one. Pure arithmetic; `drain` does the
//! counting and the storing.

use crate::drain::{DrainRate, DrainSampling};

/// A saturated period whose rate (over it and the period before) is below
/// this share of the estimate is a stop, not a slowdown.
const STALL_SHARE: f64 = 0.25;
/// A stop is held (the busy rate kept) for at most this many time
/// constants; past that the low rate is folded in like any other.
const STALL_HOLD_TAUS: f64 = 12.0;

/// One period's update: the new estimate, and whether the drain is stopped.
/// A saturated period that, with the period before it, measured under a
/// quarter of the estimate is a stop: the estimate keeps the busy rate (a rate falling towards zero
/// would make every wait look endless, and the drain usually comes back at
/// the rate it had), for at most `STALL_HOLD_TAUS` time constants, past
/// which a low rate is taken as the new rate. `stalled_secs`: how long the
/// stop has lasted before this period, if one is under way.
pub(crate) fn step(
    prev: DrainRate,
    period: &Period,
    tau: f64,
    sampling: &DrainSampling,
    stalled_secs: Option<f64>,
) -> (DrainRate, bool) {
    let (measured, elapsed_secs) = (period.rate(), period.elapsed_secs);
    let stopped = sampling.saturated
        && prev.per_sec > 0.0
        && period.rate_over_two() < STALL_SHARE * prev.per_sec;
    if stopped && stalled_secs.unwrap_or(0.0) < STALL_HOLD_TAUS * tau {
        return (prev, true);
    }
    // The first busy period ever: what it inherits is no estimate of the
    // capacity (0, or the arrival rate of quiet periods), and averaging
    // with it would halve the first busy rate.
    let alpha = if sampling.saturated && !prev.busy_measured {
        1.0
    } else {
        weight(
            elapsed_secs,
            tau,
            sampling,
            warms_up(sampling, prev, measured),
        )
    };
    (fold(prev, measured, alpha, sampling.saturated), stopped)
}

/// One sampling period: what left `queued` in it, over how long, and the
/// same of the period before it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Period {
    pub left: i64,
    pub elapsed_secs: f64,
    pub before: (i64, f64),
}

impl Period {
    fn rate(&self) -> f64 {
        self.left as f64 / self.elapsed_secs.max(0.001)
    }

    /// The rate over this period and the one before: what a stop is judged
    /// on, since a verifier batch's rows commit together and one period can
    /// fall between two batches while the drain runs.
    fn rate_over_two(&self) -> f64 {
        let (left, secs) = self.before;
        (self.left + left) as f64 / (self.elapsed_secs + secs).max(0.001)
    }
}

/// The weight of one period's rate in the estimate: an exponentially
/// weighted average whose weight follows the period's length (a late
/// sample counts for the time it covers), and, while a busy period is
/// younger than the time constant, an equal-weight mean of its periods so
/// far and the estimate it inherited (counted as one period): the estimate
/// left from the last busy period (minutes or days ago) says little about
/// this one, and one period's count is lumpy (a verifier batch of 200
/// commits at once), so neither may decide alone.
fn weight(elapsed_secs: f64, tau: f64, sampling: &DrainSampling, warm_up: bool) -> f64 {
    let elapsed = elapsed_secs.max(0.0);
    let smoothing = 1.0 - (-elapsed / tau).exp();
    if warm_up && sampling.saturated && sampling.busy_secs > 0.0 {
        let inherited = sampling.period.as_secs_f64();
        smoothing.max((elapsed / (sampling.busy_secs + inherited)).min(1.0))
    } else {
        smoothing
    }
}

/// The drain of a backlog in its two phases: while arrivals go on
/// (`loaded`) and once they have (almost) stopped (`quiet`), and how much
/// faster the second was than the first. Where intake and workers share
/// machines the quiet phase is faster (the arrivals' CPU goes to the
/// workers); the ratio, unlike the quiet rate itself, carries over to a
/// day whose capacity is different.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Phases {
    pub quiet_per_sec: f64,
    pub loaded_per_sec: f64,
    /// Smoothed ratio of a quiet period's rate to the loaded rate as it
    /// stood then (0 until a quiet period followed a loaded one).
    pub quiet_speedup: f64,
}

impl Phases {
    /// After one period: a backed-up period updates the rate of its phase;
    /// a quiet one also the speed-up over the loaded rate. A stop or an
    /// idle queue measures neither phase.
    pub(crate) fn after(
        self,
        period: &Period,
        tau: f64,
        sampling: &DrainSampling,
        stalled: bool,
    ) -> Phases {
        if stalled || !sampling.saturated {
            return self;
        }
        let measured = period.rate();
        let weight = 1.0 - (-period.elapsed_secs.max(0.0) / tau).exp();
        if !sampling.quiet {
            return Phases {
                loaded_per_sec: smooth(self.loaded_per_sec, measured, weight),
                ..self
            };
        }
        let quiet_speedup = if self.loaded_per_sec > 0.0 {
            smooth(self.quiet_speedup, measured / self.loaded_per_sec, weight)
        } else {
            self.quiet_speedup
        };
        Phases {
            quiet_per_sec: smooth(self.quiet_per_sec, measured, weight),
            quiet_speedup,
            ..self
        }
    }
}

/// `prev` moved `weight` of the way to `measured`; a first value (`prev`
/// 0) is taken whole.
fn smooth(prev: f64, measured: f64, weight: f64) -> f64 {
    if prev <= 0.0 {
        measured
    } else {
        prev + weight * (measured - prev)
    }
}

/// Whether this busy period's samples are averaged as equals: not when its
/// first one measured next to nothing. A consumer stopped just as the
/// backlog formed must not make every wait look endless; that case is left
/// to the smoothing, like any drop within a busy period.
fn warms_up(sampling: &DrainSampling, prev: DrainRate, measured: f64) -> bool {
    !(sampling.busy_started && measured < 0.1 * prev.per_sec)
}

/// Folds one period's measured rate into the estimate with weight `alpha`
/// (0..=1, from [`weight`]).
pub fn fold(prev: DrainRate, measured: f64, alpha: f64, saturated: bool) -> DrainRate {
    if !saturated && measured <= prev.per_sec {
        // An idle consumer says nothing about its capacity.
        return prev;
    }
    let per_sec = prev.per_sec + alpha * (measured - prev.per_sec);
    let deviation = measured - prev.per_sec;
    let variance = (1.0 - alpha) * (prev.variance + alpha * deviation * deviation);
    DrainRate {
        per_sec,
        variance,
        busy_measured: prev.busy_measured || saturated,
        ..prev
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    /// One second's weight at a 5-second time constant: 1 − e^(−1/5).
    const SECOND: f64 = 0.181_269_246_922_018_1;

    /// One-second sampling with a 5-second time constant, the intake
    /// backed up for `busy_secs`.
    fn backed_up(busy_started: bool, busy_secs: f64) -> DrainSampling {
        DrainSampling {
            period: Duration::from_secs(1),
            time_constant: Duration::from_secs(5),
            saturated: true,
            busy_started,
            busy_secs,
            quiet: false,
        }
    }

    /// A one-second period at `per_sec`, after another like it.
    fn steady(per_sec: f64) -> Period {
        Period {
            left: per_sec as i64,
            elapsed_secs: 1.0,
            before: (per_sec as i64, 1.0),
        }
    }

    #[test]
    fn the_estimate_moves_towards_a_new_rate_within_a_few_time_constants() {
        let mut rate = DrainRate {
            per_sec: 100.0,
            variance: 0.0,
            ..DrainRate::default()
        };
        for _ in 0..15 {
            rate = fold(rate, 400.0, SECOND, true);
        }
        assert!(rate.per_sec > 380.0 && rate.per_sec < 400.0, "{rate:?}");
        for _ in 0..15 {
            rate = fold(rate, 50.0, SECOND, true);
        }
        assert!(rate.per_sec > 50.0 && rate.per_sec < 70.0, "{rate:?}");
    }

    #[test]
    fn a_busy_period_averages_its_seconds_unless_its_first_measured_nothing() {
        let prev = DrainRate {
            per_sec: 900.0,
            variance: 0.0,
            ..DrainRate::default()
        };
        let start = backed_up(true, 1.0);
        assert!(warms_up(&start, prev, 400.0));
        assert!(!warms_up(&start, prev, 10.0));
        // The first busy second weighs as much as the estimate inherited.
        assert_eq!(weight(1.0, 5.0, &start, true), 0.5);
        assert!((weight(1.0, 5.0, &start, false) - SECOND).abs() < 1e-12);
    }

    #[test]
    fn an_idle_queue_never_lowers_the_estimate() {
        let prev = DrainRate {
            per_sec: 300.0,
            variance: 10.0,
            ..DrainRate::default()
        };
        assert_eq!(fold(prev, 0.0, SECOND, false), prev);
        assert!(fold(prev, 500.0, SECOND, false).per_sec > 300.0);
    }

    #[test]
    fn a_steady_rate_has_no_spread_and_a_noisy_one_has_some() {
        let start = DrainRate {
            per_sec: 200.0,
            variance: 0.0,
            ..DrainRate::default()
        };
        let (mut steady, mut noisy) = (start, start);
        for i in 0..50 {
            steady = fold(steady, 200.0, SECOND, true);
            noisy = fold(noisy, if i % 2 == 0 { 100.0 } else { 300.0 }, SECOND, true);
        }
        assert!(steady.std_dev() < 1.0, "{steady:?}");
        assert!(noisy.std_dev() > 50.0, "{noisy:?}");
    }

    #[test]
    fn a_stopped_drain_keeps_its_busy_rate_for_a_while_then_takes_the_low_one() {
        let busy = DrainRate {
            per_sec: 400.0,
            busy_measured: true,
            variance: 0.0,
            ..DrainRate::default()
        };
        let during = backed_up(false, 30.0);
        assert_eq!(step(busy, &steady(0.0), 5.0, &during, None), (busy, true));
        assert_eq!(
            step(busy, &steady(20.0), 5.0, &during, Some(30.0)),
            (busy, true)
        );
        let (late, stalled) = step(busy, &steady(20.0), 5.0, &during, Some(61.0));
        assert!(stalled && late.per_sec < 400.0, "{late:?}");
        // A slowdown (not a stop) is smoothed in; no backlog, no stop.
        let (slower, stalled) = step(busy, &steady(200.0), 5.0, &during, None);
        assert!(!stalled && slower.per_sec < 400.0 && slower.per_sec > 200.0);
        let idle = DrainSampling {
            saturated: false,
            ..during
        };
        assert_eq!(
            step(busy, &steady(0.0), 5.0, &idle, Some(10.0)),
            (busy, false)
        );
    }

    #[test]
    fn early_in_a_busy_period_every_second_weighs_alike() {
        let lumpy = [1000.0, 200.0, 600.0, 440.0];
        let mut rate = DrainRate {
            per_sec: 560.0,
            busy_measured: true,
            ..DrainRate::default()
        };
        let mut sampling = backed_up(true, 1.0);
        let mut before = 0;
        for (i, measured) in lumpy.into_iter().enumerate() {
            sampling.busy_started = i == 0;
            sampling.busy_secs = (i + 1) as f64;
            let period = Period {
                left: measured as i64,
                elapsed_secs: 1.0,
                before: (before, 1.0),
            };
            let stalled;
            (rate, stalled) = step(rate, &period, 5.0, &sampling, None);
            assert!(!stalled, "a lean second between batches is not a stop");
            before = period.left;
        }
        // The mean of the busy period's seconds and the estimate it
        // inherited, (560 + 2,240) / 5: not its first second (1,000/s) nor
        // an average still leaning on it.
        assert!((rate.per_sec - 560.0).abs() < 1e-6, "{rate:?}");
        // Once the busy period is a time constant long, a second weighs
        // what the smoothing gives it.
        sampling.busy_secs = 30.0;
        assert!((weight(1.0, 5.0, &sampling, true) - SECOND).abs() < 1e-12);
    }

    #[test]
    fn the_first_busy_rate_ever_measured_is_taken_whole() {
        // Before any backlog, quiet periods only raised the estimate to the
        // arrival rate they saw.
        let quiet = DrainSampling {
            saturated: false,
            ..backed_up(false, 0.0)
        };
        let (trickle, _) = step(DrainRate::default(), &steady(3.0), 5.0, &quiet, None);
        assert!(
            trickle.per_sec > 0.0 && !trickle.busy_measured,
            "{trickle:?}"
        );
        let (first, stalled) = step(trickle, &steady(640.0), 5.0, &backed_up(true, 1.0), None);
        assert!(!stalled && first.busy_measured);
        assert_eq!(first.per_sec, 640.0);
        // Once there is an estimate, the next busy second is averaged in.
        let (next, _) = step(first, &steady(840.0), 5.0, &backed_up(false, 2.0), None);
        assert!(next.per_sec > 640.0 && next.per_sec < 840.0, "{next:?}");
    }

    #[test]
    fn a_quiet_phase_measures_its_speedup_over_the_loaded_rate_before_it() {
        let (loaded, quiet) = (
            backed_up(false, 5.0),
            DrainSampling {
                quiet: true,
                ..backed_up(false, 12.0)
            },
        );
        let mut phases = Phases::default();
        // A quiet period before any loaded one: no speed-up to measure.
        phases = phases.after(&steady(700.0), 5.0, &quiet, false);
        assert_eq!((phases.quiet_per_sec, phases.quiet_speedup), (700.0, 0.0));
        phases = phases.after(&steady(500.0), 5.0, &loaded, false);
        assert_eq!(phases.loaded_per_sec, 500.0);
        phases = phases.after(&steady(800.0), 5.0, &quiet, false);
        assert!((phases.quiet_per_sec - (700.0 + SECOND * 100.0)).abs() < 1e-9);
        assert_eq!(phases.quiet_speedup, 1.6, "the first ratio is taken whole");
        phases = phases.after(&steady(1000.0), 5.0, &quiet, false);
        assert!((phases.quiet_speedup - (1.6 + SECOND * 0.4)).abs() < 1e-9);
        // A stop or an idle queue measures neither phase.
        assert_eq!(phases.after(&steady(0.0), 5.0, &quiet, true), phases);
        let idle = DrainSampling {
            saturated: false,
            ..loaded
        };
        assert_eq!(phases.after(&steady(50.0), 5.0, &idle, false), phases);
    }
}
