//! Bus configuration, filled in by each service from its own settings.

use std::time::Duration;

/// How to reach the broker and how the topology is shaped.
///
/// Every service of one deployment must use the same `prefix`,
/// `intake_max_length`, `delivery_limit` and `retry_delays`: they are queue
/// names and arguments. Services read them from one settings section
/// ([`crate::BusSettings`]), and a service whose arguments differ from the
/// broker's queues refuses to start ([`crate::BusError::TopologyMismatch`])
/// instead of silently living with another service's choice.
#[derive(Debug, Clone)]
pub struct BusConfig {
    /// `amqp://user:pass@host:port/vhost` (vhost URL-encoded, `%2f` for `/`).
    pub url: String,
    /// Prepended to every exchange and queue name: empty in production,
    /// random in tests so they never share queues.
    pub prefix: String,
    /// Backlog bound of the intake (`verifier`) queue; beyond it the broker
    /// nacks publishes. `None`: unbounded.
    pub intake_max_length: Option<u32>,
    /// Deliveries of one message before the broker dead-letters it
    /// (`x-delivery-limit`): protects against poison messages that crash workers.
    pub delivery_limit: u32,
    /// Delay before each retry; its length is the number of retries before
    /// a message goes to the dead-letter queue.
    pub retry_delays: Vec<Duration>,
    /// Bound on one confirmed publish, from send to broker confirm.
    pub publish_timeout: Duration,
    /// Bound on connecting (TCP + AMQP handshake) and on other broker calls.
    pub connect_timeout: Duration,
    /// Declare the topology at connect (local runs, tests), or only check
    /// that it exists (production, where one job per release declares it).
    pub declare_topology: bool,
}

impl Default for BusConfig {
    fn default() -> Self {
        Self {
            url: "amqp://guest:guest@127.0.0.1:5672/%2f".to_owned(),
            prefix: String::new(),
            intake_max_length: None,
            delivery_limit: 5,
            retry_delays: vec![
                Duration::from_secs(5),
                Duration::from_secs(30),
                Duration::from_secs(120),
            ],
            publish_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(3),
            declare_topology: true,
        }
    }
}
