//! lonjak-store
