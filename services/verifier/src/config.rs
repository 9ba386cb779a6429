//! Typed settings, read by the one settings loader (`lonjak-settings`):
//! defaults, then the TOML file named by `LONJAK_CONFIG_FILE`, then
//! `LONJAK_SECTION__KEY` environment variables. Every key is listed in
//! `docs/configuration.md`.

use std::time::Duration;

use lonjak_bus::BusSettings;
use lonjak_domain::IdentitySettings;
use lonjak_store::DatabaseSettings;
use lonjak_telemetry::ops::OpsSettings;
use lonjak_worker::WorkerSettings;
use serde::Deserialize;

use crate::registry::RegistrySettings;

/// Everything the verifier needs to run.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub bus: BusSettings,
    #[serde(default)]
    pub database: DatabaseSettings,
    pub identity: IdentitySettings,
    /// The private keys that open sealed applicants (`seal.private_key`,
    /// `seal.previous_private_key`).
    pub seal: lonjak_seal::OpeningSettings,
    pub registries: RegistriesSettings,
    #[serde(default)]
    pub verifier: VerifierSettings,
    #[serde(default)]
    pub worker: WorkerSettings,
    pub ops: OpsSettings,
}

/// `registries.*`: one client section per ministry.
#[derive(Debug, Clone, Deserialize)]
pub struct RegistriesSettings {
    pub dukcapil: RegistrySettings,
    pub dapodik: RegistrySettings,
    pub dtks: RegistrySettings,
}

/// `verifier.*`: what is particular to verification.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct VerifierSettings {
    /// Total time for the registry checks of one registration, in ms.
    pub deadline_ms: u64,
}

impl Default for VerifierSettings {
    fn default() -> Self {
        Self {
            deadline_ms: 10_000,
        }
    }
}

impl VerifierSettings {
    pub fn deadline(&self) -> Duration {
        Duration::from_millis(self.deadline_ms)
    }
}

/// The verifier's own defaults: its ops port and a local simulator for
/// every registry. Keys have no default: a deployment must set them.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("ops.addr", "127.0.0.1:9101"),
    ("registries.dukcapil.url", "http://127.0.0.1:8090"),
    ("registries.dukcapil.rate_per_sec", "50"),
    ("registries.dapodik.url", "http://127.0.0.1:8090"),
    ("registries.dapodik.rate_per_sec", "50"),
    ("registries.dtks.url", "http://127.0.0.1:8090"),
    ("registries.dtks.rate_per_sec", "50"),
];

impl Settings {
    /// Loads the settings from the defaults, the file and the environment.
    pub fn load() -> Result<Self, lonjak_settings::SettingsError> {
        lonjak_settings::load(DEFAULTS)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        )
    }

    const KEY: (&str, &str) = (
        "LONJAK_IDENTITY__KEY",
        "0000000000000000000000000000000000000000000000000000000000000000",
    );
    const SEAL: (&str, &str) = (
        "LONJAK_SEAL__PRIVATE_KEY",
        lonjak_seal::DEVELOPMENT_PRIVATE_KEY,
    );

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, lonjak_settings::SettingsError> {
        let mut all = vec![KEY, SEAL];
        all.extend_from_slice(pairs);
        lonjak_settings::load_from(DEFAULTS, None, env(&all))
    }

    #[test]
    fn defaults_need_only_the_identity_and_opening_keys() {
        let settings = load(&[]).expect("settings");
        assert_eq!(settings.seal.ring().key_ids().len(), 1);
        assert_eq!(settings.ops.addr, "127.0.0.1:9101");
        assert_eq!(settings.registries.dtks.rate_per_sec.get(), 50);
        assert_eq!(settings.registries.dtks.max_attempts, 4);
        assert_eq!(
            settings.worker.batch_size,
            WorkerSettings::default().batch_size
        );
    }

    #[test]
    fn environment_variables_override_nested_keys_and_lists() {
        let settings = load(&[
            ("LONJAK_BUS__RETRY_DELAYS_MS", "1000, 2000"),
            ("LONJAK_REGISTRIES__DUKCAPIL__RATE_PER_SEC", "7"),
            ("LONJAK_REGISTRIES__DUKCAPIL__BREAKER_THRESHOLD", "2"),
            ("LONJAK_WORKER__BATCH_SIZE", "10"),
        ])
        .expect("settings");
        assert_eq!(settings.bus.retry_delays_ms, vec![1_000, 2_000]);
        assert_eq!(settings.registries.dukcapil.rate_per_sec.get(), 7);
        assert_eq!(settings.registries.dukcapil.breaker_threshold, 2);
        assert_eq!(settings.registries.dapodik.rate_per_sec.get(), 50);
        assert_eq!(settings.worker.batch_size, 10);
    }

    #[test]
    fn a_missing_or_short_identity_key_is_a_configuration_error() {
        let none = lonjak_settings::load_from::<Settings>(DEFAULTS, None, env(&[]));
        assert!(none.is_err());
        assert!(load(&[("LONJAK_IDENTITY__KEY", "00")]).is_err());
    }

    #[test]
    fn a_missing_or_malformed_opening_key_is_a_configuration_error() {
        let without = lonjak_settings::load_from::<Settings>(DEFAULTS, None, env(&[KEY]));
        assert!(without.is_err());
        assert!(load(&[("LONJAK_SEAL__PRIVATE_KEY", "c2hvcnQ")]).is_err());
        let rotating = load(&[(
            "LONJAK_SEAL__PREVIOUS_PRIVATE_KEY",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )])
        .expect("settings");
        assert_eq!(rotating.seal.ring().key_ids().len(), 2);
    }

    #[test]
    fn the_lookup_key_is_the_identity_key_unless_set_apart() {
        use lonjak_domain::{Nik, NikHash};
        let nik = Nik::parse(&lonjak_domain::testing::valid_nik(1)).expect("valid");
        let same = load(&[]).expect("settings");
        assert_eq!(
            NikHash::derive(same.identity.lookup_key(), &nik),
            NikHash::derive(&same.identity.key, &nik)
        );
        let apart = load(&[(
            "LONJAK_IDENTITY__LOOKUP_KEY",
            "1111111111111111111111111111111111111111111111111111111111111111",
        )])
        .expect("settings");
        assert_ne!(
            NikHash::derive(apart.identity.lookup_key(), &nik),
            NikHash::derive(&apart.identity.key, &nik)
        );
    }

    #[test]
    fn a_zero_rate_is_refused() {
        assert!(load(&[("LONJAK_REGISTRIES__DTKS__RATE_PER_SEC", "0")]).is_err());
    }
}
