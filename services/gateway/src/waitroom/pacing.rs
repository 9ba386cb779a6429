//! How fast the queue lets people in: at the measured drain rate of the
//! intake, corrected towards a small backlog, never above the global
//! limit, and never with more permissions outstanding than the pipeline
//! drains while one permission lasts. Pure, so it is tested on its own.

/// What a tick knows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PacingInput {
    /// The shared, smoothed drain rate (registrations leaving `queued`/s).
    pub drain_per_sec: f64,
    /// Messages waiting in the intake queue now.
    pub backlog: f64,
    /// The rate the previous tick used.
    pub previous_per_sec: f64,
    /// Permissions handed out and neither used nor expired.
    pub outstanding: f64,
    /// Seconds since the previous tick.
    pub elapsed_secs: f64,
    /// The fraction of a ticket owed by the previous tick.
    pub credit: f64,
}

/// Fixed by configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PacingLimits {
    /// Backlog to aim for, in seconds of drain.
    pub target_backlog_secs: f64,
    /// Floor of the rate, used until anything is measured.
    pub min_per_sec: f64,
    /// Ceiling: `admission.global_per_sec`, what the gateway lets through.
    pub max_per_sec: f64,
    /// How long a permission lasts, in seconds.
    pub permit_secs: f64,
}

/// What this tick does: admit `count` tickets, carry `credit` over, and
/// remember `per_sec` as the rate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Pacing {
    pub per_sec: f64,
    pub count: i64,
    pub credit: f64,
}

/// One tick's decision.
///
/// * Backlog above target: the drain rate, less what brings the backlog back
///   to target within one target period.
/// * Backlog below target: the workers may be idle, and an idle consumer's
///   rate says nothing about its capacity; probe upwards (×1.25 per tick)
///   from the larger of the previous rate and the drain rate.
/// * Outstanding permissions are capped at what the pipeline drains during
///   one permission: applicants filling in the form are a backlog that has
///   not reached the queue yet.
pub fn pace(input: PacingInput, limits: PacingLimits) -> Pacing {
    let drain = input.drain_per_sec.max(0.0);
    let target = (drain * limits.target_backlog_secs).max(limits.min_per_sec);
    let per_sec = if input.backlog > target {
        drain - (input.backlog - target) / limits.target_backlog_secs
    } else {
        input.previous_per_sec.max(drain) * 1.25
    };
    let per_sec = per_sec.clamp(
        limits.min_per_sec,
        limits.max_per_sec.max(limits.min_per_sec),
    );
    let owed = per_sec * input.elapsed_secs.max(0.0) + input.credit.max(0.0);
    // What the pipeline drains is known only while it is backed up; below
    // the target it is at least the rate being probed. Capping an idle
    // pipeline at its arrival rate starved the opening: nobody had
    // submitted yet, so almost nobody was let in (docs/benchmarks.md).
    let capacity = if input.backlog > target {
        drain
    } else {
        drain.max(per_sec)
    };
    let room = (capacity.max(limits.min_per_sec) * limits.permit_secs - input.outstanding).max(0.0);
    let count = owed.floor().min(room.floor());
    Pacing {
        per_sec,
        count: count as i64,
        credit: if owed.floor() > room.floor() {
            0.0
        } else {
            owed - owed.floor()
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PacingLimits = PacingLimits {
        target_backlog_secs: 10.0,
        min_per_sec: 5.0,
        max_per_sec: 3_000.0,
        permit_secs: 600.0,
    };

    fn input(drain: f64, backlog: f64, previous: f64) -> PacingInput {
        PacingInput {
            drain_per_sec: drain,
            backlog,
            previous_per_sec: previous,
            outstanding: 0.0,
            elapsed_secs: 1.0,
            credit: 0.0,
        }
    }

    #[test]
    fn at_target_backlog_the_rate_is_the_drain_rate_probed_upwards() {
        let p = pace(input(400.0, 4_000.0, 400.0), LIMITS);
        assert_eq!(p.per_sec, 500.0);
        assert_eq!(p.count, 500);
    }

    #[test]
    fn a_backlog_above_target_slows_admission_below_the_drain_rate() {
        let p = pace(input(400.0, 6_000.0, 600.0), LIMITS);
        assert_eq!(p.per_sec, 200.0);
    }

    #[test]
    fn the_rate_follows_a_drain_rate_that_halves() {
        // Saturated at 400/s, then the workers slow to 200/s: the backlog
        // the old rate built is worked off, and the rate settles at 200/s.
        let mut rate = 400.0;
        let mut backlog = 4_000.0;
        for _ in 0..120 {
            let p = pace(input(200.0, backlog, rate), LIMITS);
            rate = p.per_sec;
            backlog = (backlog + rate - 200.0).max(0.0);
        }
        assert!((rate - 200.0).abs() < 60.0, "rate {rate}");
        assert!((backlog - 2_000.0).abs() < 500.0, "backlog {backlog}");
    }

    #[test]
    fn never_above_the_global_limit_nor_below_the_floor() {
        assert_eq!(
            pace(input(10_000.0, 0.0, 10_000.0), LIMITS).per_sec,
            3_000.0
        );
        assert_eq!(pace(input(0.0, 1_000_000.0, 0.0), LIMITS).per_sec, 5.0);
    }

    #[test]
    fn outstanding_permissions_cap_the_admissions_at_what_a_backed_up_pipeline_drains() {
        // Backed up (backlog above 10 s of drain): the drain is its capacity.
        let mut i = input(100.0, 1_050.0, 1_000.0);
        i.outstanding = 100.0 * 600.0 - 30.0;
        let p = pace(i, LIMITS);
        assert_eq!(p.per_sec, 95.0);
        assert_eq!(p.count, 30);
        assert_eq!(p.credit, 0.0);
    }

    #[test]
    fn an_idle_pipeline_is_not_capped_at_its_arrival_rate() {
        // At opening nobody has submitted yet: the drain measured is the
        // trickle of arrivals, not what the pipeline can take. The cap is
        // then the rate being probed.
        let mut i = input(1.0, 0.0, 400.0);
        i.outstanding = 5.0 * 600.0;
        let p = pace(i, LIMITS);
        assert_eq!(p.per_sec, 500.0);
        assert_eq!(p.count, 500);
    }

    #[test]
    fn fractions_of_a_ticket_carry_over() {
        let mut i = input(0.0, 0.0, 0.0);
        i.elapsed_secs = 0.1;
        let first = pace(i, LIMITS);
        assert_eq!(first.count, 0);
        i.credit = first.credit;
        i.previous_per_sec = first.per_sec;
        let mut admitted = 0;
        for _ in 0..9 {
            let p = pace(i, LIMITS);
            admitted += p.count;
            i.credit = p.credit;
        }
        assert!(admitted >= 4, "admitted {admitted}");
    }
}
