//! Typed settings: defaults, then an optional TOML file, then `LONJAK_…`
//! environment variables (`__` separates sections, e.g. `LONJAK_BUS__URL`).
//! Every key is listed in the crate README.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::registry::RegistrySettings;

/// Everything the verifier needs to run.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub bus: BusSettings,
    pub database: DatabaseSettings,
    pub identity: IdentitySettings,
    pub registries: RegistriesSettings,
    pub verifier: VerifierSettings,
    pub ops: OpsSettings,
}

/// `bus.*`: the broker and the shared topology parameters.
#[derive(Debug, Clone, Deserialize)]
pub struct BusSettings {
    /// AMQP URL; may carry a password, so kept secret.
    pub url: SecretString,
    /// Prefix of every exchange and queue name (empty in production).
    pub prefix: String,
    /// Intake backlog bound (`x-max-length`) if this service creates the queue.
    pub intake_max_length: Option<u32>,
    /// Deliveries before the broker dead-letters a message (`x-delivery-limit`).
    pub delivery_limit: u32,
    /// Delays of the retry queues, in milliseconds; their count is the number
    /// of delayed retries before the dead-letter queue.
    #[serde(deserialize_with = "delays::deserialize")]
    pub retry_delays_ms: Vec<u64>,
    pub publish_timeout_ms: u64,
    pub connect_timeout_ms: u64,
}

/// `database.*`: PostgreSQL.
#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub max_connections: usize,
    pub connect_timeout_ms: u64,
    /// 32-byte key (hex) encrypting NIK and KK number at rest.
    pub data_key: SecretString,
}

/// `identity.*`: the deployment-wide keyed-hash key.
#[derive(Debug, Clone, Deserialize)]
pub struct IdentitySettings {
    /// At least 32 bytes, hex.
    pub key: SecretString,
}

/// `registries.*`: one client section per ministry.
#[derive(Debug, Clone, Deserialize)]
pub struct RegistriesSettings {
    pub dukcapil: RegistrySettings,
    pub dapodik: RegistrySettings,
    pub dtks: RegistrySettings,
}

/// `verifier.*`: the work loop.
#[derive(Debug, Clone, Deserialize)]
pub struct VerifierSettings {
    /// Unacknowledged deliveries the broker may push to this worker.
    pub prefetch: u16,
    /// Deliveries processed at once.
    pub concurrency: usize,
    /// Total time for the registry checks of one delivery, in milliseconds.
    pub deadline_ms: u64,
    /// How long shutdown waits for deliveries in hand, in milliseconds.
    pub shutdown_grace_ms: u64,
}

/// `ops.*`: the health and metrics endpoint.
#[derive(Debug, Clone, Deserialize)]
pub struct OpsSettings {
    pub addr: String,
}

impl Settings {
    /// Loads defaults, then `file` (TOML, if given and present), then the
    /// environment.
    pub fn load(file: Option<&str>) -> Result<Self, config::ConfigError> {
        Self::load_from(file, None)
    }

    /// [`Settings::load`] with the environment given as a map (tests), or
    /// read from the process when `None`.
    fn load_from(
        file: Option<&str>,
        env: Option<config::Map<String, String>>,
    ) -> Result<Self, config::ConfigError> {
        let mut builder = config::Config::builder();
        for (key, value) in DEFAULTS {
            builder = builder.set_default(*key, *value)?;
        }
        for registry in ["dukcapil", "dapodik", "dtks"] {
            builder = builder
                .set_default(
                    format!("registries.{registry}.url"),
                    "http://127.0.0.1:8090",
                )?
                .set_default(format!("registries.{registry}.rate_per_sec"), "50")?;
        }
        if let Some(file) = file {
            builder = builder
                .add_source(config::File::new(file, config::FileFormat::Toml).required(false));
        }
        builder
            .add_source(
                config::Environment::with_prefix("LONJAK")
                    .prefix_separator("_")
                    .separator("__")
                    .source(env),
            )
            .build()?
            .try_deserialize()
    }
}

/// Defaults for a local development machine. Keys have none: a deployment
/// must set them.
const DEFAULTS: &[(&str, &str)] = &[
    ("bus.url", "amqp://guest:guest@127.0.0.1:5672/%2f"),
    ("bus.prefix", ""),
    ("bus.delivery_limit", "5"),
    ("bus.retry_delays_ms", "5000,30000,120000"),
    ("bus.publish_timeout_ms", "2000"),
    ("bus.connect_timeout_ms", "3000"),
    (
        "database.url",
        "postgres://postgres:postgres@127.0.0.1:5432/lonjak",
    ),
    ("database.max_connections", "8"),
    ("database.connect_timeout_ms", "3000"),
    ("verifier.prefetch", "64"),
    ("verifier.concurrency", "32"),
    ("verifier.deadline_ms", "10000"),
    ("verifier.shutdown_grace_ms", "20000"),
    ("ops.addr", "127.0.0.1:9101"),
];

impl BusSettings {
    /// The bus crate's configuration.
    pub fn to_bus_config(&self) -> lonjak_bus::BusConfig {
        lonjak_bus::BusConfig {
            url: self.url.expose_secret().to_owned(),
            prefix: self.prefix.clone(),
            intake_max_length: self.intake_max_length,
            delivery_limit: self.delivery_limit,
            retry_delays: self
                .retry_delays_ms
                .iter()
                .map(|ms| Duration::from_millis(*ms))
                .collect(),
            publish_timeout: Duration::from_millis(self.publish_timeout_ms),
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
        }
    }
}

impl VerifierSettings {
    pub fn deadline(&self) -> Duration {
        Duration::from_millis(self.deadline_ms)
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_millis(self.shutdown_grace_ms)
    }
}

mod delays {
    use serde::{Deserialize, Deserializer};

    /// Environment variables arrive as `"1000,5000"`; files may use a list.
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        List(Vec<u64>),
        Text(String),
        One(u64),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u64>, D::Error> {
        match Raw::deserialize(d)? {
            Raw::List(list) => Ok(list),
            Raw::One(one) => Ok(vec![one]),
            Raw::Text(text) => text
                .split(',')
                .map(str::trim)
                .filter(|part| !part.is_empty())
                .map(|part| part.parse::<u64>().map_err(serde::de::Error::custom))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Option<config::Map<String, String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    const KEYS: [(&str, &str); 2] = [
        ("LONJAK_IDENTITY__KEY", "00"),
        ("LONJAK_DATABASE__DATA_KEY", "11"),
    ];

    #[test]
    fn defaults_need_only_the_keys() {
        let settings = Settings::load_from(None, env(&KEYS)).expect("settings");
        assert_eq!(settings.ops.addr, "127.0.0.1:9101");
        assert_eq!(settings.bus.retry_delays_ms, vec![5_000, 30_000, 120_000]);
        assert_eq!(settings.registries.dtks.rate_per_sec.get(), 50);
        assert_eq!(settings.registries.dtks.max_attempts, 4);
    }

    #[test]
    fn environment_variables_override_nested_keys_and_lists() {
        let mut pairs = KEYS.to_vec();
        pairs.extend([
            ("LONJAK_BUS__RETRY_DELAYS_MS", "1000, 2000"),
            ("LONJAK_REGISTRIES__DUKCAPIL__RATE_PER_SEC", "7"),
            ("LONJAK_REGISTRIES__DUKCAPIL__BREAKER_THRESHOLD", "2"),
            ("LONJAK_VERIFIER__PREFETCH", "10"),
        ]);
        let settings = Settings::load_from(None, env(&pairs)).expect("settings");
        assert_eq!(settings.bus.retry_delays_ms, vec![1_000, 2_000]);
        assert_eq!(settings.registries.dukcapil.rate_per_sec.get(), 7);
        assert_eq!(settings.registries.dukcapil.breaker_threshold, 2);
        assert_eq!(settings.registries.dapodik.rate_per_sec.get(), 50);
        assert_eq!(settings.verifier.prefetch, 10);
    }

    #[test]
    fn a_missing_identity_key_is_a_configuration_error() {
        let result = Settings::load_from(None, env(&[("LONJAK_DATABASE__DATA_KEY", "11")]));
        assert!(result.is_err());
    }

    #[test]
    fn a_zero_rate_is_refused() {
        let mut pairs = KEYS.to_vec();
        pairs.push(("LONJAK_REGISTRIES__DTKS__RATE_PER_SEC", "0"));
        assert!(Settings::load_from(None, env(&pairs)).is_err());
    }
}
