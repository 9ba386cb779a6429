//! Graceful shutdown: stop taking deliveries, finish the batches in hand,
//! leave the rest queued.

use lonjak_domain::RegistrationStatus;
use time::OffsetDateTime;

use crate::applicants::{Profile, applicants};
use crate::helpers::{Options, spawn_app_with};

#[tokio::test]
async fn a_graceful_shutdown_finishes_the_deliveries_in_hand_and_leaves_the_rest_queued() {
    const COUNT: usize = 20;
    let mut options = Options::default();
    options.worker.batch_size = 4;
    options.worker.concurrency = 2;
    for registry in [
        &mut options.sim.dukcapil,
        &mut options.sim.dapodik,
        &mut options.sim.dtks,
    ] {
        registry.latency_ms = 400;
        registry.latency_jitter_ms = 0;
    }
    let mut app = spawn_app_with(options).await;
    let submissions: Vec<_> = applicants(Profile::Clean, 0, COUNT)
        .iter()
        .map(|request| app.submission_at(request, OffsetDateTime::now_utc()))
        .collect();
    for submission in &submissions {
        app.publish(submission).await;
    }
    app.eventually("deliveries are in hand", async || {
        app.sim.stats()["dukcapil"].requests > 0
    })
    .await;

    app.shutdown().await;

    let verified = app.count_in_status(RegistrationStatus::Verified).await;
    assert!(verified >= 1);
    app.eventually(
        "every delivery is either finished or back in the queue",
        async || i64::from(app.verifier_backlog().await) + verified == COUNT as i64,
    )
    .await;
    app.stop().await;
}
