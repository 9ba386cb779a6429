#![doc = include_str!("../README.md")]

mod config;
mod routes;
mod server;
mod state;

pub use config::{ConfigError, SmsSimConfig};
pub use server::{RunningSmsSim, run, spawn};
pub use state::{Accepted, Attempt, SmsStats};

/// Plain-text logs to stderr, filtered by `RUST_LOG` (default `info`).
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
