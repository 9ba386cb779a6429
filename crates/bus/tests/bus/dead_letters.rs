//! Dead letters: exhaustion, delivery limit, listing and replay.

use lonjak_bus::{Envelope, RetryOutcome, WorkQueue, dlq};

use crate::helpers::{
    PATIENCE, connect, eventually, next_delivery, publish_sample, sample, test_config,
};

#[tokio::test]
async fn exhausting_the_retries_dead_letters_with_the_reason() {
    let (bus, _cleanup) = connect(test_config()).await;
    let envelope = publish_sample(&bus, 1).await;
    let mut consumer = bus
        .consumer(WorkQueue::Verifier, 10, "exhausting")
        .await
        .expect("subscribed");
    let first = next_delivery(&mut consumer).await;
    first.retry_later("dukcapil 503").await.expect("scheduled");
    let second = next_delivery(&mut consumer).await;

    let outcome = second.retry_later("dukcapil 503").await.expect("handled");

    assert_eq!(outcome, RetryOutcome::DeadLettered);
    let letters = dlq::list(&bus, WorkQueue::Verifier, 10)
        .await
        .expect("listed");
    assert_eq!(letters.len(), 1);
    let letter = &letters[0];
    assert_eq!(letter.reason.as_deref(), Some("dukcapil 503"));
    assert_eq!(letter.attempts, 2);
    assert_eq!(letter.routing_key, "registration.submitted");
    assert_eq!(
        letter.message_id.as_deref(),
        Some(envelope.event_id.to_string().as_str())
    );
    bus.close().await;
}

#[tokio::test]
async fn listing_dead_letters_leaves_them_in_the_queue() {
    let (bus, _cleanup) = connect(test_config()).await;
    for n in 0..3 {
        let envelope = Envelope::new("registration.submitted", "c", sample(n));
        bus.publisher()
            .publish("registration.submitted", &envelope, None)
            .await
            .expect("confirmed");
    }
    let mut consumer = bus
        .consumer(WorkQueue::Verifier, 10, "poison")
        .await
        .expect("subscribed");
    for _ in 0..3 {
        let delivery = next_delivery(&mut consumer).await;
        delivery.dead_letter("undecodable").await.expect("parked");
    }

    let first_look = dlq::list(&bus, WorkQueue::Verifier, 10)
        .await
        .expect("listed");
    let second_look = dlq::list(&bus, WorkQueue::Verifier, 2)
        .await
        .expect("listed");

    assert_eq!(first_look.len(), 3);
    assert_eq!(second_look.len(), 2);
    // Requeued messages reach the ready count a moment after the listing.
    let dlq_name = bus.topology().dlq(WorkQueue::Verifier);
    eventually("all three dead letters to be ready again", || async {
        let depth = bus.queue_depth(&dlq_name).await.ok()?;
        (depth.messages == 3).then_some(())
    })
    .await;
    bus.close().await;
}

#[tokio::test]
async fn replay_moves_dead_letters_back_with_the_attempt_count_reset() {
    let (bus, _cleanup) = connect(test_config()).await;
    let envelope = publish_sample(&bus, 5).await;
    let mut consumer = bus
        .consumer(WorkQueue::Verifier, 10, "replaying")
        .await
        .expect("subscribed");
    let first = next_delivery(&mut consumer).await;
    first.retry_later("timeout").await.expect("scheduled");
    next_delivery(&mut consumer)
        .await
        .dead_letter("timeout")
        .await
        .expect("parked");

    let replayed = dlq::replay(&bus, WorkQueue::Verifier, 10)
        .await
        .expect("replayed");

    assert_eq!(replayed, dlq::Replayed { moved: 1, seen: 1 });
    let back = next_delivery(&mut consumer).await;
    assert_eq!(back.attempt(), 1);
    assert_eq!(
        back.message_id(),
        Some(envelope.event_id.to_string().as_str())
    );
    back.ack().await.expect("acked");
    let left = dlq::list(&bus, WorkQueue::Verifier, 10)
        .await
        .expect("listed");
    assert!(left.is_empty());
    bus.close().await;
}

#[tokio::test]
async fn replay_stops_at_the_depth_it_saw_when_messages_are_dead_lettered_again_at_once() {
    let (bus, _cleanup) = connect(test_config()).await;
    for n in 0..3 {
        let envelope = Envelope::new("registration.submitted", "c", sample(n));
        bus.publisher()
            .publish("registration.submitted", &envelope, None)
            .await
            .expect("confirmed");
    }
    let mut consumer = bus
        .consumer(WorkQueue::Verifier, 10, "still-broken")
        .await
        .expect("subscribed");
    for _ in 0..3 {
        next_delivery(&mut consumer)
            .await
            .dead_letter("dukcapil down")
            .await
            .expect("parked");
    }
    // The cause is still there: whatever is replayed is dead-lettered again
    // at once, behind the letters still waiting to be replayed.
    let bounce = tokio::spawn(async move {
        loop {
            let delivery = next_delivery(&mut consumer).await;
            delivery.dead_letter("dukcapil down").await.expect("parked");
        }
    });
    let dlq_name = bus.topology().dlq(WorkQueue::Verifier);
    eventually("three dead letters ready", || async {
        let depth = bus.queue_depth(&dlq_name).await.ok()?;
        (depth.messages == 3).then_some(())
    })
    .await;

    let replayed =
        tokio::time::timeout(PATIENCE, dlq::replay(&bus, WorkQueue::Verifier, usize::MAX))
            .await
            .expect("the replay ends instead of chasing its own re-dead-lettered messages")
            .expect("replayed");

    assert_eq!(replayed, dlq::Replayed { moved: 3, seen: 3 });
    bounce.abort();
    bus.close().await;
}

#[tokio::test]
async fn a_message_requeued_past_the_delivery_limit_is_dead_lettered_by_the_broker() {
    let mut config = test_config();
    config.delivery_limit = 1;
    let (bus, _cleanup) = connect(config).await;
    let envelope = publish_sample(&bus, 1).await;

    // A worker that crashes on this message: each consumer dies with it unacked.
    for round in 0..2 {
        let mut consumer = bus
            .consumer(WorkQueue::Verifier, 1, &format!("crashing-{round}"))
            .await
            .expect("subscribed");
        let _in_hand = next_delivery(&mut consumer).await;
        consumer.cancel().await;
    }

    let letters = eventually("the broker to dead-letter the message", || async {
        let letters = dlq::list(&bus, WorkQueue::Verifier, 10).await.ok()?;
        (!letters.is_empty()).then_some(letters)
    })
    .await;
    assert_eq!(letters[0].reason.as_deref(), Some("delivery_limit"));
    assert_eq!(
        letters[0].message_id.as_deref(),
        Some(envelope.event_id.to_string().as_str())
    );
    bus.close().await;
}
