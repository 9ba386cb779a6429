//! Typed settings, read by the one settings loader (`lonjak-settings`):
//! defaults, then the TOML file named by `LONJAK_CONFIG_FILE`, then
//! `LONJAK_SECTION__KEY` environment variables. Every key is listed in
//! `docs/configuration.md`.

use std::num::NonZeroU32;
use std::time::Duration;

use lonjak_bus::BusSettings;
use lonjak_domain::EmailVerificationSettings;
use lonjak_store::DatabaseSettings;
use lonjak_telemetry::ops::OpsSettings;
use lonjak_worker::WorkerSettings;
use secrecy::SecretString;
use serde::Deserialize;

/// Everything the notifier needs to run.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub bus: BusSettings,
    #[serde(default)]
    pub database: DatabaseSettings,
    pub email_verification: EmailVerificationSettings,
    pub email: EmailSettings,
    pub sms: SmsSettings,
    #[serde(default)]
    pub notifier: NotifierSettings,
    #[serde(default)]
    pub worker: WorkerSettings,
    pub ops: OpsSettings,
}

/// How fast one provider may be called: `governor`'s token bucket.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// Messages per second, sustained.
    pub rate_per_sec: NonZeroU32,
    /// Messages that may go at once after a quiet spell.
    pub burst: NonZeroU32,
}

/// `email.*`: the SMTP relay.
#[derive(Debug, Clone, Deserialize)]
pub struct EmailSettings {
    /// `smtp://host:port` (plain), `smtp://host:port?tls=required` (STARTTLS)
    /// or `smtps://host:port`; credentials as `smtp://user:pass@…`. Secret.
    pub smtp_url: SecretString,
    /// The sender, `Name <address>`.
    pub from: String,
    /// The domain of the `Message-ID`s (derived from the idempotency key,
    /// so a receiving system can drop a repeat).
    pub message_id_domain: String,
    /// Messages per second to the relay, sustained (`governor`).
    pub rate_per_sec: NonZeroU32,
    /// Messages at once after a quiet spell.
    pub burst: NonZeroU32,
    /// SMTP connections kept open.
    pub pool_size: u32,
    /// One SMTP exchange at most, in ms.
    pub timeout_ms: u64,
    /// The email loop's own `worker.*` values, where they differ.
    #[serde(default)]
    pub worker: LoopSettings,
}

/// `sms.*`: the SMS provider's HTTP API.
#[derive(Debug, Clone, Deserialize)]
pub struct SmsSettings {
    /// Base URL (`POST {url}/v1/messages`).
    pub url: String,
    /// Messages per second to the provider, sustained (`governor`).
    pub rate_per_sec: NonZeroU32,
    /// Messages at once after a quiet spell.
    pub burst: NonZeroU32,
    /// One request at most, in ms.
    pub timeout_ms: u64,
    /// The SMS loop's own `worker.*` values, where they differ.
    #[serde(default)]
    pub worker: LoopSettings,
}

/// `email.worker.*` / `sms.worker.*`: each channel has a consume loop of its
/// own (its own queue); these override `worker.*` for one of them, e.g. a
/// smaller prefetch for a slow provider, so that fewer events wait in hand.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct LoopSettings {
    pub batch_size: Option<usize>,
    pub concurrency: Option<usize>,
    pub prefetch: Option<u16>,
}

impl LoopSettings {
    /// `base` with these values over it.
    pub fn over(&self, base: &WorkerSettings) -> WorkerSettings {
        WorkerSettings {
            batch_size: self.batch_size.unwrap_or(base.batch_size),
            concurrency: self.concurrency.unwrap_or(base.concurrency),
            prefetch: self.prefetch.unwrap_or(base.prefetch),
            ..base.clone()
        }
    }
}

impl EmailSettings {
    pub fn pace(&self) -> Pace {
        Pace {
            rate_per_sec: self.rate_per_sec,
            burst: self.burst,
        }
    }
}

impl SmsSettings {
    pub fn pace(&self) -> Pace {
        Pace {
            rate_per_sec: self.rate_per_sec,
            burst: self.burst,
        }
    }
}

/// `notifier.*`: what is particular to notifying.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct NotifierSettings {
    /// How long one message may wait for its provider (rate limit, a
    /// provider's Retry-After) before it goes through a retry queue, in ms.
    pub send_deadline_ms: u64,
    /// How long a claimed message stays claimed; past it another notifier
    /// may send it (a notifier that died between claim and mark). Must
    /// exceed `send_deadline_ms` with room for the mark, and stay below the
    /// sum of `bus.retry_delays_ms` (an event waiting for the lease goes
    /// through the retry queues meanwhile).
    pub claim_lease_ms: u64,
}

impl Default for NotifierSettings {
    fn default() -> Self {
        Self {
            send_deadline_ms: 30_000,
            claim_lease_ms: 120_000,
        }
    }
}

impl NotifierSettings {
    pub fn send_deadline(&self) -> Duration {
        Duration::from_millis(self.send_deadline_ms)
    }

    pub fn claim_lease(&self) -> Duration {
        Duration::from_millis(self.claim_lease_ms)
    }
}

/// The notifier's own defaults: its ops port, the local mail server and SMS
/// simulator, and their limits. Keys have no default.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("ops.addr", "127.0.0.1:9103"),
    ("email.smtp_url", "smtp://127.0.0.1:1025"),
    ("email.from", "Lonjak <noreply@lonjak.local>"),
    ("email.message_id_domain", "lonjak.local"),
    ("email.rate_per_sec", "50"),
    ("email.burst", "10"),
    ("email.pool_size", "8"),
    ("email.timeout_ms", "10000"),
    ("sms.url", "http://127.0.0.1:8091"),
    ("sms.rate_per_sec", "50"),
    ("sms.burst", "10"),
    ("sms.timeout_ms", "5000"),
];

/// A setting that loads but cannot work.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Invalid {
    #[error("notifier.claim_lease_ms must exceed notifier.send_deadline_ms")]
    LeaseTooShort,
    #[error("email.pool_size must be at least 1")]
    NoPool,
    #[error(
        "notifier.claim_lease_ms must be below the sum of bus.retry_delays_ms: an event waiting for \
         a dead notifier's claim would otherwise run out of retries before the lease ends"
    )]
    LeaseOutlastsRetries,
}

impl Settings {
    /// Loads the settings from the defaults, the file and the environment.
    pub fn load() -> anyhow::Result<Self> {
        let settings: Self = lonjak_settings::load(DEFAULTS)?;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks what the types cannot.
    pub fn validate(&self) -> Result<(), Invalid> {
        if self.notifier.claim_lease_ms <= self.notifier.send_deadline_ms {
            return Err(Invalid::LeaseTooShort);
        }
        if self.email.pool_size == 0 {
            return Err(Invalid::NoPool);
        }
        let retries: u64 = self.bus.retry_delays_ms.iter().sum();
        if self.notifier.claim_lease_ms >= retries {
            return Err(Invalid::LeaseOutlastsRetries);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    const KEY: &str = "1111111111111111111111111111111111111111111111111111111111111111";

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, lonjak_settings::SettingsError> {
        let mut env: HashMap<String, String> =
            HashMap::from([("LONJAK_EMAIL_VERIFICATION__KEY".to_owned(), KEY.to_owned())]);
        for (k, v) in pairs {
            env.insert((*k).to_owned(), (*v).to_owned());
        }
        lonjak_settings::load_from(DEFAULTS, None, Some(env))
    }

    #[test]
    fn defaults_need_only_the_verification_key() {
        let settings = load(&[]).expect("settings");
        assert_eq!(settings.ops.addr, "127.0.0.1:9103");
        assert_eq!(settings.email.rate_per_sec.get(), 50);
        assert_eq!(settings.sms.url, "http://127.0.0.1:8091");
        assert_eq!(settings.email_verification.ttl_hours, 48);
        assert!(settings.validate().is_ok());
    }

    #[test]
    fn environment_overrides_and_impossible_values_are_refused() {
        let settings = load(&[
            ("LONJAK_SMS__RATE_PER_SEC", "7"),
            ("LONJAK_EMAIL_VERIFICATION__TTL_HOURS", "1"),
            ("LONJAK_NOTIFIER__CLAIM_LEASE_MS", "1000"),
        ])
        .expect("settings");
        assert_eq!(settings.sms.rate_per_sec.get(), 7);
        assert_eq!(settings.email_verification.ttl_hours, 1);
        assert!(matches!(settings.validate(), Err(Invalid::LeaseTooShort)));
        let settings = load(&[
            ("LONJAK_SMS__WORKER__PREFETCH", "40"),
            ("LONJAK_WORKER__BATCH_SIZE", "20"),
        ])
        .expect("settings");
        let sms = settings.sms.worker.over(&settings.worker);
        let email = settings.email.worker.over(&settings.worker);
        assert_eq!((sms.prefetch(), sms.batch_size), (40, 20));
        assert_eq!(
            (email.prefetch(), email.batch_size),
            (settings.worker.prefetch(), 20)
        );
        let settings = load(&[("LONJAK_BUS__RETRY_DELAYS_MS", "1000,2000")]).expect("settings");
        assert!(matches!(
            settings.validate(),
            Err(Invalid::LeaseOutlastsRetries)
        ));
        assert!(load(&[("LONJAK_SMS__RATE_PER_SEC", "0")]).is_err());
        let no_key = lonjak_settings::load_from::<Settings>(DEFAULTS, None, Some(HashMap::new()));
        assert!(no_key.is_err(), "the verification key has no default");
    }
}
