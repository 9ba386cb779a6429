//! `photo_upload.*`: how long upload URLs live and the admission budget of
//! issuing them.

use std::time::Duration;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct PhotoUploadSettings {
    /// Lifetime of an upload URL, in seconds (at most 900).
    pub url_ttl_secs: u64,
    /// Per-client sustained rate and burst of URL requests.
    pub client_per_sec: u32,
    pub client_burst: u32,
    /// Whole-gateway sustained rate and burst of URL requests.
    pub global_per_sec: u32,
    pub global_burst: u32,
}

impl Default for PhotoUploadSettings {
    fn default() -> Self {
        Self {
            url_ttl_secs: 600,
            client_per_sec: 1,
            client_burst: 5,
            global_per_sec: 3_000,
            global_burst: 3_000,
        }
    }
}

impl PhotoUploadSettings {
    pub fn url_ttl(&self) -> Duration {
        Duration::from_secs(self.url_ttl_secs.clamp(1, 900))
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(
            (1..=900).contains(&self.url_ttl_secs),
            "photo_upload.url_ttl_secs must be between 1 and 900 (15 minutes)"
        );
        Ok(())
    }
}
