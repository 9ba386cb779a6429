//! What every request handler shares.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use lonjak_domain::{EmailVerificationSettings, IdentityKey};

use crate::broker::{BusSlot, QueueGauge};
use crate::metrics::IntakeMetrics;
use crate::status::StatusSource;
use crate::waves::WaveGate;

pub struct AppState {
    pub bus: BusSlot,
    pub identity: IdentityKey,
    /// The workers' public key: every applicant is sealed to it before it
    /// is published. The gateway holds no key that opens it.
    pub seal: lonjak_seal::SealPublicKey,
    /// The waves open now (followed from the waves table).
    pub waves: WaveGate,
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
    /// Photo upload; `None` without `object_store.endpoint`.
    pub photos: Option<crate::photos::Photos>,
}
