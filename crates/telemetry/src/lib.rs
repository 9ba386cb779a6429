#![doc = include_str!("../README.md")]

pub mod buckets;
pub mod ops;
mod shutdown;
mod tracing_init;

pub use shutdown::shutdown_token;
pub use tokio_util::sync::CancellationToken;
pub use tracing_init::{init_test_tracing, init_tracing};
