//! How one sampling period updates the shared drain estimate: the
//! weighting of a period's rate, the warm-up of a busy period, telling a
//! stopped drain from a slow one, and the rates of a backlog's loaded and
//! quiet phases. Pure arithmetic; `drain` does the counting and the
//! storing.

use crate::drain::{DrainRate, DrainSampling};

/// A saturated period whose rate (over it and the period before) is below
/// this share of the estimate is a stop, not a slowdown.
const STALL_SHARE: f64 = 0.25;
/// A stop is held (the busy rate kept) for at most this many time
/// constants; past that the low rate is folded in like any other.
const STALL_HOLD_TAUS: f64 = 12.0;

/// What one period did to the estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Stepped {
    pub rate: DrainRate,
    /// The drain is stopped.
    pub stalled: bool,
    /// The rate folded in and the seconds it covered: this period's, or
    /// this and a lean one before it judged together; `None` when nothing
    /// was folded (a stop, or a lean period awaiting the next).
    pub measured: Option<(f64, f64)>,
}

/// One period's update. A saturated period that, with the period before
/// it, measured under a quarter of the estimate is a stop: the estimate
/// keeps the busy rate (a rate falling towards zero would make every wait
/// look endless, and the drain usually comes back at the rate it had), for
/// at most `STALL_HOLD_TAUS` time constants, past which a low rate is taken
/// as the new rate. One such lean period alone is not folded in either: it
/// may fall between two verifier batches, or be a stop's first, and is
/// judged with the next (folding it alone took a fifth off the estimate
/// early in a busy period before the stop was seen). `stalled_secs`: how
/// long the stop has lasted before this period, if one is under way.
pub(crate) fn step(
    prev: DrainRate,
    period: &Period,
    tau: f64,
    sampling: &DrainSampling,
    stalled_secs: Option<f64>,
) -> Stepped {
    let lean =
        |rate: f64| sampling.saturated && prev.per_sec > 0.0 && rate < STALL_SHARE * prev.per_sec;
    let holding = stalled_secs.unwrap_or(0.0) < STALL_HOLD_TAUS * tau;
    let stopped = lean(period.rate_over_two());
    if holding && (stopped || lean(period.rate())) {
        return Stepped {
            rate: prev,
            stalled: stopped,
            measured: None,
        };
    }
    // After a lean period that was held (not a stop's last: a drain that
    // starts again is measured from its own period), the two together.
    let (left, secs) = period.before;
    let before_held = holding
        && stalled_secs.is_none()
        && !sampling.busy_started
        && lean(left as f64 / secs.max(0.001));
    let (measured, elapsed_secs) = if before_held {
        (period.rate_over_two(), period.elapsed_secs + secs)
    } else {
        (period.rate(), period.elapsed_secs)
    };
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
    Stepped {
        rate: fold(prev, measured, alpha, sampling.saturated),
        stalled: stopped,
        measured: Some((measured, elapsed_secs)),
    }
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
    /// After one period: a backed-up period updates the rate of its phase
    /// with what `step` measured (`Stepped::measured`); a quiet one also the
    /// speed-up over the loaded rate. A stop, a lean period awaiting the
    /// next, or an idle queue measures neither phase.
    pub(crate) fn after(
        self,
        measured: Option<(f64, f64)>,
        tau: f64,
        sampling: &DrainSampling,
    ) -> Phases {
        let Some((measured, secs)) = measured.filter(|_| sampling.saturated) else {
            return self;
        };
        let weight = 1.0 - (-secs.max(0.0) / tau).exp();
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
#[path = "drain_estimate_tests.rs"]
mod tests;
