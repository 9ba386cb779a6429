//! The shared drain rate, counted from registrations leaving `queued`.

use std::time::Duration;

use diesel_async::RunQueryDsl;
use lonjak_store::{DrainRate, DrainSampling};

use crate::helpers::{TestStore, record, registration, verified};

fn sampling() -> DrainSampling {
    DrainSampling {
        period: Duration::from_secs(1),
        time_constant: Duration::from_secs(5),
        saturated: true,
        busy_started: false,
        busy_secs: 30.0,
        quiet: false,
    }
}

/// Moves the last sample one period into the past, as if a second had gone by.
async fn age_sample(app: &TestStore) {
    diesel::sql_query("UPDATE intake_drain SET sampled_at = sampled_at - interval '1 second'")
        .execute(&mut app.raw().await)
        .await
        .expect("age the sample");
}

/// The sample of the next period, a period later.
async fn next_sample(app: &TestStore, sampling: DrainSampling) -> DrainRate {
    age_sample(app).await;
    app.store
        .sample_drain(sampling)
        .await
        .expect("sampled")
        .expect("a sample this period")
}

/// A store whose first sample set the start, and whose second counted 50
/// registrations that left `queued` in a busy second.
async fn fifty_left_in_a_busy_second() -> (TestStore, DrainRate) {
    let app = TestStore::spawn().await;
    record(&app, registration(0), verified()).await;
    app.store
        .sample_drain(sampling())
        .await
        .expect("store call");
    for i in 1..=50 {
        record(&app, registration(i), verified()).await;
    }
    let busy = next_sample(&app, sampling()).await;
    (app, busy)
}

#[tokio::test]
async fn the_drain_rate_counts_registrations_leaving_queued_once_per_period() {
    let app = TestStore::spawn().await;
    record(&app, registration(0), verified()).await;
    let first = app
        .store
        .sample_drain(sampling())
        .await
        .expect("store call");
    let again = app
        .store
        .sample_drain(sampling())
        .await
        .expect("store call");
    assert_eq!(
        first.map(|r| r.per_sec),
        Some(0.0),
        "the first sample sets the start"
    );
    assert_eq!(again, None, "one sample per period, whoever asks");

    for i in 1..=50 {
        record(&app, registration(i), verified()).await;
    }
    let rate = next_sample(&app, sampling()).await;

    // 50 left `queued` in about a second, the first busy rate ever
    // measured: taken whole, not averaged with the 0 before it.
    assert!(rate.per_sec > 40.0 && rate.per_sec <= 50.0, "{rate:?}");
    assert!(rate.busy_measured);
    assert_eq!(app.store.drain_rate().await.expect("drain rate"), rate);
}

#[tokio::test]
async fn an_idle_period_does_not_lower_the_drain_rate() {
    let (app, busy) = fifty_left_in_a_busy_second().await;

    let idle = DrainSampling {
        saturated: false,
        ..sampling()
    };
    let after = next_sample(&app, idle).await;

    assert!(busy.per_sec > 0.0);
    assert_eq!(after.per_sec, busy.per_sec);
}

#[tokio::test]
async fn a_backlog_that_stops_draining_keeps_the_busy_rate_and_counts_the_stop() {
    let (app, busy) = fifty_left_in_a_busy_second().await;
    assert_eq!(
        busy.total_left, 50,
        "every departure after the first sample is counted once"
    );
    assert_eq!(busy.stalled_secs, 0.0);

    // A saturated period in which nothing left the queue could fall
    // between two verifier batches; two in a row are a stop.
    let lean = next_sample(&app, sampling()).await;
    assert_eq!(lean.stalled_secs, 0.0, "one lean period is not a stop");
    let stopped = next_sample(&app, sampling()).await;
    assert_eq!(
        stopped.per_sec, lean.per_sec,
        "the rate before the stop is kept"
    );
    diesel::sql_query(
        "UPDATE intake_drain SET stalled_since = stalled_since - interval '3 seconds'",
    )
    .execute(&mut app.raw().await)
    .await
    .expect("age the stop");
    let read = app.store.drain_rate().await.expect("drain rate");
    assert!(read.stalled_secs >= 3.0, "{read:?}");

    // Departures again: the stop is over.
    record(&app, registration(51), verified()).await;
    for i in 52..=100 {
        record(&app, registration(i), verified()).await;
    }
    let running = next_sample(&app, sampling()).await;
    assert_eq!(running.stalled_secs, 0.0);
    assert_eq!(running.total_left, 100);
}

#[tokio::test]
async fn a_batch_that_commits_after_a_later_one_is_still_counted() {
    let app = TestStore::spawn().await;
    let first = registration(0);
    let first_id = first.id.to_string();
    record(&app, first, verified()).await;
    app.store
        .sample_drain(sampling())
        .await
        .expect("store call");

    // A verifier batch takes its history id now and commits last.
    let mut slow = app.raw().await;
    diesel::sql_query("BEGIN")
        .execute(&mut slow)
        .await
        .expect("begin");
    diesel::sql_query(
        "INSERT INTO status_history (registration_id, from_status, to_status, at) \
         VALUES ($1, 'queued', 'verifying', now())",
    )
    .bind::<diesel::sql_types::Text, _>(&first_id)
    .execute(&mut slow)
    .await
    .expect("the slow batch's row");
    for i in 1..=20 {
        record(&app, registration(i), verified()).await;
    }
    let before = next_sample(&app, sampling()).await;
    assert_eq!(before.total_left, 20, "the open batch is not visible yet");

    diesel::sql_query("COMMIT")
        .execute(&mut slow)
        .await
        .expect("commit");
    record(&app, registration(21), verified()).await;
    let after = next_sample(&app, sampling()).await;
    assert_eq!(
        after.total_left - before.total_left,
        2,
        "the late commit, below ids already read, and the new one"
    );

    // Nothing is counted twice once the floor has moved past them.
    let idle = next_sample(&app, sampling()).await;
    assert_eq!(idle.total_left, 22);
}

#[tokio::test]
async fn quiet_periods_set_the_quiet_rate_and_its_speedup_over_the_loaded_one() {
    let (app, busy) = fifty_left_in_a_busy_second().await;
    assert_eq!(busy.quiet_per_sec, 0.0, "arrivals went on: not quiet");
    assert!(
        busy.loaded_per_sec > 40.0 && busy.loaded_per_sec < 55.0,
        "{busy:?}"
    );

    for i in 51..=90 {
        record(&app, registration(i), verified()).await;
    }
    let quiet = DrainSampling {
        quiet: true,
        ..sampling()
    };
    let after = next_sample(&app, quiet).await;
    assert!(
        after.quiet_per_sec > 30.0 && after.quiet_per_sec < 45.0,
        "40 in about a second: {after:?}"
    );
    let speedup = after.quiet_per_sec / busy.loaded_per_sec;
    assert!((after.quiet_speedup - speedup).abs() < 1e-9, "{after:?}");
    assert_eq!(after.loaded_per_sec, busy.loaded_per_sec);
    assert_eq!(app.store.drain_rate().await.expect("read"), after);
}
