//! Typed settings, read by the one settings loader (`lonjak-settings`):
//! defaults, then the TOML file named by `LONJAK_CONFIG_FILE`, then
//! `LONJAK_SECTION__KEY` environment variables. Every key is listed in
//! `docs/configuration.md`.

use std::time::Duration;

use lonjak_bus::BusSettings;
use lonjak_domain::eligibility::ScoreWeights;
use lonjak_store::DatabaseSettings;
use lonjak_telemetry::ops::OpsSettings;
use lonjak_worker::WorkerSettings;
use serde::Deserialize;

/// Everything the eligibility worker needs to run.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub bus: BusSettings,
    #[serde(default)]
    pub database: DatabaseSettings,
    #[serde(default)]
    pub eligibility: EligibilitySettings,
    #[serde(default)]
    pub worker: WorkerSettings,
    pub ops: OpsSettings,
}

/// `eligibility.*`: the published weights, and how often the selection
/// totals are read for the metrics.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct EligibilitySettings {
    pub weights: ScoreWeights,
    /// How often `lonjak_selection_decisions_total` is refreshed from the
    /// waves table, in ms.
    pub totals_interval_ms: u64,
}

impl Default for EligibilitySettings {
    fn default() -> Self {
        Self {
            weights: ScoreWeights::default(),
            totals_interval_ms: 15_000,
        }
    }
}

impl EligibilitySettings {
    pub fn totals_interval(&self) -> Duration {
        Duration::from_millis(self.totals_interval_ms.max(1_000))
    }
}

/// The eligibility worker's own defaults: its ops port.
pub const DEFAULTS: &[(&str, &str)] = &[("ops.addr", "127.0.0.1:9102")];

impl Settings {
    /// Loads the settings from the defaults, the file and the environment,
    /// and refuses weights that break the published order.
    pub fn load() -> anyhow::Result<Self> {
        let settings: Self = lonjak_settings::load(DEFAULTS)?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        self.eligibility.weights.validate()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn load(pairs: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let env: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let settings: Settings = lonjak_settings::load_from(DEFAULTS, None, Some(env))?;
        settings.validate()?;
        Ok(settings)
    }

    #[test]
    fn defaults_need_nothing_and_carry_the_published_weights() {
        let settings = load(&[]).expect("settings");
        assert_eq!(settings.ops.addr, "127.0.0.1:9102");
        assert_eq!(settings.eligibility.weights, ScoreWeights::default());
    }

    #[test]
    fn weights_come_from_the_environment_and_a_broken_order_is_refused() {
        let settings = load(&[("LONJAK_ELIGIBILITY__WEIGHTS__LAID_OFF", "90")]).expect("settings");
        assert_eq!(settings.eligibility.weights.laid_off, 90);
        assert!(load(&[("LONJAK_ELIGIBILITY__WEIGHTS__EMPLOYED", "95")]).is_err());
    }
}
