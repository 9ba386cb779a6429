//! Typed settings, read by the one settings loader (`lonjak-settings`):
//! defaults, then the TOML file named by `LONJAK_CONFIG_FILE`, then
//! `LONJAK_SECTION__KEY` environment variables. Every key is listed in
//! `docs/configuration.md`.

use std::time::Duration;

use lonjak_bus::BusSettings;
use lonjak_domain::IdentitySettings;
use lonjak_store::DatabaseSettings;
use secrecy::SecretString;
use serde::Deserialize;

use crate::auth::Tokens;
use crate::support_config::SupportSettings;

/// Everything the admin API needs to run.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub admin: AdminSettings,
    /// The broker announcements are published to.
    #[serde(default)]
    pub bus: BusSettings,
    #[serde(default)]
    pub database: DatabaseSettings,
    /// The retention period and the erasure's batch size.
    #[serde(default)]
    pub retention: lonjak_ops::retention::RetentionSettings,
    /// Where applicants' photos are, to delete those of erased applicants.
    #[serde(default)]
    pub object_store: lonjak_photos::ObjectStoreSettings,
    /// The identity keys (`LONJAK_IDENTITY__KEY`, and
    /// `LONJAK_IDENTITY__LOOKUP_KEY` where the deployment keeps the stored
    /// hashes under a key of their own): the support desk's look-ups by
    /// NIK, email and phone hash with the stored hashes' key.
    #[serde(default)]
    pub identity: Option<IdentitySettings>,
    /// Limits of the support desk's actions.
    #[serde(default)]
    pub support: SupportSettings,
}

/// `admin.*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AdminSettings {
    /// Listen address of the API, its probes and metrics: an internal
    /// address, never the gateway's public listener.
    pub addr: String,
    /// Operators' bearer tokens, `name:token` pairs separated by commas
    /// (`LONJAK_ADMIN__OPERATOR_TOKENS`). At least one is required; each
    /// token at least 32 characters. The name is what the log records.
    pub operator_tokens: SecretString,
    /// Support agents' tokens, same form; may be empty.
    pub agent_tokens: SecretString,
    /// Bound on selection and announcement statements, in ms (they take
    /// minutes on millions of applicants; look-ups keep
    /// `database.query_timeout_ms`).
    pub batch_query_timeout_ms: u64,
    /// Sort memory PostgreSQL may use for a selection's ranking, unless the
    /// request names one.
    pub work_mem: String,
    /// Events published (and confirmed) per page of an announcement, unless
    /// the request names a page size.
    pub announce_page: u32,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
    /// How long in-flight requests may finish after SIGTERM, in seconds.
    pub shutdown_grace_secs: u64,
}

impl Default for AdminSettings {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:8081".to_owned(),
            operator_tokens: SecretString::from(""),
            agent_tokens: SecretString::from(""),
            batch_query_timeout_ms: 900_000,
            work_mem: "256MB".to_owned(),
            announce_page: 5_000,
            workers: 2,
            shutdown_grace_secs: 30,
        }
    }
}

impl AdminSettings {
    pub fn batch_query_timeout(&self) -> Duration {
        Duration::from_millis(self.batch_query_timeout_ms.max(1_000))
    }
}

impl Settings {
    /// Loads and validates the settings (tokens parse, at least one operator).
    pub fn load() -> anyhow::Result<Self> {
        let settings: Self = lonjak_settings::load(&[])?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        Tokens::from_settings(&self.admin)?;
        self.database.to_config()?;
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
        let settings: Settings = lonjak_settings::load_from(&[], None, Some(env))?;
        settings.validate()?;
        Ok(settings)
    }

    const OPERATOR: &str = "ops:0123456789abcdef0123456789abcdef";

    #[test]
    fn an_operator_token_is_required_and_the_listener_is_not_the_gateways() {
        assert!(load(&[]).is_err(), "no operator token");
        let settings = load(&[("LONJAK_ADMIN__OPERATOR_TOKENS", OPERATOR)]).expect("settings");
        assert_eq!(settings.admin.addr, "127.0.0.1:8081");
    }

    #[test]
    fn the_settings_debug_form_never_shows_a_token() {
        let settings = load(&[("LONJAK_ADMIN__OPERATOR_TOKENS", OPERATOR)]).expect("settings");
        assert!(!format!("{settings:?}").contains("0123456789abcdef"));
    }
}
