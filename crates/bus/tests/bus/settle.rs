//! Settling: stale acks are reported, acks coalesce only where safe, and a
//! reset channel gives back everything unsettled on it.

use lonjak_bus::{BusError, Delivery, WorkQueue};

use crate::helpers::{PATIENCE, connect, next_delivery, publish_sample, test_config};

async fn depth(bus: &lonjak_bus::Bus) -> u32 {
    bus.queue_depth(&bus.topology().queue(WorkQueue::Verifier))
        .await
        .expect("depth")
        .messages
}

#[tokio::test]
async fn a_second_settle_of_one_delivery_is_reported_as_stale_not_as_done() {
    let (bus, _cleanup) = connect(test_config()).await;
    publish_sample(&bus, 1).await;
    let mut consumer = bus
        .consumer(WorkQueue::Verifier, 10, "test-stale")
        .await
        .expect("subscribed");
    let delivery = next_delivery(&mut consumer).await;

    delivery.ack().await.expect("first ack");
    let second = delivery.ack().await;
    let requeue = delivery.requeue().await;

    assert!(matches!(second, Err(BusError::Stale)), "{second:?}");
    assert!(matches!(requeue, Err(BusError::Stale)), "{requeue:?}");
    consumer.cancel().await;
    bus.close().await;
}

#[tokio::test]
async fn acking_a_run_of_deliveries_takes_one_frame_and_removes_them_all() {
    let (bus, _cleanup) = connect(test_config()).await;
    for n in 0..6 {
        publish_sample(&bus, n).await;
    }
    let mut consumer = bus
        .consumer(WorkQueue::Verifier, 10, "test-coalesce")
        .await
        .expect("subscribed");
    let mut deliveries = Vec::new();
    for _ in 0..6 {
        deliveries.push(next_delivery(&mut consumer).await);
    }

    let frames = Delivery::ack_all(&deliveries.iter().collect::<Vec<_>>())
        .await
        .expect("acked");
    consumer.cancel().await;

    assert_eq!(frames, 1, "six contiguous deliveries, one multiple ack");
    assert_eq!(depth(&bus).await, 0, "every acked message is gone");
    bus.close().await;
}

#[tokio::test]
async fn a_coalesced_ack_never_covers_an_earlier_delivery_still_in_hand() {
    let (bus, _cleanup) = connect(test_config()).await;
    for n in 0..4 {
        publish_sample(&bus, n).await;
    }
    let mut consumer = bus
        .consumer(WorkQueue::Verifier, 10, "test-floor")
        .await
        .expect("subscribed");
    let first = next_delivery(&mut consumer).await;
    let mut later = Vec::new();
    for _ in 0..3 {
        later.push(next_delivery(&mut consumer).await);
    }

    let frames = Delivery::ack_all(&later.iter().collect::<Vec<_>>())
        .await
        .expect("acked");
    first.requeue().await.expect("requeued");

    assert_eq!(frames, 3, "the first delivery is unsettled below them");
    let back = next_delivery(&mut consumer).await;
    assert_eq!(back.message_id(), first.message_id());
    assert!(back.redelivered());
    back.ack().await.expect("acked");
    consumer.cancel().await;
    assert_eq!(depth(&bus).await, 0);
    bus.close().await;
}

#[tokio::test]
async fn resetting_a_channel_requeues_what_was_unsettled_and_the_consumer_resubscribes() {
    let (bus, _cleanup) = connect(test_config()).await;
    let envelope = publish_sample(&bus, 9).await;
    let mut consumer = bus
        .consumer(WorkQueue::Verifier, 10, "test-reset")
        .await
        .expect("subscribed");
    let delivery = next_delivery(&mut consumer).await;

    delivery.reset_channel().await;
    let after_reset = delivery.ack().await;
    let again = tokio::time::timeout(PATIENCE, next_delivery(&mut consumer))
        .await
        .expect("redelivered on a new channel");

    assert!(after_reset.is_err(), "the old channel is gone");
    assert_eq!(
        again.message_id(),
        Some(envelope.event_id.to_string().as_str())
    );
    again.ack().await.expect("acked on the new channel");
    consumer.cancel().await;
    bus.close().await;
}
