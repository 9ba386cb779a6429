//! The values the store takes and gives back. Rows themselves stay private.

use lonjak_domain::{
    IdentityKey, KkHash, NikHash, Registration, RegistrationId, RegistrationStatus,
    RejectionReason, Wave,
};
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A registration as the verifier first records it. Holds personal data:
/// `Debug` shows only the id and wave.
#[derive(Clone)]
pub struct NewRegistration {
    pub id: RegistrationId,
    pub wave: Wave,
    pub nik_hash: NikHash,
    pub kk_hash: KkHash,
    /// Clear NIK; stored only encrypted.
    pub nik: String,
    /// Clear KK number; stored only encrypted.
    pub kk_number: String,
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub birth_date: Date,
    pub employment_status: String,
    pub in_education: bool,
    pub submitted_at: OffsetDateTime,
}

impl NewRegistration {
    /// Everything the store keeps about a parsed registration; the hashes
    /// are derived here with the deployment's identity key.
    pub fn from_domain(
        reg: &Registration,
        id: RegistrationId,
        key: &IdentityKey,
        submitted_at: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            wave: reg.wave(),
            nik_hash: NikHash::derive(key, reg.nik()),
            kk_hash: KkHash::derive(key, reg.kk_number()),
            nik: reg.nik().as_str().to_owned(),
            kk_number: reg.kk_number().as_str().to_owned(),
            full_name: reg.full_name().as_str().to_owned(),
            email: reg.email().as_str().to_owned(),
            phone: reg.phone().as_str().to_owned(),
            birth_date: reg.birth_date().date(),
            employment_status: reg.employment_status().as_str().to_owned(),
            in_education: reg.in_education(),
            submitted_at,
        }
    }
}

impl std::fmt::Debug for NewRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewRegistration")
            .field("id", &self.id.to_string())
            .field("wave", &self.wave.get())
            .finish_non_exhaustive()
    }
}

/// What [`Store::begin_verification`](crate::Store::begin_verification) found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BeginOutcome {
    /// A new row, now `verifying`: run the checks.
    Started,
    /// The row existed in `verifying`: a redelivery after a crash, continue
    /// the checks (they are idempotent).
    Resumed,
    /// The registration is past `verifying` (or, for the same person and wave
    /// under another id, already recorded): do not redo anything; publish a
    /// pending outbox event if there is one, then ack.
    AlreadyDone { status: RegistrationStatus },
}

/// Extra columns set together with a transition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompleteExtra {
    /// The DTKS programme the applicant already receives, if any.
    pub social_aid_programme: Option<String>,
}

/// An event written in the same transaction as the state change it announces,
/// published afterwards (transactional outbox).
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxEvent {
    pub event_id: Uuid,
    pub routing_key: String,
    /// The full message envelope, as it goes on the wire.
    pub envelope: serde_json::Value,
}

/// The public face of a registration: no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusView {
    pub registration_id: RegistrationId,
    pub status: RegistrationStatus,
    pub reason: Option<RejectionReason>,
    pub updated_at: OffsetDateTime,
}
