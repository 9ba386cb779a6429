//! The crash windows of docs/architecture.md, each made to happen.

use lonjak_domain::Language;
use lonjak_store::{Channel, NotificationKey};
use lonjak_worker::{Handler, Item, Outcome};
use time::OffsetDateTime;

use crate::helpers::{Options, spawn_app_with, verified};

/// A notifier that sent and recorded its messages, then died before the
/// broker heard its ack: the broker delivers the event again, to a
/// restarted notifier, which sends nothing twice.
#[tokio::test]
async fn a_notifier_killed_between_send_and_ack_sends_nothing_again_after_restart() {
    let mut app = spawn_app_with(Options {
        start: false,
        ..Options::default()
    })
    .await;
    let siti = app.applicant(31, Language::Id, None).await;
    let envelope = verified(&siti);

    // The first notifier handles the delivery (claim, send, record) and
    // dies before acking it: its ack never happens.
    let first = app.build().await;
    let item = Item {
        envelope: lonjak_worker::Consumed::decode(
            "registration.verified",
            &serde_json::to_vec(&envelope).expect("json"),
        )
        .expect("decode"),
        attempt: 1,
        redelivered: false,
        received_at: OffsetDateTime::now_utc(),
        trace: None,
    };
    let outcomes = first
        .worker()
        .handler()
        .handle(&[item])
        .await
        .expect("handled");
    assert!(matches!(outcomes[0], Outcome::Done { label: "sent", .. }));
    drop(first);
    app.expect_messages(&siti, 1, 1).await;

    // The broker redelivers the unacked event to the restarted notifier.
    app.publish(&envelope).await;
    let second = app.build().await;
    app.start(second);
    let metrics = app.metrics.clone().expect("running");
    app.eventually("the redelivery was settled", async || {
        metrics.settled_count("duplicate") == 1
    })
    .await;
    app.expect_messages(&siti, 1, 1).await;
    app.stop().await;
}

/// A notifier that claimed a message and died before sending it: the
/// claim blocks nobody for longer than its lease, and the message is sent
/// once, by whoever takes it over.
#[tokio::test]
async fn a_claim_left_by_a_dead_notifier_is_taken_over_after_its_lease() {
    let mut options = Options::default();
    options.notifier.send_deadline_ms = 1_000;
    options.notifier.claim_lease_ms = 3_000;
    // The retries outlast the lease (the notifier refuses settings where
    // they do not).
    options.retry_delays_ms = vec![1_000, 1_000, 1_000, 1_000];
    let app = spawn_app_with(options).await;
    let siti = app.applicant(32, Language::Id, None).await;
    let keys: Vec<NotificationKey> = [Channel::Email, Channel::Sms]
        .into_iter()
        .map(|channel| NotificationKey {
            registration_id: siti.id,
            event: "verified".to_owned(),
            channel,
        })
        .collect();
    app.store
        .claim_notifications(&keys, std::time::Duration::from_secs(3))
        .await
        .expect("claimed by the notifier that dies");

    app.publish(&verified(&siti)).await;
    app.expect_messages(&siti, 1, 1).await;
    let metrics = app.metrics.as_ref().expect("running");
    assert!(
        metrics.settled_count("retried") >= 1,
        "the live notifier waited for the lease instead of sending at once"
    );
    assert_eq!(app.notification(&siti, "verified", "email").await.0, "sent");
}
