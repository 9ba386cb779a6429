//! Minimal tracing setup for the binary: human-readable by default, JSON when
//! `LONJAK_LOG_FORMAT=json`; filter from `RUST_LOG` (default `info`).

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; a second call is a no-op.
pub fn init_tracing() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let installed = if std::env::var("LONJAK_LOG_FORMAT").is_ok_and(|f| f == "json") {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // Already installed (e.g. by a test harness): keep the existing one.
    drop(installed);
}
