//! The values the store takes and gives back. Rows themselves stay private.

use lonjak_domain::verification::{CheckOutcome, Registry};
use lonjak_domain::{
    EmailHash, IdentityKey, KkHash, Language, NikHash, PhoneHash, Registration, RegistrationId,
    RegistrationStatus, RejectionReason, SubmissionHash, Transition, Wave,
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
    /// Look-up keys of the contact details (support desk, email links).
    pub email_hash: EmailHash,
    pub phone_hash: PhoneHash,
    /// Clear NIK; stored only encrypted, like every personal field below.
    pub nik: String,
    /// Clear KK number; stored only encrypted.
    pub kk_number: String,
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub birth_date: Date,
    pub employment_status: String,
    pub in_education: bool,
    /// The language the applicant is written to in.
    pub language: Language,
    pub submitted_at: OffsetDateTime,
    /// What this submission stated, hashed: tells a re-submission from a
    /// different submission for the same NIK and wave.
    pub submission_hash: SubmissionHash,
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
            email_hash: EmailHash::derive(key, reg.email().as_str()),
            phone_hash: PhoneHash::derive(key, reg.phone().as_str()),
            nik: reg.nik().as_str().to_owned(),
            kk_number: reg.kk_number().as_str().to_owned(),
            full_name: reg.full_name().as_str().to_owned(),
            email: reg.email().as_str().to_owned(),
            phone: reg.phone().as_str().to_owned(),
            birth_date: reg.birth_date().date(),
            employment_status: reg.employment_status().as_str().to_owned(),
            in_education: reg.in_education(),
            language: reg.language(),
            submitted_at,
            submission_hash: SubmissionHash::derive(key, reg),
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

/// What the store holds about a registration, as far as deciding whether a
/// new submission for it is a duplicate goes. No personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredState {
    pub status: RegistrationStatus,
    pub reason: Option<RejectionReason>,
    pub submission_hash: Option<SubmissionHash>,
}

impl StoredState {
    /// Whether `submission` replaces this record: only a record whose
    /// identity Dukcapil did not confirm holds no place, and only a
    /// submission that states something else replaces it (an identical one
    /// would be rejected the same way).
    pub fn is_reopened_by(&self, submission: &SubmissionHash) -> bool {
        self.status == RegistrationStatus::Rejected
            && self
                .reason
                .is_some_and(RejectionReason::is_identity_failure)
            && self.submission_hash.as_ref() != Some(submission)
    }
}

/// One registry call, as recorded for audits. The detail holds the
/// registry's answer (match flags, categories; never the NIK or a name).
#[derive(Debug, Clone, PartialEq)]
pub struct CheckRecord {
    pub registry: Registry,
    pub outcome: CheckOutcome,
    pub detail: serde_json::Value,
}

/// A decided verification, written with its checks and downstream event in
/// the batch's transaction ([`Store::record_verifications`](crate::Store::record_verifications)).
#[derive(Debug, Clone)]
pub struct Verification {
    pub registration: NewRegistration,
    /// When the worker took the submission (the history's `verifying` time).
    pub started_at: OffsetDateTime,
    /// `verifying → verified | rejected`.
    pub decision: Transition,
    /// The DTKS programme the applicant already receives, if any.
    pub social_aid_programme: Option<String>,
    pub checks: Vec<CheckRecord>,
    pub event: OutboxEvent,
}

/// What recording one verification did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// A new registration row.
    Inserted,
    /// Replaced a record rejected for its identity.
    Reopened,
    /// The registration was already recorded (a redelivery, a duplicate, or
    /// a concurrent submission that got there first): nothing written.
    AlreadyThere,
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
    /// Whether the applicant has followed their email-verification link.
    pub email_verified: bool,
}
