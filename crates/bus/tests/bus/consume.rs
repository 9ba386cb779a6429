use std::time::Duration;

use lonjak_bus::{Envelope, RetryOutcome, TraceContext, WorkQueue};

use crate::helpers::{Sample, cleanup, connect, next_delivery, sample, test_config};

#[tokio::test]
async fn a_consumer_receives_the_event_and_ack_removes_it() {
    let bus = connect(test_config()).await;
    let trace = TraceContext::new_root();
    let envelope = Envelope::new("registration.submitted", "corr-7", sample(3));
    bus.publisher()
        .publish("registration.submitted", &envelope, Some(&trace))
        .await
        .expect("confirmed");
    let mut consumer = bus
        .consumer(WorkQueue::Verifier, 10, "test-consumer")
        .await
        .expect("subscribed");

    let delivery = next_delivery(&mut consumer).await;

    assert_eq!(delivery.envelope::<Sample>().expect("decodes"), envelope);
    assert_eq!(delivery.attempt(), 1);
    assert!(!delivery.redelivered());
    assert_eq!(delivery.trace(), Some(trace));
    assert_eq!(
        delivery.message_id(),
        Some(envelope.event_id.to_string().as_str())
    );
    assert_eq!(delivery.correlation_id(), Some("corr-7"));
    assert_eq!(delivery.routing_key(), "registration.submitted");
    delivery.ack().await.expect("acked");
    // Closing the consumer's channel would requeue anything unacked.
    consumer.cancel().await;
    let depth = bus
        .queue_depth(&bus.topology().queue(WorkQueue::Verifier))
        .await
        .expect("depth");
    assert_eq!(depth.messages, 0);
    bus.close().await;
    cleanup(bus.topology()).await;
}

#[tokio::test]
async fn an_unacked_delivery_comes_back_marked_redelivered_after_the_consumer_stops() {
    let bus = connect(test_config()).await;
    let envelope = Envelope::new("registration.submitted", "c", sample(1));
    bus.publisher()
        .publish("registration.submitted", &envelope, None)
        .await
        .expect("confirmed");
    let mut first = bus
        .consumer(WorkQueue::Verifier, 1, "first")
        .await
        .expect("subscribed");
    let in_hand = next_delivery(&mut first).await;

    first.cancel().await;
    drop(in_hand);
    let mut second = bus
        .consumer(WorkQueue::Verifier, 1, "second")
        .await
        .expect("subscribed");
    let again = next_delivery(&mut second).await;

    assert!(again.redelivered());
    assert_eq!(
        again.message_id(),
        Some(envelope.event_id.to_string().as_str())
    );
    again.ack().await.expect("acked");
    bus.close().await;
    cleanup(bus.topology()).await;
}

#[tokio::test]
async fn retry_later_parks_the_message_and_it_returns_with_attempt_two() {
    let bus = connect(test_config()).await;
    let envelope = Envelope::new("registration.submitted", "c", sample(9));
    bus.publisher()
        .publish("registration.submitted", &envelope, None)
        .await
        .expect("confirmed");
    let mut consumer = bus
        .consumer(WorkQueue::Verifier, 10, "retrying")
        .await
        .expect("subscribed");
    let first = next_delivery(&mut consumer).await;

    let outcome = first
        .retry_later("registry unavailable")
        .await
        .expect("scheduled");

    assert_eq!(
        outcome,
        RetryOutcome::Scheduled {
            delay: Duration::from_secs(1)
        }
    );
    let second = next_delivery(&mut consumer).await;
    assert_eq!(second.attempt(), 2);
    assert_eq!(second.envelope::<Sample>().expect("decodes"), envelope);
    assert_eq!(second.routing_key(), "registration.submitted");
    second.ack().await.expect("acked");
    bus.close().await;
    cleanup(bus.topology()).await;
}

#[tokio::test]
async fn a_closed_bus_ends_its_consumers() {
    let bus = connect(test_config()).await;
    let mut consumer = bus
        .consumer(WorkQueue::Notifier, 1, "ending")
        .await
        .expect("subscribed");

    bus.close().await;
    let next = tokio::time::timeout(crate::helpers::PATIENCE, consumer.next())
        .await
        .expect("next returns");

    assert!(next.is_none());
    cleanup(bus.topology()).await;
}
