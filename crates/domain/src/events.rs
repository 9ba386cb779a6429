//! Payloads of the events on the bus. The envelope around them (schema
//! version, event id, correlation id) belongs to `lonjak-bus`. Each payload
//! names its routing key through [`Event`]: that constant is the only place a
//! routing key is spelled.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::{EmploymentStatus, RegistrationId, RejectionReason, SealedApplicant, Wave};

/// A payload that travels on the bus under its own routing key.
pub trait Event: Serialize + DeserializeOwned + Send + Sync + 'static {
    /// The routing key (and the envelope's `event_type`).
    const ROUTING_KEY: &'static str;

    /// The registration the event is about (logs and traces name it).
    fn registration_id(&self) -> RegistrationId;
}

impl Event for RegistrationSubmitted {
    const ROUTING_KEY: &'static str = "registration.submitted";

    fn registration_id(&self) -> RegistrationId {
        self.registration_id
    }
}

impl Event for RegistrationVerified {
    const ROUTING_KEY: &'static str = "registration.verified";

    fn registration_id(&self) -> RegistrationId {
        self.registration_id
    }
}

impl Event for RegistrationRejected {
    const ROUTING_KEY: &'static str = "registration.rejected";

    fn registration_id(&self) -> RegistrationId {
        self.registration_id
    }
}

impl Event for RegistrationScored {
    const ROUTING_KEY: &'static str = "registration.scored";

    fn registration_id(&self) -> RegistrationId {
        self.registration_id
    }
}

impl Event for RegistrationSelected {
    const ROUTING_KEY: &'static str = "registration.selected";

    fn registration_id(&self) -> RegistrationId {
        self.registration_id
    }
}

impl Event for RegistrationWaitlisted {
    const ROUTING_KEY: &'static str = "registration.waitlisted";

    fn registration_id(&self) -> RegistrationId {
        self.registration_id
    }
}

impl Event for EmailVerificationRequested {
    const ROUTING_KEY: &'static str = "registration.email_verification_requested";

    fn registration_id(&self) -> RegistrationId {
        self.registration_id
    }
}

/// A registration accepted by the gateway. Only what routing, ordering and
/// de-duplication need is in clear; the applicant's fields (the normalised
/// wire form, [`crate::Registration::to_request`]) are sealed to the
/// workers' public key, bound to this id, wave and time (`lonjak-seal`).
/// Consumers that need them open and parse them again with the submission
/// date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegistrationSubmitted {
    pub registration_id: RegistrationId,
    pub wave: Wave,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
    pub applicant: SealedApplicant,
}

impl RegistrationSubmitted {
    /// The submission date ([`crate::submission_date`]), the `today` of
    /// every age rule.
    pub fn submitted_on(&self) -> time::Date {
        crate::submission_date(self.submitted_at)
    }
}

/// A registration that passed verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationVerified {
    pub registration_id: RegistrationId,
    pub wave: Wave,
    #[serde(with = "time::serde::rfc3339")]
    pub verified_at: OffsetDateTime,
    pub employment_status: EmploymentStatus,
    pub social_aid_programme: Option<String>,
}

/// A registration rejected, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationRejected {
    pub registration_id: RegistrationId,
    pub wave: Wave,
    #[serde(with = "time::serde::rfc3339")]
    pub rejected_at: OffsetDateTime,
    pub reason: RejectionReason,
}

/// One part of a priority score: which rule, how many points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScorePart {
    pub rule: String,
    pub points: i32,
}

/// A priority score and the parts it adds up from, so that each applicant
/// can be told why they rank where they do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreExplanation {
    pub total: i32,
    pub parts: Vec<ScorePart>,
}

/// An eligible registration, scored and waiting for its wave's selection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationScored {
    pub registration_id: RegistrationId,
    pub wave: Wave,
    #[serde(with = "time::serde::rfc3339")]
    pub scored_at: OffsetDateTime,
    pub score: ScoreExplanation,
}

/// A registration among the first `quota` of its wave's ranking. `rank` is
/// its 1-based place in that ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationSelected {
    pub registration_id: RegistrationId,
    pub wave: Wave,
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
    pub rank: u32,
    pub score: ScoreExplanation,
}

/// A scored registration ranked below its wave's quota. `rank` is its
/// 1-based place in the wave's ranking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationWaitlisted {
    pub registration_id: RegistrationId,
    pub wave: Wave,
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
    pub rank: u32,
    pub score: ScoreExplanation,
}

/// A page of a wave's selection: the decisions of ranks `first_rank..=last_rank`
/// (each selected, waitlisted, or rejected for the KK cap), taken at
/// `decided_at`. The event names the range, so that announcing two million
/// decisions costs a few thousand messages; consumers read the range in one
/// query. Not an [`Event`]: it is about many registrations, and consumers fan
/// it out into one notice per applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SelectionDecided {
    pub wave: Wave,
    pub first_rank: u32,
    pub last_rank: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub decided_at: OffsetDateTime,
    /// Absent: the ranks are rows of the append-only `selection_decisions`
    /// table (the decided prefix of the ranking). Present: they are the
    /// applicants of the wave's ranking past that prefix (waitlisted, or
    /// rejected for the KK cap where a decision row says so), read in order
    /// after [`RankingPage::after`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranking: Option<RankingPage>,
}

/// Where a page of the ranking past the decided prefix starts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankingPage {
    /// The applicant ranked just before the page (`None`: the page starts
    /// at the top of the ranking).
    pub after: Option<RankCursor>,
}

/// A place in a wave's ranking: the ranking key of the applicant there
/// ([`crate::eligibility::rank_order`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RankCursor {
    pub score: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
    pub id: RegistrationId,
}

impl SelectionDecided {
    /// Its routing key (and envelope `event_type`).
    pub const ROUTING_KEY: &'static str = "selection.decided";
}

/// An applicant asked for their email-verification link again. The day of
/// `requested_at` ([`crate::submission_date`], WIB) and `sequence` (1 for the
/// day's first request, …) make each request its own message: a duplicate
/// delivery of one request still sends one email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmailVerificationRequested {
    pub registration_id: RegistrationId,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    pub sequence: u32,
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
