//! Transient registry failures: retried through the retry queues, and
//! dead-lettered with the reason once the attempts are spent.

use lonjak_bus::WorkQueue;
use lonjak_domain::RegistrationStatus;
use lonjak_registry_sim::Registry;
use time::OffsetDateTime;

use crate::applicants::{Profile, applicant, applicants};
use crate::helpers::{Options, spawn_app_with};

#[tokio::test]
async fn a_registry_answering_503_is_retried_later_and_the_registration_is_eventually_verified() {
    let mut options = Options::default();
    options.sim.down = vec![Registry::Dukcapil];
    let app = spawn_app_with(options).await;
    let submission = app.submission_at(&applicant(Profile::Clean), OffsetDateTime::now_utc());

    app.publish(&submission).await;
    app.eventually("the delivery is sent to a retry queue", async || {
        app.processed("retried") >= 1
    })
    .await;
    app.sim
        .reconfigure(serde_json::json!({ "down": [] }))
        .expect("bring Dukcapil back");

    let view = app.final_status(&submission.id).await;
    assert_eq!(view.status, RegistrationStatus::Verified);
    assert!(app.sim.stats()["dukcapil"].errors >= 1);
    let (rows, history, outbox) = app.row_counts(&submission.id).await;
    assert_eq!((rows, history.len(), outbox), (1, 3, 1));
    app.stop().await;
}

#[tokio::test]
async fn a_registry_answering_429_is_retried_and_every_registration_is_eventually_verified() {
    let mut options = Options::default();
    // Dukcapil takes one call a second; we call faster than that, so it
    // answers 429 with Retry-After and the client must wait and retry.
    options.sim.dukcapil.rate_per_sec = 1;
    options.sim.dukcapil.burst = 1;
    let app = spawn_app_with(options).await;
    let submissions: Vec<_> = applicants(Profile::Clean, 0, 4)
        .iter()
        .map(|request| app.submission_at(request, OffsetDateTime::now_utc()))
        .collect();

    for submission in &submissions {
        app.publish(submission).await;
    }

    for submission in &submissions {
        let view = app.final_status(&submission.id).await;
        assert_eq!(view.status, RegistrationStatus::Verified);
    }
    assert!(app.sim.stats()["dukcapil"].rate_limited >= 1);
    app.stop().await;
}

#[tokio::test]
async fn a_registry_down_past_the_attempt_limit_sends_the_registration_to_the_dead_letter_queue_with_the_reason()
 {
    let mut options = Options::default();
    options.sim.down = vec![Registry::Dapodik];
    options.retry_delays_ms = vec![1_000, 1_000];
    let app = spawn_app_with(options).await;
    let submission = app.submission_at(&applicant(Profile::Clean), OffsetDateTime::now_utc());

    app.publish(&submission).await;

    app.eventually("the registration is dead-lettered", async || {
        app.processed("dead_lettered") == 1
    })
    .await;
    assert_eq!(app.processed("retried"), 2);
    let letters = lonjak_bus::dlq::list(&app.bus, WorkQueue::Verifier, 10)
        .await
        .expect("list dead letters");
    assert_eq!(letters.len(), 1);
    let reason = letters[0].reason.as_deref().expect("a reason header");
    assert!(reason.starts_with("dapodik"), "{reason}");
    assert_eq!(letters[0].attempts, 3);
    assert!(
        !reason.contains(
            crate::helpers::open(&submission.envelope.payload)
                .nik
                .as_deref()
                .unwrap_or("-")
        ),
        "the reason must not carry the NIK"
    );
    // Nothing is recorded for an undecided registration: the dead letter
    // holds it until an operator replays it.
    let view = app
        .store
        .registration_status(&submission.id)
        .await
        .expect("status");
    assert_eq!(view, None);
    app.stop().await;
}
