//! Permanent failures are recorded and not retried; transient ones go
//! through the retry queues, then to the dead-letter queue with the reason,
//! from which a replay delivers them once.

use lonjak_bus::WorkQueue;
use lonjak_domain::Language;

use crate::helpers::{Options, spawn_app, spawn_app_with, verified};

#[tokio::test]
async fn a_number_the_provider_refuses_is_recorded_as_failed_and_never_retried() {
    let app = spawn_app().await;
    // The simulator's numbers that do not exist.
    let siti = app.applicant(41, Language::Id, Some("+628990001234")).await;
    app.publish(&verified(&siti)).await;

    app.expect_messages(&siti, 1, 0).await;
    assert_eq!(app.sim.attempts(Some(&siti.phone)).len(), 1, "asked once");
    assert_eq!(
        app.notification(&siti, "verified", "sms").await,
        ("failed".to_owned(), Some("sms refused".to_owned()))
    );
}

#[tokio::test]
async fn a_provider_down_past_every_retry_dead_letters_the_event_with_the_reason_and_a_replay_delivers_once()
 {
    let mut options = Options::default();
    options.sim.error_rate = 1.0;
    options.retry_delays_ms = vec![1_000, 1_000];
    options.notifier.send_deadline_ms = 1_000;
    options.notifier.claim_lease_ms = 1_500;
    let app = spawn_app_with(options).await;
    let siti = app.applicant(42, Language::Id, None).await;
    app.publish(&verified(&siti)).await;

    let mut dead = Vec::new();
    app.eventually("the event reached the dead-letter queue", async || {
        dead = lonjak_bus::dlq::list(&app.bus, WorkQueue::NotifySms, 10)
            .await
            .expect("list dead letters");
        !dead.is_empty()
    })
    .await;
    assert_eq!(dead[0].reason.as_deref(), Some("sms unavailable"));
    // Three attempts at the provider (the first and two retries); the
    // email went out on the first and was not sent again.
    assert_eq!(app.sim.attempts(Some(&siti.phone)).len(), 3);
    assert_eq!(app.emails_to(&siti.email).await.len(), 1);

    app.sim
        .reconfigure(serde_json::json!({"error_rate": 0.0}))
        .expect("the provider is back");
    // Listing returns the messages to the queue asynchronously: replay
    // until the one dead letter has moved.
    app.eventually("the dead letter was replayed", async || {
        lonjak_bus::dlq::replay(&app.bus, WorkQueue::NotifySms, 10)
            .await
            .is_ok_and(|replayed| replayed.moved == 1)
    })
    .await;
    app.expect_messages(&siti, 1, 1).await;
}

#[tokio::test]
async fn an_event_for_an_unrecorded_registration_is_dead_lettered() {
    let app = spawn_app().await;
    let siti = app.applicant(43, Language::Id, None).await;
    let mut ghost = siti.clone();
    ghost.id = lonjak_domain::RegistrationId::from_bytes([9; 16]);
    app.publish(&verified(&ghost)).await;
    // On each channel's own dead-letter queue.
    for queue in [WorkQueue::NotifyEmail, WorkQueue::NotifySms] {
        app.eventually("dead-lettered", async || {
            lonjak_bus::dlq::list(&app.bus, queue, 10)
                .await
                .is_ok_and(|dead| {
                    dead.first()
                        .is_some_and(|d| d.reason.as_deref() == Some("unknown registration"))
                })
        })
        .await;
    }
}
