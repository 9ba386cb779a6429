//! Declaring the topology and connecting.

use lonjak_bus::{Bus, BusError, Topology, WorkQueue};

use crate::helpers::{Cleanup, connect, raw_channel, test_config};

#[tokio::test]
async fn declaring_the_topology_twice_succeeds_and_changes_nothing() {
    let (bus, _cleanup) = connect(test_config()).await;
    let (connection, _channel) = raw_channel().await;

    bus.topology()
        .declare(&connection)
        .await
        .expect("first re-declare");
    bus.topology()
        .declare(&connection)
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
async fn a_service_whose_intake_limit_differs_from_the_brokers_queue_refuses_to_start() {
    let mut config = test_config();
    config.intake_max_length = Some(10);
    let (first, _cleanup) = connect(config.clone()).await;
    config.intake_max_length = Some(20);

    let second = Bus::connect(config.clone()).await;

    match second {
        Err(BusError::TopologyMismatch { queue, .. }) => {
            assert_eq!(queue, Topology::new(&config).queue(WorkQueue::Verifier));
        }
        other => panic!("expected a topology mismatch, got {other:?}"),
    }
    first.close().await;
}

#[tokio::test]
async fn a_service_that_may_not_declare_refuses_to_start_on_a_missing_topology() {
    let mut config = test_config();
    config.declare_topology = false;
    let _cleanup = Cleanup(Topology::new(&config));

    let result = Bus::connect(config.clone()).await;

    match result {
        Err(BusError::TopologyMissing { queue }) => {
            assert!(queue.starts_with(&config.prefix), "{queue}");
        }
        other => panic!("expected a missing topology, got {other:?}"),
    }
}

#[tokio::test]
async fn a_service_that_may_not_declare_connects_once_the_topology_exists() {
    let config = test_config();
    let (owner, _cleanup) = connect(config.clone()).await;
    let user_config = lonjak_bus::BusConfig {
        declare_topology: false,
        ..config
    };

    let user = Bus::connect(user_config).await.expect("connects");

    assert!(user.is_connected());
    user.close().await;
    owner.close().await;
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
