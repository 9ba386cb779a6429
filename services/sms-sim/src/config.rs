//! Simulator configuration: defaults → optional TOML file →
//! `LONJAK_SMS_SIM__…` environment variables, and the JSON merge of
//! `PUT /admin/config`.

use std::path::Path;

use serde::{Deserialize, Serialize};

/// How the simulated provider behaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsSimConfig {
    /// Listen address for [`crate::run`]; [`crate::spawn`] binds port 0.
    pub listen: String,
    /// HTTP worker threads; 0 means one per core ([`crate::run`]), one ([`crate::spawn`]).
    pub workers: usize,
    /// Mean answer latency, ms.
    pub latency_ms: u64,
    /// Uniform jitter around the mean, ms.
    pub latency_jitter_ms: u64,
    /// Fraction (0–1) of admitted requests answered 503 (a transient failure).
    pub error_rate: f64,
    /// Messages accepted per second (token bucket); beyond it 429 with
    /// `Retry-After`. 0 means no limit.
    pub capacity_per_sec: u32,
    /// Token-bucket size; 0 means one second's worth.
    pub burst: u32,
    /// Numbers starting with this prefix do not exist: 400 `unknown_number`
    /// (a permanent failure). Empty disables it.
    pub unreachable_prefix: String,
}

impl Default for SmsSimConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8091".to_owned(),
            workers: 0,
            latency_ms: 20,
            latency_jitter_ms: 10,
            error_rate: 0.0,
            capacity_per_sec: 500,
            burst: 0,
            unreachable_prefix: "+62899".to_owned(),
        }
    }
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read the configuration")]
    Load(#[from] config::ConfigError),
    #[error("invalid configuration patch")]
    Patch(#[from] serde_json::Error),
    #[error("error_rate must be within 0 and 1, got {0}")]
    ErrorRate(f64),
}

impl SmsSimConfig {
    /// Defaults, then `file` (TOML), then `LONJAK_SMS_SIM__KEY` variables.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        Self::from_sources(file, None)
    }

    /// As [`SmsSimConfig::load`], with the environment given (tests).
    pub fn from_sources(
        file: Option<&Path>,
        env: Option<config::Map<String, String>>,
    ) -> Result<Self, ConfigError> {
        let mut builder = config::Config::builder();
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).required(true));
        }
        let environment = config::Environment::with_prefix("LONJAK_SMS_SIM")
            .prefix_separator("__")
            .separator("__")
            .try_parsing(true)
            .source(env);
        let loaded: Self = builder.add_source(environment).build()?.try_deserialize()?;
        loaded.validate()?;
        Ok(loaded)
    }

    /// Checks the values serde cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err(ConfigError::ErrorRate(self.error_rate));
        }
        Ok(())
    }

    /// This configuration with the fields of `patch` (a JSON object) replaced.
    pub fn patched(&self, patch: serde_json::Value) -> Result<Self, ConfigError> {
        let mut current = serde_json::to_value(self)?;
        if let (Some(target), serde_json::Value::Object(fields)) = (current.as_object_mut(), patch)
        {
            for (key, value) in fields {
                target.insert(key, value);
            }
        }
        let next: Self = serde_json::from_value(current)?;
        next.validate()?;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_defaults_and_bad_rates_are_refused() {
        let env = [("LONJAK_SMS_SIM__CAPACITY_PER_SEC", "7")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let config = SmsSimConfig::from_sources(None, Some(env)).expect("config");
        assert_eq!(config.capacity_per_sec, 7);
        assert_eq!(config.listen, "127.0.0.1:8091");
        assert!(
            config
                .patched(serde_json::json!({"error_rate": 2.0}))
                .is_err()
        );
        assert!(
            config
                .patched(serde_json::json!({"no_such_key": 1}))
                .is_err()
        );
        let patched = config
            .patched(serde_json::json!({"latency_ms": 0}))
            .expect("patch");
        assert_eq!(patched.latency_ms, 0);
        assert_eq!(patched.capacity_per_sec, 7);
    }
}
