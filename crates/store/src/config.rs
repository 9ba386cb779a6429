//! Connection settings of the store.

use std::time::Duration;

use crate::KeyRing;

/// How to reach PostgreSQL and how to protect personal data at rest.
#[derive(Clone)]
pub struct StoreConfig {
    /// `postgres://user[:password]@host:port/database`. Never logged (it may
    /// carry a password).
    pub database_url: String,
    /// Pool size. Each connection is a PostgreSQL backend process; with a
    /// CPU-bound database a few per core is the sweet spot.
    pub max_connections: usize,
    /// Upper bound on taking a connection from the pool, including opening
    /// a new one.
    pub connect_timeout: Duration,
    /// Upper bound on one statement (PostgreSQL's `statement_timeout`) and,
    /// client-side, on one whole store call or transaction. A transaction cut
    /// short leaves its connection marked broken; the pool discards it and
    /// PostgreSQL rolls the transaction back.
    pub query_timeout: Duration,
    /// Keys encrypting every personal field at rest (current version for
    /// writes, every version for reads). `None` for a store that only reads
    /// statuses (the gateway): it can neither seal nor open personal data.
    pub data_key: Option<KeyRing>,
}

impl std::fmt::Debug for StoreConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: show neither it nor the key.
        f.debug_struct("StoreConfig")
            .field("database_url", &"<redacted>")
            .field("max_connections", &self.max_connections)
            .field("connect_timeout", &self.connect_timeout)
            .field("query_timeout", &self.query_timeout)
            .field("data_key", &self.data_key)
            .finish()
    }
}

impl StoreConfig {
    /// Default pool size.
    pub const DEFAULT_MAX_CONNECTIONS: usize = 16;
    /// Default checkout timeout.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
    /// Default statement and transaction bound.
    pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(10);

    /// Settings with the default pool size (16) and checkout timeout (3 s);
    /// a single [`crate::DataKey`] is key version 1.
    pub fn new(database_url: impl Into<String>, data_key: impl Into<KeyRing>) -> Self {
        Self {
            database_url: database_url.into(),
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            query_timeout: Self::DEFAULT_QUERY_TIMEOUT,
            data_key: Some(data_key.into()),
        }
    }

    /// Settings for a store that never touches personal data (status
    /// look-ups): registering or decrypting fails with `StoreError::Config`.
    pub fn without_personal_data(database_url: impl Into<String>) -> Self {
        Self {
            database_url: database_url.into(),
            max_connections: Self::DEFAULT_MAX_CONNECTIONS,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            query_timeout: Self::DEFAULT_QUERY_TIMEOUT,
            data_key: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DataKey;

    #[test]
    fn debug_shows_neither_the_database_password_nor_the_key() {
        let cfg = StoreConfig::new(
            "postgres://lonjak:hunter2@db:5432/lonjak",
            DataKey::from_hex(&"5a".repeat(32)).expect("key"),
        );

        let shown = format!("{cfg:?}");

        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.to_lowercase().contains("5a5a"), "{shown}");
        assert!(shown.contains("max_connections: 16"), "{shown}");
    }
}
