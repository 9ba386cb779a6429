//! Declaring the topology and connecting.

use lonjak_bus::{Bus, WorkQueue};

use crate::helpers::{connect, raw_channel, test_config};

#[tokio::test]
async fn declaring_the_topology_twice_succeeds_and_changes_nothing() {
    let (bus, _cleanup) = connect(test_config()).await;
    let (_connection, channel) = raw_channel().await;

    bus.topology()
        .declare(&channel)
        .await
        .expect("first re-declare");
    bus.topology()
        .declare(&channel)
        .await
        .expect("second re-declare");

    let depth = bus
        .queue_depth(&bus.topology().queue(WorkQueue::Verifier))
        .await
        .expect("intake queue exists");
    assert_eq!(depth.messages, 0);
    bus.close().await;
}

#[tokio::test]
async fn a_second_service_with_a_different_intake_limit_still_connects() {
    let mut config = test_config();
    config.intake_max_length = Some(10);
    let (first, _cleanup) = connect(config.clone()).await;
    config.intake_max_length = None;

    let second = Bus::connect(config).await;

    assert!(second.is_ok(), "existing queues keep their arguments");
    first.close().await;
}

#[tokio::test]
async fn queue_depth_of_a_missing_queue_is_an_error() {
    let (bus, _cleanup) = connect(test_config()).await;

    let depth = bus.queue_depth("lonjak.no-such-queue.for-tests").await;

    assert!(depth.is_err());
    assert!(
        bus.is_connected(),
        "a failed passive declare leaves the bus usable"
    );
    bus.close().await;
}

#[tokio::test]
async fn connecting_to_an_unreachable_broker_fails_instead_of_hanging() {
    let mut config = test_config();
    // Port 1 on loopback: nothing listens there, the connect is refused.
    config.url = "amqp://guest:guest@127.0.0.1:1/%2f".to_owned();

    let result = Bus::connect(config).await;

    assert!(result.is_err());
}
