//! Gateway settings, read by the one settings loader (`lonjak-settings`):
//! defaults → the TOML file named by `LONJAK_CONFIG_FILE` →
//! `LONJAK_SECTION__KEY` environment variables. The shared sections (`bus`,
//! `database`, `identity`, `ops`) are defined once in their crates; every key
//! is listed in `docs/configuration.md`.

use std::time::Duration;

use anyhow::Context;
use lonjak_bus::BusSettings;
use lonjak_domain::{EmailVerificationSettings, IdentitySettings};
use lonjak_store::DatabaseSettings;
use lonjak_telemetry::ops::OpsSettings;
use secrecy::ExposeSecret;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub http: HttpSettings,
    #[serde(default)]
    pub bus: BusSettings,
    /// For status look-ups; an empty `database.url` disables them.
    #[serde(default)]
    pub database: DatabaseSettings,
    pub identity: IdentitySettings,
    /// The public key applicants are sealed to (`seal.public_key`).
    pub seal: lonjak_seal::SealingSettings,
    #[serde(default)]
    pub intake: IntakeSettings,
    #[serde(default)]
    pub admission: AdmissionSettings,
    pub ops: OpsSettings,
    /// The waiting room (off unless `waitroom.waves` names a wave).
    #[serde(default)]
    pub waitroom: crate::waitroom::WaitroomSettings,
    /// Verification links and their re-sending; without it (no
    /// `email_verification.key`) those endpoints answer 503.
    #[serde(default)]
    pub email_verification: Option<EmailVerificationSettings>,
    /// The object store photos are uploaded to; an empty
    /// `object_store.endpoint` turns photo upload off (503).
    #[serde(default)]
    pub object_store: lonjak_photos::ObjectStoreSettings,
    #[serde(default)]
    pub photo_upload: crate::photos::PhotoUploadSettings,
    /// The limits the photo check applies (`max_bytes` is told to applicants).
    #[serde(default)]
    pub photos: lonjak_domain::PhotoLimits,
}

/// The gateway's own defaults: its ops port.
pub const DEFAULTS: &[(&str, &str)] = &[("ops.addr", "127.0.0.1:9100")];

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct HttpSettings {
    /// Listen address; port 0 picks a free port (tests).
    pub addr: String,
    /// actix worker threads; 0 means one per core.
    pub workers: usize,
    /// Largest request body accepted, in bytes (413 beyond).
    pub max_body_bytes: usize,
    /// Seconds in-flight requests get to finish after SIGTERM.
    pub shutdown_grace_secs: u64,
    /// After SIGTERM, how long the gateway keeps serving with `/readyz`
    /// false before it stops accepting: the time load balancers need to
    /// notice and send new requests elsewhere.
    pub drain_delay_ms: u64,
    /// A request body must arrive in full within this time (408 beyond):
    /// a client trickling its body holds a connection, never a publish slot.
    pub body_timeout_ms: u64,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:8080".to_owned(),
            workers: 0,
            max_body_bytes: 16 * 1024,
            shutdown_grace_secs: 10,
            drain_delay_ms: 5_000,
            body_timeout_ms: 5_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct IntakeSettings {
    /// Wave a registration joins when it names none.
    pub default_wave: u32,
    /// Waves accepted by this gateway, inclusive range, while the waves
    /// table is not available (no database, not read yet, or empty).
    pub open_waves_min: u32,
    pub open_waves_max: u32,
    /// How often the waves table is read, in ms: a wave opened or closed by
    /// an operator takes effect within this interval.
    pub waves_poll_ms: u64,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        Self {
            default_wave: 1,
            open_waves_min: 1,
            open_waves_max: 1,
            waves_poll_ms: 2_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct AdmissionSettings {
    /// Per-client sustained rate (requests per second) and burst.
    pub client_per_sec: u32,
    pub client_burst: u32,
    /// Whole-gateway sustained rate and burst: what the pipeline absorbs.
    pub global_per_sec: u32,
    pub global_burst: u32,
    /// Requests allowed to wait for a broker confirm at once.
    pub max_inflight: usize,
    /// Peers whose `X-Forwarded-For` is believed (load balancers): single
    /// addresses or CIDR ranges (`10.0.0.0/8`, `fd00::/8`).
    #[serde(deserialize_with = "lonjak_settings::list::deserialize")]
    pub trusted_proxies: Vec<String>,
    /// Per-client sustained rate and burst of status look-ups.
    pub status_per_sec: u32,
    pub status_burst: u32,
    /// How often idle per-client limiter state is purged.
    pub client_gc_interval_secs: u64,
}

impl Default for AdmissionSettings {
    fn default() -> Self {
        Self {
            client_per_sec: 5,
            client_burst: 10,
            global_per_sec: 3_000,
            global_burst: 1_000,
            max_inflight: 2_000,
            trusted_proxies: Vec::new(),
            status_per_sec: 2,
            status_burst: 20,
            client_gc_interval_secs: 10,
        }
    }
}

impl Settings {
    /// Loads settings: defaults, then the TOML file named by
    /// `LONJAK_CONFIG_FILE` (a named file that does not exist is an error),
    /// then `LONJAK_*` environment variables; then validates them.
    pub fn load() -> anyhow::Result<Self> {
        let settings: Settings =
            lonjak_settings::load(DEFAULTS).context("invalid configuration")?;
        settings.validate()?;
        Ok(settings)
    }

    /// Every default, with `identity` and `seal` (which have none). For
    /// tests and tools.
    pub fn with_defaults(identity: IdentitySettings, seal: lonjak_seal::SealingSettings) -> Self {
        Self {
            http: HttpSettings::default(),
            bus: BusSettings::default(),
            database: DatabaseSettings::default(),
            identity,
            seal,
            intake: IntakeSettings::default(),
            admission: AdmissionSettings::default(),
            ops: OpsSettings {
                addr: "127.0.0.1:9100".to_owned(),
            },
            waitroom: crate::waitroom::WaitroomSettings::default(),
            email_verification: None,
            object_store: lonjak_photos::ObjectStoreSettings::default(),
            photo_upload: crate::photos::PhotoUploadSettings::default(),
            photos: lonjak_domain::PhotoLimits::default(),
        }
    }

    /// Rejects settings that cannot work, with a message naming the key.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.photo_upload.validate()?;
        anyhow::ensure!(
            self.http.max_body_bytes > 0,
            "http.max_body_bytes must be positive"
        );
        anyhow::ensure!(
            self.intake.open_waves_min >= 1
                && self.intake.open_waves_min <= self.intake.open_waves_max,
            "intake.open_waves_min must be ≥ 1 and ≤ intake.open_waves_max"
        );
        anyhow::ensure!(
            (self.intake.open_waves_min..=self.intake.open_waves_max)
                .contains(&self.intake.default_wave),
            "intake.default_wave must be one of the open waves"
        );
        let a = &self.admission;
        anyhow::ensure!(
            a.client_per_sec > 0
                && a.client_burst > 0
                && a.global_per_sec > 0
                && a.global_burst > 0,
            "admission rates and bursts must be positive"
        );
        anyhow::ensure!(
            a.status_per_sec > 0 && a.status_burst > 0,
            "admission.status_per_sec and status_burst must be positive"
        );
        self.trusted_proxies()?;
        anyhow::ensure!(
            self.http.body_timeout_ms > 0,
            "http.body_timeout_ms must be positive"
        );
        anyhow::ensure!(
            a.max_inflight > 0,
            "admission.max_inflight must be positive"
        );
        anyhow::ensure!(
            self.bus.publish_timeout_ms > 0,
            "bus.publish_timeout_ms must be positive"
        );
        self.waitroom
            .validate(&(self.intake.open_waves_min..=self.intake.open_waves_max))?;
        anyhow::ensure!(
            !self.waitroom.enabled() || !self.database.url.expose_secret().is_empty(),
            "waitroom.waves needs database.url: the queue is kept in PostgreSQL"
        );
        Ok(())
    }

    /// The trusted proxies as networks; an error names the bad entry.
    pub fn trusted_proxies(&self) -> anyhow::Result<Vec<ipnet::IpNet>> {
        self.admission
            .trusted_proxies
            .iter()
            .map(|entry| {
                crate::admission::parse_network(entry).with_context(|| {
                    format!("admission.trusted_proxies: {entry:?} is not an address or CIDR range")
                })
            })
            .collect()
    }

    pub fn publish_timeout(&self) -> Duration {
        Duration::from_millis(self.bus.publish_timeout_ms)
    }
}
