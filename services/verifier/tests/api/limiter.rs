//! The outbound limiter: counted at the simulator, lonjak never calls a
//! registry faster than its configured rate.

use time::OffsetDateTime;

use crate::applicants::{Profile, applicants};
use crate::helpers::{Options, spawn_app_with};

#[tokio::test]
async fn the_outbound_limiter_never_calls_a_registry_faster_than_its_configured_rate() {
    const RATE: u32 = 10;
    let mut options = Options {
        rate_per_sec: RATE,
        ..Options::default()
    };
    // Deliveries queue behind the limiter, not behind the batch size.
    options.worker.batch_size = 32;
    // Enough time per delivery to wait for its turn at the limiter.
    options.retry_delays_ms = vec![1_000, 1_000, 1_000, 1_000];
    let app = spawn_app_with(options).await;
    let submissions: Vec<_> = applicants(Profile::Clean, 0, 30)
        .iter()
        .map(|request| app.submission_at(request, OffsetDateTime::now_utc()))
        .collect();

    for submission in &submissions {
        app.publish(submission).await;
    }
    for submission in &submissions {
        app.final_status(&submission.id).await;
    }

    for (registry, stats) in app.sim.stats() {
        assert!(stats.requests >= 30, "{registry}: {stats:?}");
        assert!(
            stats.max_rate_per_sec_seen <= u64::from(RATE),
            "{registry} saw {} calls within one second",
            stats.max_rate_per_sec_seen
        );
    }
    app.stop().await;
}
