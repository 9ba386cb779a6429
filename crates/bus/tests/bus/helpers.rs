//! Shared set-up: a bus on a random prefix, raw broker access, clean-up.

use std::{future::Future, time::Duration};

use lonjak_bus::{
    Bus, BusConfig, Envelope, Topology,
    lapin::{Channel, Connection, ConnectionProperties, options::BasicGetOptions},
};

/// Bound on waits for something that should happen promptly; only guards
/// against hanging forever, never a performance assertion.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub fn amqp_url() -> String {
    std::env::var("LONJAK_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned())
}

/// Configuration with a random prefix and a short single retry delay.
pub fn test_config() -> BusConfig {
    BusConfig {
        url: amqp_url(),
        prefix: format!("t{:016x}.", rand::random::<u64>()),
        retry_delays: vec![Duration::from_secs(1)],
        ..BusConfig::default()
    }
}

/// A bus on `config`, and the guard that deletes its topology at the end.
pub async fn connect(config: BusConfig) -> (Bus, Cleanup) {
    let cleanup = Cleanup(Topology::new(&config));
    let bus = Bus::connect(config).await.expect("bus connects");
    (bus, cleanup)
}

/// A connection of the test's own, outside the bus under test.
pub async fn raw_channel() -> (Connection, Channel) {
    let connection = Connection::connect(&amqp_url(), ConnectionProperties::default())
        .await
        .expect("raw connection");
    let channel = connection.create_channel().await.expect("raw channel");
    (connection, channel)
}

/// Deletes the test's queues and exchanges when dropped, so a failing test
/// does not leave quorum queues (and their open files) on the shared broker.
pub struct Cleanup(pub Topology);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let topology = self.0.clone();
        // Drop cannot await: run the deletion on a runtime of its own.
        let worker = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                let config = BusConfig {
                    url: amqp_url(),
                    prefix: topology.prefix().to_owned(),
                    retry_delays: topology.retry_delays().to_vec(),
                    ..BusConfig::default()
                };
                let _ = tokio::time::timeout(PATIENCE, lonjak_bus::delete_topology(&config)).await;
            });
        });
        let _ = worker.join();
    }
}

/// Take every message currently in `queue` (auto-ack).
pub async fn drain(channel: &Channel, queue: &str) -> Vec<lonjak_bus::lapin::message::Delivery> {
    let mut taken = Vec::new();
    while let Some(message) = channel
        .basic_get(queue.into(), BasicGetOptions { no_ack: true })
        .await
        .expect("basic.get")
    {
        taken.push(message.delivery);
    }
    taken
}

/// Poll `check` until it yields `Some`, or panic after [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The next delivery of a consumer, bounded by [`PATIENCE`].
pub async fn next_delivery(consumer: &mut lonjak_bus::Consumer) -> lonjak_bus::Delivery {
    tokio::time::timeout(PATIENCE, async {
        loop {
            match consumer.next().await {
                Some(Ok(delivery)) => return delivery,
                Some(Err(_)) => continue,
                None => panic!("consumer ended"),
            }
        }
    })
    .await
    .expect("a delivery arrives")
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Sample {
    pub registration_id: String,
    pub n: u32,
}

pub fn sample(n: u32) -> Sample {
    Sample {
        registration_id: format!("reg-{n}"),
        n,
    }
}

/// Publishes `sample(n)` as a confirmed `registration.submitted` event.
pub async fn publish_sample(bus: &Bus, n: u32) -> Envelope<Sample> {
    let envelope = Envelope::new("registration.submitted", "c", sample(n));
    bus.publisher()
        .publish("registration.submitted", &envelope, None)
        .await
        .expect("confirmed");
    envelope
}
