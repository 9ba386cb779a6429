#![doc = include_str!("../README.md")]

pub mod accepted;
pub mod args;
pub mod checks;
pub mod classify;
pub mod db;
pub mod effects;
pub mod inject;
pub mod k6;
pub mod notified;
pub mod percentile;
pub mod photos;
pub mod report;
pub mod run;
pub mod sampler;
pub mod samples;
pub mod svg;
pub mod tap;

/// Logs to stderr, filtered by `RUST_LOG` (default `info`, with lapin's own
/// logs off: the sampler expects and tolerates a missing queue or broker).
/// Logs carry counts and registration ids only, never personal data.
pub fn init_logging() {
    use std::io::IsTerminal as _;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,lapin=off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .try_init();
}
