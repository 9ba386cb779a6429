//! The `waitroom` settings section (every key in `docs/configuration.md`).

use std::time::Duration;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WaitroomSettings {
    /// Waves that run with a waiting room: their registrations need an
    /// admitted ticket. Empty (the default): no waiting room, the direct
    /// flow as before.
    #[serde(deserialize_with = "lonjak_settings::list::deserialize")]
    pub waves: Vec<u32>,
    /// HMAC key signing tickets, 32 bytes as 64 hex digits. Required when
    /// `waves` is not empty; the same on every replica.
    pub ticket_key: SecretString,
    /// Joining opens this long before the wave does; everyone who joins in
    /// this window is placed in a random order at opening.
    pub fair_start_secs: u64,
    /// How long an admitted ticket may be used to submit.
    pub permit_secs: u64,
    /// How often the queue moves (one replica per period does it).
    pub tick_ms: u64,
    /// Backlog to keep in the intake queue, in seconds of drain: enough that
    /// the workers never idle, little enough that an admitted applicant's
    /// receipt comes quickly.
    pub target_backlog_secs: f64,
    /// Floor of the admission rate (per second), while nothing is measured.
    pub min_admit_per_sec: f64,
    /// Header carrying a client key set by a trusted proxy (after a challenge
    /// or a login), used instead of the address when the request comes
    /// through `admission.trusted_proxies`. Empty: the address.
    pub client_key_header: String,
    /// Suggested seconds between a waiting client's status checks.
    pub poll_secs: u64,
    /// How often the intake's drain rate is sampled (one replica per period).
    pub drain_period_ms: u64,
    /// Time constant of the drain rate's smoothing.
    pub drain_time_constant_secs: f64,
    /// Base wait estimates on the drain rate shared through the store
    /// (true), or on this replica's own broker samples (false: the estimate
    /// before the waiting room, kept for comparison).
    pub shared_drain: bool,
    /// Proof of work asked of a client at joining: leading zero bits of
    /// SHA-256 (2^bits hashes on average). 0: no challenge.
    pub challenge_bits: u8,
    /// How long a challenge may be answered.
    pub challenge_ttl_secs: u64,
}

impl Default for WaitroomSettings {
    fn default() -> Self {
        Self {
            waves: Vec::new(),
            ticket_key: SecretString::from(String::new()),
            fair_start_secs: 900,
            permit_secs: 900,
            tick_ms: 1_000,
            target_backlog_secs: 10.0,
            min_admit_per_sec: 5.0,
            client_key_header: String::new(),
            poll_secs: 5,
            drain_period_ms: 1_000,
            drain_time_constant_secs: 5.0,
            shared_drain: true,
            challenge_bits: 0,
            challenge_ttl_secs: 300,
        }
    }
}

impl WaitroomSettings {
    pub fn enabled(&self) -> bool {
        !self.waves.is_empty()
    }

    pub fn permit(&self) -> Duration {
        Duration::from_secs(self.permit_secs)
    }

    pub fn tick(&self) -> Duration {
        Duration::from_millis(self.tick_ms)
    }

    pub fn fair_start(&self) -> Duration {
        Duration::from_secs(self.fair_start_secs)
    }

    /// The ticket key's bytes; an error names the key.
    pub fn ticket_key_bytes(&self) -> anyhow::Result<[u8; 32]> {
        let bytes = hex::decode(self.ticket_key.expose_secret().trim())
            .context("waitroom.ticket_key must be hex")?;
        <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| anyhow::anyhow!("waitroom.ticket_key must be 32 bytes (64 hex digits)"))
    }

    pub fn validate(&self, open_waves: &std::ops::RangeInclusive<u32>) -> anyhow::Result<()> {
        anyhow::ensure!(
            self.drain_period_ms > 0 && self.drain_time_constant_secs > 0.0,
            "waitroom.drain_period_ms and drain_time_constant_secs must be positive"
        );
        if !self.enabled() {
            return Ok(());
        }
        self.ticket_key_bytes()?;
        for wave in &self.waves {
            anyhow::ensure!(
                open_waves.contains(wave),
                "waitroom.waves: wave {wave} is not one of the open waves"
            );
        }
        anyhow::ensure!(
            self.permit_secs > 0 && self.tick_ms > 0 && self.poll_secs > 0,
            "waitroom.permit_secs, tick_ms and poll_secs must be positive"
        );
        anyhow::ensure!(
            self.challenge_bits <= 32 && self.challenge_ttl_secs > 0,
            "waitroom.challenge_bits must be at most 32 and challenge_ttl_secs positive"
        );
        anyhow::ensure!(
            self.target_backlog_secs > 0.0 && self.min_admit_per_sec > 0.0,
            "waitroom.target_backlog_secs and min_admit_per_sec must be positive"
        );
        Ok(())
    }
}
