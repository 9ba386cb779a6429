//! The shared drain rate, counted from registrations leaving `queued`.

use std::time::Duration;

use diesel_async::RunQueryDsl;
use lonjak_store::DrainSampling;

use crate::helpers::{TestStore, record, registration, verified};

fn sampling() -> DrainSampling {
    DrainSampling {
        period: Duration::from_secs(1),
        time_constant: Duration::from_secs(5),
        saturated: true,
        busy_started: false,
    }
}

/// Moves the last sample one period into the past, as if a second had gone by.
async fn age_sample(app: &TestStore) {
    diesel::sql_query("UPDATE intake_drain SET sampled_at = sampled_at - interval '1 second'")
        .execute(&mut app.raw().await)
        .await
        .expect("age the sample");
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
    age_sample(&app).await;
    let rate = app
        .store
        .sample_drain(sampling())
        .await
        .expect("sampled")
        .expect("a sample this period");

    // 50 left `queued` in about a second; one second of a 5-second time
    // constant moves the estimate 1 − e^(−1/5) ≈ 18 % of the way from 0.
    assert!(rate.per_sec > 6.0 && rate.per_sec < 9.5, "{rate:?}");
    assert_eq!(app.store.drain_rate().await.expect("drain rate"), rate);
}

#[tokio::test]
async fn an_idle_period_does_not_lower_the_drain_rate() {
    let app = TestStore::spawn().await;
    record(&app, registration(0), verified()).await;
    app.store
        .sample_drain(sampling())
        .await
        .expect("store call");
    for i in 1..=50 {
        record(&app, registration(i), verified()).await;
    }
    age_sample(&app).await;
    let busy = app
        .store
        .sample_drain(sampling())
        .await
        .expect("sampled")
        .expect("a sample this period");

    age_sample(&app).await;
    let idle = DrainSampling {
        saturated: false,
        ..sampling()
    };
    let after = app
        .store
        .sample_drain(idle)
        .await
        .expect("sampled")
        .expect("a sample this period");

    assert!(busy.per_sec > 0.0);
    assert_eq!(after.per_sec, busy.per_sec);
}
