//! Tracing subscriber set-up, shared by every binary and test suite.

use tracing_subscriber::EnvFilter;

/// Installs the global subscriber for `service`. JSON lines when
/// `LONJAK_LOG_FORMAT=json`, human format otherwise; filter from `RUST_LOG`.
/// Safe to call twice (the second call is a no-op).
pub fn init_tracing(service: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("LONJAK_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let installed = if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init()
            .is_ok()
    } else {
        builder.with_target(false).try_init().is_ok()
    };
    if installed {
        tracing::info!(service, "tracing initialised");
    }
}

/// Test suites: silent unless `TEST_LOG` is set, so failures are readable.
pub fn init_test_tracing() {
    if std::env::var_os("TEST_LOG").is_some() {
        init_tracing("test");
    }
}
