//! `database.*`: the one settings section every service and command reads
//! PostgreSQL from.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::{DataKey, KeyRing, StoreConfig, StoreError};

/// Settings of the store, with the defaults of a local development machine.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// PostgreSQL URL; may carry a password, so kept secret.
    pub url: SecretString,
    /// Pool size: backends this process may hold.
    pub max_connections: usize,
    /// Bound on taking a connection from the pool, in milliseconds.
    pub connect_timeout_ms: u64,
    /// Bound on one statement and on one whole store call, in milliseconds.
    pub query_timeout_ms: u64,
    /// 32-byte key (64 hex digits) encrypting personal data at rest; absent
    /// in services that never touch personal data.
    pub data_key: Option<SecretString>,
    /// The version `data_key` seals under (1–255); raise it with a new key
    /// to rotate (docs/operations.md).
    pub data_key_version: u8,
    /// Older keys still readable, `version:hex` pairs separated by commas,
    /// until `lonjak-ops keys rotate` has rewritten their rows.
    pub previous_data_keys: Option<SecretString>,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from("postgres://postgres:postgres@127.0.0.1:5432/lonjak"),
            max_connections: 8,
            connect_timeout_ms: 3_000,
            query_timeout_ms: 10_000,
            data_key: None,
            data_key_version: 1,
            previous_data_keys: None,
        }
    }
}

impl DatabaseSettings {
    /// The store's configuration; a data key that is set must be valid.
    pub fn to_config(&self) -> Result<StoreConfig, StoreError> {
        let data_key = self
            .data_key
            .as_ref()
            .map(|hex| -> Result<KeyRing, StoreError> {
                let previous = match &self.previous_data_keys {
                    Some(text) => KeyRing::parse_previous(text.expose_secret())?,
                    None => Vec::new(),
                };
                KeyRing::new(
                    self.data_key_version,
                    DataKey::from_hex(hex.expose_secret())?,
                    previous,
                )
            })
            .transpose()?;
        Ok(StoreConfig {
            database_url: self.url.expose_secret().to_owned(),
            max_connections: self.max_connections,
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
            query_timeout: Duration::from_millis(self.query_timeout_ms),
            data_key,
        })
    }

    /// [`DatabaseSettings::to_config`] for a service that must hold the data
    /// key: its absence is a configuration error naming the key.
    pub fn to_config_with_data_key(&self) -> Result<StoreConfig, StoreError> {
        let config = self.to_config()?;
        if config.data_key.is_none() {
            return Err(StoreError::Config(
                "database.data_key (LONJAK_DATABASE__DATA_KEY) is required".to_owned(),
            ));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_that_needs_the_data_key_refuses_to_start_without_one() {
        let settings = DatabaseSettings::default();
        assert!(settings.to_config().is_ok());
        assert!(matches!(
            settings.to_config_with_data_key(),
            Err(StoreError::Config(message)) if message.contains("data_key")
        ));
    }

    #[test]
    fn a_malformed_data_key_is_refused() {
        let settings = DatabaseSettings {
            data_key: Some(SecretString::from("zz")),
            ..DatabaseSettings::default()
        };
        assert!(settings.to_config().is_err());
    }

    #[test]
    fn the_ring_holds_the_current_version_and_the_previous_keys() {
        let settings = DatabaseSettings {
            data_key: Some(SecretString::from("22".repeat(32))),
            data_key_version: 2,
            previous_data_keys: Some(SecretString::from(format!("1:{}", "11".repeat(32)))),
            ..DatabaseSettings::default()
        };
        let ring = settings
            .to_config_with_data_key()
            .expect("valid")
            .data_key
            .expect("a ring");
        assert_eq!(ring.current_version(), 2);
        assert_eq!(ring.versions(), vec![1, 2]);
    }
}
