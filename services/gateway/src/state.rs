//! What every request handler shares.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use lonjak_domain::{EmailVerificationSettings, IdentityKey, Wave};

use crate::broker::{BusSlot, QueueGauge};
use crate::metrics::IntakeMetrics;
use crate::status::StatusSource;

pub struct AppState {
    pub bus: BusSlot,
    pub identity: IdentityKey,
    pub default_wave: Wave,
    pub open_waves: std::ops::RangeInclusive<u32>,
    pub max_body_bytes: usize,
    /// Deadline for the whole body to arrive.
    pub body_timeout: Duration,
    pub publish_timeout: Duration,
    /// Pause between first-connection attempts (Retry-After while unconnected).
    pub reconnect_delay: Duration,
    pub metrics: IntakeMetrics,
    pub queue: QueueGauge,
    /// Registrations confirmed by the broker since start (drain estimate input).
    pub accepted: Arc<AtomicU64>,
    pub status: StatusSource,
    pub email_verification: Option<EmailVerificationSettings>,
}
