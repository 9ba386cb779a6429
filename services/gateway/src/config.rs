//! Gateway settings: defaults → optional TOML file → `LONJAK_SECTION__KEY`
//! environment variables. Every key is listed in `docs/configuration.md`.

use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub http: HttpSettings,
    pub bus: BusSettings,
    pub database: DatabaseSettings,
    pub identity: IdentitySettings,
    pub intake: IntakeSettings,
    pub admission: AdmissionSettings,
    pub ops: OpsSettings,
}

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
pub struct BusSettings {
    pub url: SecretString,
    /// Prefix of every exchange and queue name ("" in production).
    pub prefix: String,
    /// Backlog the intake queue may hold before the broker refuses publishes.
    pub intake_max_length: Option<u32>,
    /// How long a publish may wait for the broker's confirm before a 503.
    pub publish_timeout_ms: u64,
    pub connect_timeout_ms: u64,
    /// Pause between connection attempts while the broker is unreachable.
    pub reconnect_delay_ms: u64,
}

impl Default for BusSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from("amqp://guest:guest@127.0.0.1:5672/%2f"),
            prefix: String::new(),
            intake_max_length: Some(500_000),
            publish_timeout_ms: 2_000,
            connect_timeout_ms: 3_000,
            reconnect_delay_ms: 1_000,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// PostgreSQL URL for status look-ups; empty disables them (404 for all).
    pub url: SecretString,
    pub max_connections: usize,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        Self {
            url: SecretString::from("postgres://postgres:postgres@127.0.0.1:5432/lonjak"),
            max_connections: 8,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct IdentitySettings {
    /// Hex key (≥ 32 bytes) for registration ids and NIK hashes. Must be the
    /// same in every service of a deployment; the default is for development only.
    pub key: SecretString,
}

impl Default for IdentitySettings {
    fn default() -> Self {
        Self {
            key: SecretString::from(DEV_IDENTITY_KEY.to_owned()),
        }
    }
}

/// Development-only identity key; `Settings::validate` warns when it is used.
pub const DEV_IDENTITY_KEY: &str =
    "6c6f6e6a616b2d646576656c6f706d656e742d6b65792d6e6f742d7365637265";

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct IntakeSettings {
    /// Wave a registration joins when it names none.
    pub default_wave: u32,
    /// Waves accepted by this gateway, inclusive range.
    pub open_waves_min: u32,
    pub open_waves_max: u32,
}

impl Default for IntakeSettings {
    fn default() -> Self {
        Self {
            default_wave: 1,
            open_waves_min: 1,
            open_waves_max: 1,
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

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct OpsSettings {
    /// Listen address of `/metrics`, `/healthz` and `/readyz`: never the
    /// public port, so metrics are not exposed to applicants.
    pub addr: String,
}

impl Default for OpsSettings {
    fn default() -> Self {
        Self {
            addr: "127.0.0.1:9100".to_owned(),
        }
    }
}

impl Settings {
    /// Loads settings: defaults, then the TOML file named by
    /// `LONJAK_CONFIG_FILE` (if any), then `LONJAK_*` environment variables.
    pub fn load() -> anyhow::Result<Self> {
        let mut builder = config::Config::builder();
        if let Ok(path) = std::env::var("LONJAK_CONFIG_FILE") {
            builder = builder.add_source(config::File::with_name(&path).required(true));
        }
        let settings: Settings = builder
            .add_source(
                config::Environment::with_prefix("LONJAK")
                    .prefix_separator("_")
                    .separator("__")
                    .list_separator(",")
                    .with_list_parse_key("admission.trusted_proxies")
                    .try_parsing(true),
            )
            .build()
            .context("reading configuration")?
            .try_deserialize()
            .context("invalid configuration")?;
        settings.validate()?;
        Ok(settings)
    }

    /// Rejects settings that cannot work, with a message naming the key.
    pub fn validate(&self) -> anyhow::Result<()> {
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
        if self.identity.key.expose_secret() == DEV_IDENTITY_KEY {
            tracing::warn!(
                "identity.key is the development default: set LONJAK_IDENTITY__KEY in production"
            );
        }
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
