#![doc = include_str!("../README.md")]

mod handler;
mod message;
mod metrics;
mod process;
mod publish;
mod relay;
mod service;
mod settings;
mod settle;
mod startup;
mod worker;

pub use handler::{BoxError, Failure, FailureKind, Handler, Item, Outcome, Reason};
pub use message::{Consumed, DecodeError, decode_envelope};
pub use metrics::WorkerMetrics;
pub use service::{serve, serve_all};
pub use settings::WorkerSettings;
pub use startup::start_with_retry;
pub use worker::Worker;
