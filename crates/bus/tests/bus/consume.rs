//! Consuming: ack, redelivery, delayed retry.

use std::time::Duration;

use lonjak_bus::{Envelope, RetryOutcome, TraceContext, WorkQueue};

use crate::helpers::{Sample, connect, next_delivery, publish_sample, sample, test_config};

#[tokio::test]
async fn a_consumer_receives_the_event_and_ack_removes_it() {
    let (bus, _cleanup) = connect(test_config()).await;
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
}

#[tokio::test]
async fn an_unacked_delivery_comes_back_marked_redelivered_after_the_consumer_stops() {
    let (bus, _cleanup) = connect(test_config()).await;
    let envelope = publish_sample(&bus, 1).await;
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
}

#[tokio::test]
async fn retry_later_parks_the_message_and_it_returns_with_attempt_two() {
    let (bus, _cleanup) = connect(test_config()).await;
    let envelope = publish_sample(&bus, 9).await;
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
}

#[tokio::test]
async fn a_closed_bus_ends_its_consumers() {
    let (bus, _cleanup) = connect(test_config()).await;
    let mut consumer = bus
        .consumer(WorkQueue::Notifier, 1, "ending")
        .await
        .expect("subscribed");

    bus.close().await;
    let next = tokio::time::timeout(crate::helpers::PATIENCE, consumer.next())
        .await
        .expect("next returns");

    assert!(next.is_none());
}

#[tokio::test]
async fn a_retried_message_is_not_lost_when_the_intake_queue_is_full_as_it_returns() {
    let mut config = test_config();
    config.intake_max_length = Some(1);
    let (bus, _cleanup) = connect(config).await;
    let publisher = bus.publisher();
    let first = Envelope::new("registration.submitted", "c", sample(0));
    publisher
        .publish("registration.submitted", &first, None)
        .await
        .expect("confirmed");
    let mut consumer = bus
        .consumer(WorkQueue::Verifier, 1, "retry-into-full")
        .await
        .expect("subscribed");
    next_delivery(&mut consumer)
        .await
        .retry_later("registry busy")
        .await
        .expect("scheduled");
    consumer.cancel().await;

    // Fill the intake queue while the message waits in its retry queue.
    let mut full = false;
    for n in 1..10 {
        let envelope = Envelope::new("registration.submitted", "c", sample(n));
        let published = publisher
            .publish("registration.submitted", &envelope, None)
            .await;
        if matches!(published, Err(lonjak_bus::PublishError::Nacked)) {
            full = true;
            break;
        }
    }
    assert!(full, "the intake queue refuses publishes");
    // Let the retry delay run out while the queue is full.
    let retry = bus
        .topology()
        .retry_queue(WorkQueue::Verifier, Duration::from_secs(1));
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        while bus
            .queue_depth(&retry)
            .await
            .map_or(true, |d| d.messages > 0)
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;

    // Draining makes room; the retried message must come back.
    let mut consumer = bus
        .consumer(WorkQueue::Verifier, 10, "draining")
        .await
        .expect("subscribed");
    let wanted = first.event_id.to_string();
    loop {
        let delivery = next_delivery(&mut consumer).await;
        let found = delivery.message_id() == Some(wanted.as_str());
        let attempt = delivery.attempt();
        delivery.ack().await.expect("acked");
        if found {
            assert_eq!(attempt, 2);
            break;
        }
    }
    bus.close().await;
}
