//! lonjak-telemetry
