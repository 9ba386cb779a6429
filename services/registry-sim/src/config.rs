//! Simulator configuration: defaults → optional TOML file → `LONJAK_SIM__…`
//! environment variables, plus the JSON merge used by `PUT /admin/config`.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// One of the three simulated ministry registries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum Registry {
    /// Civil registry (identity).
    Dukcapil,
    /// Education data (enrolment).
    Dapodik,
    /// Social-welfare data (aid recipients).
    Dtks,
}

impl Registry {
    /// Every registry, in a fixed order (used for stats and metrics).
    pub const ALL: [Registry; 3] = [Registry::Dukcapil, Registry::Dapodik, Registry::Dtks];

    /// Lower-case name, as used in URLs, config keys, stats and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            Registry::Dukcapil => "dukcapil",
            Registry::Dapodik => "dapodik",
            Registry::Dtks => "dtks",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Registry::Dukcapil => 0,
            Registry::Dapodik => 1,
            Registry::Dtks => 2,
        }
    }
}

/// Behaviour and capacity of one registry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegistryConfig {
    /// Mean answer latency in milliseconds.
    pub latency_ms: u64,
    /// Uniform jitter around the mean: latency is drawn from
    /// `[latency_ms - jitter, latency_ms + jitter]` (floored at 0).
    pub latency_jitter_ms: u64,
    /// Requests served at once; the next one gets 503 with `Retry-After: 1`.
    /// 0 means no limit.
    pub max_concurrent: u32,
    /// Sustained requests per second (token bucket); beyond it 429 with
    /// `Retry-After`. 0 means no limit.
    pub rate_per_sec: u32,
    /// Token-bucket size; 0 means one second's worth (`rate_per_sec`).
    pub burst: u32,
    /// Fraction (0–1) of admitted requests answered with a random 500 or 503.
    pub error_rate: f64,
}

impl Default for RegistryConfig {
    fn default() -> Self {
        Self {
            latency_ms: 20,
            latency_jitter_ms: 10,
            max_concurrent: 200,
            rate_per_sec: 1000,
            burst: 0,
            error_rate: 0.0,
        }
    }
}

/// Fractions (0–1) driving the deterministic answers; see the README for the rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Fractions {
    /// NIK unknown to Dukcapil.
    pub not_found: f64,
    /// Found, but the name does not match.
    pub name_mismatch: f64,
    /// Enrolled in school or university (Dapodik).
    pub in_education: f64,
    /// Receiving social aid (DTKS).
    pub dtks_recipient: f64,
    /// Found with an occupation that makes the person ineligible.
    pub ineligible_occupation: f64,
}

impl Default for Fractions {
    fn default() -> Self {
        Self {
            not_found: 0.03,
            name_mismatch: 0.02,
            in_education: 0.05,
            dtks_recipient: 0.20,
            ineligible_occupation: 0.01,
        }
    }
}

/// Whole simulator configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimConfig {
    /// Listen address `host:port` for [`crate::run`]; [`crate::spawn`] always
    /// binds `127.0.0.1:0`.
    pub listen: String,
    /// HTTP worker threads; 0 means the actix default (one per core) for
    /// [`crate::run`] and one for [`crate::spawn`].
    pub workers: usize,
    /// Dukcapil behaviour.
    pub dukcapil: RegistryConfig,
    /// Dapodik behaviour.
    pub dapodik: RegistryConfig,
    /// DTKS behaviour.
    pub dtks: RegistryConfig,
    /// Answer fractions.
    pub fractions: Fractions,
    /// Registries answering 503 to everything.
    pub down: Vec<Registry>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8090".to_owned(),
            workers: 0,
            dukcapil: RegistryConfig::default(),
            dapodik: RegistryConfig::default(),
            dtks: RegistryConfig::default(),
            fractions: Fractions::default(),
            down: Vec::new(),
        }
    }
}

/// Why a configuration could not be loaded or applied.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file or environment could not be read or deserialized.
    #[error("cannot load configuration")]
    Load(#[from] config::ConfigError),
    /// A runtime patch was not valid JSON for the configuration.
    #[error("configuration patch does not fit the configuration: {0}")]
    Patch(#[source] serde_json::Error),
    /// A value is out of range.
    #[error("`{field}` {rule}")]
    Invalid {
        /// Dotted key of the offending value.
        field: String,
        /// The rule it breaks.
        rule: &'static str,
    },
}

impl SimConfig {
    /// Loads defaults, then the TOML file at `file` (if any), then the
    /// process's `LONJAK_SIM__…` environment variables; validates the result.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::from_sources(file, None)
    }

    /// As [`SimConfig::load`], reading environment variables from `env`
    /// instead of the process environment when given (for tests).
    pub fn from_sources(
        file: Option<&Path>,
        env: Option<config::Map<String, String>>,
    ) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder();
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).required(true));
        }
        let environment = config::Environment::with_prefix("LONJAK_SIM")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .list_separator(",")
            .with_list_parse_key("down")
            .source(env);
        let loaded: SimConfig = builder.add_source(environment).build()?.try_deserialize()?;
        loaded.validate()?;
        Ok(loaded)
    }

    /// Configuration of one registry.
    pub fn registry(&self, registry: Registry) -> &RegistryConfig {
        match registry {
            Registry::Dukcapil => &self.dukcapil,
            Registry::Dapodik => &self.dapodik,
            Registry::Dtks => &self.dtks,
        }
    }

    /// Checks every fraction lies in 0–1.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fractions = [
            ("fractions.not_found", self.fractions.not_found),
            ("fractions.name_mismatch", self.fractions.name_mismatch),
            ("fractions.in_education", self.fractions.in_education),
            ("fractions.dtks_recipient", self.fractions.dtks_recipient),
            (
                "fractions.ineligible_occupation",
                self.fractions.ineligible_occupation,
            ),
        ];
        for (field, value) in fractions {
            check_fraction(field.to_owned(), value)?;
        }
        for registry in Registry::ALL {
            check_fraction(
                format!("{}.error_rate", registry.as_str()),
                self.registry(registry).error_rate,
            )?;
        }
        Ok(())
    }

    /// Returns this configuration with `patch` (a partial JSON object) merged
    /// in. `listen` and `workers` cannot change at runtime.
    pub fn patched(&self, patch: serde_json::Value) -> Result<Self, ConfigError> {
        let mut merged = serde_json::to_value(self).map_err(ConfigError::Patch)?;
        merge(&mut merged, patch);
        let next: SimConfig = serde_json::from_value(merged).map_err(ConfigError::Patch)?;
        if next.listen != self.listen {
            return Err(invalid("listen", "cannot change at runtime"));
        }
        if next.workers != self.workers {
            return Err(invalid("workers", "cannot change at runtime"));
        }
        next.validate()?;
        Ok(next)
    }
}

fn check_fraction(field: String, value: f64) -> Result<(), ConfigError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            field,
            rule: "must be a fraction between 0 and 1",
        })
    }
}

fn invalid(field: &str, rule: &'static str) -> ConfigError {
    ConfigError::Invalid {
        field: field.to_owned(),
        rule,
    }
}

/// Deep merge of JSON objects; anything else in `patch` replaces `base`.
fn merge(base: &mut serde_json::Value, patch: serde_json::Value) {
    match (base, patch) {
        (serde_json::Value::Object(base), serde_json::Value::Object(patch)) => {
            for (key, value) in patch {
                match base.get_mut(&key) {
                    Some(slot) => merge(slot, value),
                    None => {
                        base.insert(key, value);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_nested_values_and_parses_the_down_list() {
        let env = config::Map::from([
            (
                "LONJAK_SIM__DUKCAPIL__LATENCY_MS".to_owned(),
                "5".to_owned(),
            ),
            (
                "LONJAK_SIM__FRACTIONS__NOT_FOUND".to_owned(),
                "0.5".to_owned(),
            ),
            ("LONJAK_SIM__DOWN".to_owned(), "dukcapil,dtks".to_owned()),
        ]);
        let loaded = SimConfig::from_sources(None, Some(env)).expect("config loads");
        assert_eq!(loaded.dukcapil.latency_ms, 5);
        assert_eq!(loaded.fractions.not_found, 0.5);
        assert_eq!(loaded.down, vec![Registry::Dukcapil, Registry::Dtks]);
        assert_eq!(loaded.dapodik, RegistryConfig::default());
    }

    #[test]
    fn a_toml_file_overrides_defaults_and_environment_overrides_the_file() {
        let dir = std::env::temp_dir().join(format!("lonjak-sim-{}", rand::random::<u64>()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("sim.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\n[dtks]\nrate_per_sec = 7\nmax_concurrent = 3\n",
        )
        .expect("write file");
        let env =
            config::Map::from([("LONJAK_SIM__DTKS__RATE_PER_SEC".to_owned(), "9".to_owned())]);
        let loaded = SimConfig::from_sources(Some(&path), Some(env)).expect("config loads");
        std::fs::remove_dir_all(&dir).expect("cleanup");
        assert_eq!(loaded.listen, "0.0.0.0:9000");
        assert_eq!(loaded.dtks.max_concurrent, 3);
        assert_eq!(loaded.dtks.rate_per_sec, 9);
    }

    #[test]
    fn the_example_file_spells_out_the_defaults() {
        let path = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/sim.example.toml"));
        let loaded = SimConfig::from_sources(Some(path), Some(config::Map::new())).expect("loads");
        assert_eq!(loaded, SimConfig::default());
    }

    #[test]
    fn a_fraction_above_one_is_rejected() {
        let env =
            config::Map::from([("LONJAK_SIM__DTKS__ERROR_RATE".to_owned(), "1.5".to_owned())]);
        let error = SimConfig::from_sources(None, Some(env)).expect_err("must fail");
        assert!(
            matches!(error, ConfigError::Invalid { ref field, .. } if field == "dtks.error_rate")
        );
    }

    #[test]
    fn a_partial_patch_changes_only_the_keys_it_names() {
        let base = SimConfig::default();
        let next = base
            .patched(serde_json::json!({"dapodik": {"latency_ms": 1}, "down": ["dtks"]}))
            .expect("patch applies");
        assert_eq!(next.dapodik.latency_ms, 1);
        assert_eq!(next.dapodik.max_concurrent, base.dapodik.max_concurrent);
        assert_eq!(next.down, vec![Registry::Dtks]);
        assert_eq!(next.dukcapil, base.dukcapil);
    }

    #[test]
    fn a_patch_with_an_unknown_key_or_a_new_listen_address_is_rejected() {
        let base = SimConfig::default();
        assert!(
            base.patched(serde_json::json!({"dukcapil": {"latency": 1}}))
                .is_err()
        );
        assert!(
            base.patched(serde_json::json!({"listen": "0.0.0.0:1"}))
                .is_err()
        );
    }
}
