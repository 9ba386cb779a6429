//! Unit tests of the drain estimate's arithmetic.

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

fn judged(stepped: Stepped) -> (DrainRate, bool) {
    (stepped.rate, stepped.stalled)
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
    assert_eq!(
        judged(step(busy, &steady(0.0), 5.0, &during, None)),
        (busy, true)
    );
    assert_eq!(
        judged(step(busy, &steady(20.0), 5.0, &during, Some(30.0))),
        (busy, true)
    );
    let (late, stalled) = judged(step(busy, &steady(20.0), 5.0, &during, Some(61.0)));
    assert!(stalled && late.per_sec < 400.0, "{late:?}");
    // A slowdown (not a stop) is smoothed in; no backlog, no stop.
    let (slower, stalled) = judged(step(busy, &steady(200.0), 5.0, &during, None));
    assert!(!stalled && slower.per_sec < 400.0 && slower.per_sec > 200.0);
    let idle = DrainSampling {
        saturated: false,
        ..during
    };
    assert_eq!(
        judged(step(busy, &steady(0.0), 5.0, &idle, Some(10.0))),
        (busy, false)
    );
}

#[test]
fn a_lean_period_is_judged_with_the_next_and_never_alone() {
    let busy = DrainRate {
        per_sec: 400.0,
        busy_measured: true,
        ..DrainRate::default()
    };
    let during = backed_up(false, 3.0);
    let lean = Period {
        left: 0,
        elapsed_secs: 1.0,
        before: (400, 1.0),
    };
    let held = step(busy, &lean, 5.0, &during, None);
    assert_eq!(
        (held.rate, held.stalled, held.measured),
        (busy, false, None)
    );
    // A batch in the next second: the two seconds are one measure.
    let batch = Period {
        left: 500,
        elapsed_secs: 1.0,
        before: (0, 1.0),
    };
    let after = step(busy, &batch, 5.0, &during, None);
    assert_eq!(after.measured, Some((250.0, 2.0)));
    assert!(after.rate.per_sec < 400.0 && after.rate.per_sec > 250.0);
    // Nothing in the next either: a stop, at the rate before the first.
    let none = Period {
        before: (0, 1.0),
        ..lean
    };
    assert_eq!(judged(step(busy, &none, 5.0, &during, None)), (busy, true));
    // The drain starting again after a stop is measured on its own.
    let again = step(busy, &batch, 5.0, &during, Some(4.0));
    assert_eq!(again.measured, Some((500.0, 1.0)));
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
        (rate, stalled) = judged(step(rate, &period, 5.0, &sampling, None));
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
    let trickle = step(DrainRate::default(), &steady(3.0), 5.0, &quiet, None).rate;
    assert!(
        trickle.per_sec > 0.0 && !trickle.busy_measured,
        "{trickle:?}"
    );
    let (first, stalled) = judged(step(
        trickle,
        &steady(640.0),
        5.0,
        &backed_up(true, 1.0),
        None,
    ));
    assert!(!stalled && first.busy_measured);
    assert_eq!(first.per_sec, 640.0);
    // Once there is an estimate, the next busy second is averaged in.
    let next = step(first, &steady(840.0), 5.0, &backed_up(false, 2.0), None).rate;
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
    phases = phases.after(Some((700.0, 1.0)), 5.0, &quiet);
    assert_eq!((phases.quiet_per_sec, phases.quiet_speedup), (700.0, 0.0));
    phases = phases.after(Some((500.0, 1.0)), 5.0, &loaded);
    assert_eq!(phases.loaded_per_sec, 500.0);
    phases = phases.after(Some((800.0, 1.0)), 5.0, &quiet);
    assert!((phases.quiet_per_sec - (700.0 + SECOND * 100.0)).abs() < 1e-9);
    assert_eq!(phases.quiet_speedup, 1.6, "the first ratio is taken whole");
    phases = phases.after(Some((1000.0, 1.0)), 5.0, &quiet);
    assert!((phases.quiet_speedup - (1.6 + SECOND * 0.4)).abs() < 1e-9);
    // A stop (nothing measured) or an idle queue measures neither phase.
    assert_eq!(phases.after(None, 5.0, &quiet), phases);
    let idle = DrainSampling {
        saturated: false,
        ..loaded
    };
    assert_eq!(phases.after(Some((50.0, 1.0)), 5.0, &idle), phases);
}
