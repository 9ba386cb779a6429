//! The intake's measured drain rate, shared by every gateway replica: how
//! many registrations per second leave `queued`, counted from
//! `status_history` (the verifier records each one's `queued → verifying`
//! there when it starts on it). One replica samples per period; all read.

use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Double};
use diesel_async::RunQueryDsl;

use crate::drain_count::{Mark, count_left_queued};
use crate::{Store, StoreError};

/// The smoothed drain rate and the spread of the per-period rates.
#[derive(Debug, Clone, Copy, Default, PartialEq, QueryableByName)]
pub struct DrainRate {
    #[diesel(sql_type = Double)]
    pub per_sec: f64,
    /// Smoothed variance of the per-period rate around `per_sec`.
    #[diesel(sql_type = Double)]
    pub variance: f64,
    /// How long the drain has been stopped (a backlog and next to nothing
    /// leaving it); 0 while it runs. `per_sec` is then the last busy rate.
    #[diesel(sql_type = Double)]
    pub stalled_secs: f64,
    /// Registrations that have left `queued` so far (a running count, for
    /// queue marks: see `registrations ahead` in docs/architecture.md).
    #[diesel(sql_type = BigInt)]
    pub total_left: i64,
}

/// A saturated period whose measured rate is below this share of the
/// estimate is a stop, not a slowdown.
const STALL_SHARE: f64 = 0.25;
/// A stop is held (the busy rate kept) for at most this many time
/// constants; past that the low rate is folded in like any other.
const STALL_HOLD_TAUS: f64 = 12.0;

impl DrainRate {
    pub fn std_dev(&self) -> f64 {
        self.variance.max(0.0).sqrt()
    }
}

#[derive(QueryableByName)]
struct Claim {
    #[diesel(sql_type = BigInt)]
    last_history_id: i64,
    #[diesel(sql_type = BigInt)]
    floor_history_id: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    last_snapshot: Option<String>,
    #[diesel(sql_type = Double)]
    elapsed_secs: f64,
    #[diesel(sql_type = Double)]
    per_sec: f64,
    #[diesel(sql_type = Double)]
    variance: f64,
    #[diesel(sql_type = BigInt)]
    last_left: i64,
    #[diesel(sql_type = Double)]
    last_elapsed_secs: f64,
    /// Seconds since the stop began, if the drain is stopped.
    #[diesel(sql_type = diesel::sql_types::Nullable<Double>)]
    stalled_secs: Option<f64>,
}

/// How a sample updates the estimate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DrainSampling {
    /// Minimum time between samples (any replica).
    pub period: Duration,
    /// Time constant of the smoothing: a change in the rate is mostly
    /// reflected after this long.
    pub time_constant: Duration,
    /// True when the intake queue held a backlog over the period: the
    /// consumers were busy, so the rate measured is their capacity. With an
    /// empty queue the rate measured is only the arrival rate, a lower bound
    /// of the capacity: the estimate then only rises.
    pub saturated: bool,
    /// True for the first saturated period after an idle one.
    pub busy_started: bool,
    /// How long the intake has been backlogged, this period included (0
    /// when it is not): see [`weight`].
    pub busy_secs: f64,
}

impl Store {
    /// The shared drain rate as last sampled.
    pub async fn drain_rate(&self) -> Result<DrainRate, StoreError> {
        self.with_conn(|conn, _| {
            Box::pin(async move {
                Ok(diesel::sql_query(
                    "SELECT per_sec, variance, total_left, coalesce(extract(epoch FROM \
                             now() - stalled_since)::float8, 0) AS stalled_secs \
                         FROM intake_drain",
                )
                .get_result(conn)
                .await?)
            })
        })
        .await
    }

    /// Takes this period's sample if no replica has (else returns `None`):
    /// counts the registrations that left `queued` since the last sample and
    /// folds their rate into the estimate.
    pub async fn sample_drain(
        &self,
        sampling: DrainSampling,
    ) -> Result<Option<DrainRate>, StoreError> {
        let min_gap = sampling.period.as_secs_f64() * 0.9;
        let tau = sampling.time_constant.as_secs_f64().max(0.001);
        self.transaction(move |conn, _| {
            Box::pin(async move {
                let claim: Option<Claim> = {
                    use diesel::OptionalExtension;
                    diesel::sql_query(
                        "SELECT last_history_id, floor_history_id, last_snapshot, per_sec, variance, \
                             last_left, last_elapsed_secs, \
                             extract(epoch FROM now() - sampled_at)::float8 AS elapsed_secs, \
                             extract(epoch FROM now() - stalled_since)::float8 AS stalled_secs \
                         FROM intake_drain \
                         WHERE sampled_at <= now() - make_interval(secs => $1) \
                         FOR UPDATE SKIP LOCKED",
                    )
                    .bind::<Double, _>(min_gap)
                    .get_result(conn)
                    .await
                    .optional()?
                };
                let Some(claim) = claim else { return Ok(None) };
                let counted = count_left_queued(
                    conn,
                    &Mark {
                        last_history_id: claim.last_history_id,
                        floor_history_id: claim.floor_history_id,
                        snapshot: claim.last_snapshot.clone(),
                    },
                )
                .await?;
                // A first sample, or one after a long pause (no replica
                // sampling), only sets the starting point: what left the
                // queue before it is not this period's drain.
                let first = claim.last_snapshot.is_none()
                    || !claim.elapsed_secs.is_finite()
                    || claim.elapsed_secs > sampling.period.as_secs_f64() * 10.0;
                let prev = DrainRate {
                    per_sec: claim.per_sec,
                    variance: claim.variance,
                    ..DrainRate::default()
                };
                let (rate, stalled) = if first {
                    (prev, false)
                } else {
                    let period = Period {
                        left: counted.left_queued,
                        elapsed_secs: claim.elapsed_secs,
                        before: (claim.last_left, claim.last_elapsed_secs),
                    };
                    step(prev, &period, tau, &sampling, claim.stalled_secs)
                };
                let row: DrainRate = diesel::sql_query(
                    "UPDATE intake_drain SET last_history_id = $1, per_sec = $2, \
                         variance = $3, sampled_at = now(), total_left = total_left + $4, \
                         stalled_since = CASE WHEN $5 THEN coalesce(stalled_since, now()) END, \
                         floor_history_id = $6, last_snapshot = $7, last_left = $4, \
                         last_elapsed_secs = extract(epoch FROM now() - sampled_at)::float8 \
                     RETURNING per_sec, variance, total_left, coalesce(extract(epoch FROM \
                         now() - stalled_since)::float8, 0) AS stalled_secs",
                )
                .bind::<BigInt, _>(counted.next.last_history_id)
                .bind::<Double, _>(rate.per_sec)
                .bind::<Double, _>(rate.variance)
                .bind::<BigInt, _>(counted.left_queued)
                .bind::<diesel::sql_types::Bool, _>(stalled)
                .bind::<BigInt, _>(counted.next.floor_history_id)
                .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(
                    counted.next.snapshot,
                )
                .get_result(conn)
                .await?;
                Ok(Some(row))
            })
        })
        .await
    }
}

/// One period's update: the new estimate, and whether the drain is stopped.
/// A saturated period that measured under a quarter of the estimate is a
/// stop: the estimate keeps the busy rate (a rate falling towards zero
/// would make every wait look endless, and the drain usually comes back at
/// the rate it had), for at most `STALL_HOLD_TAUS` time constants, past
/// which a low rate is taken as the new rate. `stalled_secs`: how long the
/// stop has lasted before this period, if one is under way.
fn step(
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
    (
        fold(
            prev,
            measured,
            weight(
                elapsed_secs,
                tau,
                sampling,
                warms_up(sampling, prev, measured),
            ),
            sampling.saturated,
        ),
        stopped,
    )
}

/// One sampling period: what left `queued` in it, over how long, and the
/// same of the period before it.
#[derive(Debug, Clone, Copy)]
struct Period {
    left: i64,
    elapsed_secs: f64,
    before: (i64, f64),
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
        ..prev
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One second's weight at a 5-second time constant: 1 − e^(−1/5).
    const SECOND: f64 = 0.181_269_246_922_018_1;

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
        let start = DrainSampling {
            period: Duration::from_secs(1),
            time_constant: Duration::from_secs(5),
            saturated: true,
            busy_started: true,
            busy_secs: 1.0,
        };
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
            variance: 0.0,
            ..DrainRate::default()
        };
        let during = DrainSampling {
            period: Duration::from_secs(1),
            time_constant: Duration::from_secs(5),
            saturated: true,
            busy_started: false,
            busy_secs: 30.0,
        };
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
            ..DrainRate::default()
        };
        let mut sampling = DrainSampling {
            period: Duration::from_secs(1),
            time_constant: Duration::from_secs(5),
            saturated: true,
            busy_started: true,
            busy_secs: 1.0,
        };
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
}
