//! The intake's measured drain rate, shared by every gateway replica: how
//! many registrations per second leave `queued`, counted from
//! `status_history` (the verifier records each one's `queued → verifying`
//! there when it starts on it). One replica samples per period; all read.

use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Double};
use diesel_async::RunQueryDsl;

use crate::drain_count::{Mark, count_left_queued};
use crate::drain_estimate::{Period, Phases, step};
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
    /// The smoothed rate of periods in which the intake was backed up and
    /// (almost) nothing arrived: what the pipeline drains once a burst is
    /// over (0 until such a period was seen). Estimates use the speed-up
    /// below instead (a quiet rate does not carry over to a day of another
    /// capacity); this is the figure an operator reads beside `per_sec`.
    #[diesel(sql_type = Double)]
    pub quiet_per_sec: f64,
    /// The smoothed rate of backed-up periods while arrivals went on, and
    /// how much faster the quiet rate was than it (0 until measured; see
    /// `drain_estimate::Phases`).
    #[diesel(sql_type = Double)]
    pub loaded_per_sec: f64,
    #[diesel(sql_type = Double)]
    pub quiet_speedup: f64,
    /// Whether `per_sec` was measured with the intake backed up; until then
    /// it is at most the arrival rate seen, a lower bound of the capacity.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    pub busy_measured: bool,
}

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
    #[diesel(sql_type = Double)]
    quiet_per_sec: f64,
    #[diesel(sql_type = Double)]
    loaded_per_sec: f64,
    #[diesel(sql_type = Double)]
    quiet_speedup: f64,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    busy_measured: bool,
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
    /// when it is not): see `drain_estimate::weight`.
    pub busy_secs: f64,
    /// Saturated, and (almost) nothing arrived: the queue's depth fell by
    /// at least three quarters of what drained. Such periods measure the
    /// drain once a burst is over (`DrainRate::quiet_per_sec`).
    pub quiet: bool,
}

impl Store {
    /// The shared drain rate as last sampled.
    pub async fn drain_rate(&self) -> Result<DrainRate, StoreError> {
        self.with_conn(|conn, _| {
            Box::pin(async move {
                Ok(diesel::sql_query(
                    "SELECT per_sec, variance, total_left, quiet_per_sec, loaded_per_sec, \
                             quiet_speedup, busy_measured, coalesce(extract(epoch FROM now() - stalled_since)::float8, 0) \
                             AS stalled_secs \
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
                             quiet_per_sec, loaded_per_sec, quiet_speedup, busy_measured, \
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
                    busy_measured: claim.busy_measured,
                    ..DrainRate::default()
                };
                let phases = Phases {
                    quiet_per_sec: claim.quiet_per_sec,
                    loaded_per_sec: claim.loaded_per_sec,
                    quiet_speedup: claim.quiet_speedup,
                };
                let (rate, stalled, phases) = if first {
                    (prev, false, phases)
                } else {
                    let period = Period {
                        left: counted.left_queued,
                        elapsed_secs: claim.elapsed_secs,
                        before: (claim.last_left, claim.last_elapsed_secs),
                    };
                    let stepped = step(prev, &period, tau, &sampling, claim.stalled_secs);
                    let phases = phases.after(stepped.measured, tau, &sampling);
                    (stepped.rate, stepped.stalled, phases)
                };
                let row: DrainRate = diesel::sql_query(
                    "UPDATE intake_drain SET last_history_id = $1, per_sec = $2, \
                         variance = $3, sampled_at = now(), total_left = total_left + $4, \
                         stalled_since = CASE WHEN $5 THEN coalesce(stalled_since, now()) END, \
                         floor_history_id = $6, last_snapshot = $7, last_left = $4, \
                         last_elapsed_secs = extract(epoch FROM now() - sampled_at)::float8, \
                         quiet_per_sec = $8, busy_measured = $9, loaded_per_sec = $10, \
                         quiet_speedup = $11 \
                     RETURNING per_sec, variance, total_left, quiet_per_sec, loaded_per_sec, \
                         quiet_speedup, busy_measured, \
                         coalesce(extract(epoch FROM now() - stalled_since)::float8, 0) AS stalled_secs",
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
                .bind::<Double, _>(phases.quiet_per_sec)
                .bind::<diesel::sql_types::Bool, _>(rate.busy_measured)
                .bind::<Double, _>(phases.loaded_per_sec)
                .bind::<Double, _>(phases.quiet_speedup)
                .get_result(conn)
                .await?;
                Ok(Some(row))
            })
        })
        .await
    }
}
