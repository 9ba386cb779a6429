//! lonjak-bus
