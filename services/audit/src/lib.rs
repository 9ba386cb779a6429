#![doc = include_str!("../README.md")]

pub mod accepted;
pub mod args;
pub mod classify;
pub mod db;
pub mod k6;
pub mod percentile;
pub mod report;
pub mod run;
pub mod sampler;
pub mod samples;
pub mod svg;

/// Logs to stderr, filtered by `RUST_LOG` (default `info`). Logs carry counts
/// and registration ids only, never applicants' personal data.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
