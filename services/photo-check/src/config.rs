//! Typed settings, read by the one settings loader (`lonjak-settings`):
//! defaults, then the TOML file named by `LONJAK_CONFIG_FILE`, then
//! `LONJAK_SECTION__KEY` environment variables. Every key is listed in
//! `docs/configuration.md`.

use lonjak_bus::BusSettings;
use lonjak_domain::PhotoLimits;
use lonjak_photos::ObjectStoreSettings;
use lonjak_store::DatabaseSettings;
use lonjak_telemetry::ops::OpsSettings;
use lonjak_worker::WorkerSettings;
use serde::Deserialize;

/// Everything the photo-check worker needs to run.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub bus: BusSettings,
    #[serde(default)]
    pub database: DatabaseSettings,
    #[serde(default)]
    pub object_store: ObjectStoreSettings,
    /// `photos.max_bytes`, `photos.min_side`, `photos.max_side`.
    #[serde(default)]
    pub photos: PhotoLimits,
    #[serde(default)]
    pub worker: WorkerSettings,
    pub ops: OpsSettings,
}

/// The photo-check worker's own defaults: its ops port.
pub const DEFAULTS: &[(&str, &str)] = &[("ops.addr", "127.0.0.1:9104")];

impl Settings {
    pub fn load() -> anyhow::Result<Self> {
        let settings: Self = lonjak_settings::load(DEFAULTS)?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.object_store.is_enabled(),
            "object_store.endpoint is required"
        );
        anyhow::ensure!(
            self.photos.min_side <= self.photos.max_side,
            "photos.min_side must not exceed photos.max_side"
        );
        Ok(())
    }
}
