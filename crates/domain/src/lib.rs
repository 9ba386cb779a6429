//! lonjak-domain
