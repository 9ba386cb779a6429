#![doc = include_str!("../README.md")]

mod bus;
mod config;
mod consumer;
mod delivery;
pub mod dlq;
pub mod dlq_pick;
mod envelope;
mod error;
pub mod headers;
mod link;
mod publisher;
mod settings;
mod settle;
mod supervisor;
mod teardown;
mod timeout;
mod topology;
mod trace;

pub use bus::{Bus, QueueDepth};
pub use config::BusConfig;
pub use consumer::Consumer;
pub use delivery::{Delivery, RetryOutcome};
pub use envelope::{Envelope, SCHEMA_VERSION};
pub use error::{BusError, PublishError};
pub use publisher::Publisher;
pub use settings::BusSettings;
pub use teardown::delete_topology;
pub use topology::{Topology, WorkQueue};
pub use trace::TraceContext;

/// Re-exported so callers can build [`Publisher::publish_raw`] properties and
/// read raw deliveries without depending on lapin themselves.
pub use lapin;

pub(crate) use timeout::timed;
