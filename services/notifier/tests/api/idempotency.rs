//! The claim-to-send crash window of docs/architecture.md, made to happen
//! (send-to-ack with the real binary: `crash.rs`).

use lonjak_domain::Language;
use lonjak_store::{Channel, NotificationKey};

use crate::helpers::{Options, spawn_app_with, verified};

/// A notifier that claimed a message and died before sending it: the
/// claim blocks nobody for longer than its lease, and the message is sent
/// once, by whoever takes it over.
#[tokio::test]
async fn a_claim_left_by_a_dead_notifier_is_taken_over_after_its_lease() {
    let mut options = Options::default();
    options.notifier.send_deadline_ms = 2_000;
    options.notifier.claim_lease_ms = 3_000;
    // The retries outlast the lease many times over (the notifier refuses
    // settings where they do not): on a loaded machine a slow send after
    // the lease must still find a retry left, not the dead-letter queue.
    options.retry_delays_ms = vec![500; 16];
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

    let lease_end = app
        .claim_times(&siti)
        .await
        .0
        .expect("the dead claim's lease");

    app.publish(&verified(&siti)).await;
    app.expect_messages(&siti, 1, 1).await;
    assert_eq!(app.notification(&siti, "verified", "email").await.0, "sent");
    assert_eq!(app.notification(&siti, "verified", "sms").await.0, "sent");
    // Sent by a take-over (the second claim of each key), and not before
    // the dead claim's lease ran out: database times on both sides, so the
    // machine's load cannot change the answer.
    let (_, first_sent, attempts) = app.claim_times(&siti).await;
    assert_eq!(attempts, 2, "one claim by the dead notifier, one take-over");
    assert!(
        first_sent.expect("sent") >= lease_end,
        "a message was sent while another notifier's claim was live"
    );
}
