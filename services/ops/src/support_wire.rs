//! The support desk's JSON bodies (`services/admin`, `/v1/support/*` and
//! `/v1/access-log`), shared by the server and by `lonjak-ops`. Times are
//! RFC 3339. A look-up's personal fields are masked unless an operator
//! asked for them in clear; nothing else here is personal data.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /v1/support/lookup`. Exactly one of `nik`, `email` and `phone`;
/// the value travels in the body, never in a URL or an access-log line.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LookupRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nik: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Why (a ticket number, the caller's question); required, recorded in
    /// the access log. Do not put personal data here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Personal fields in clear: operators only (an agent is refused 403).
    #[serde(default)]
    pub unmasked: bool,
}

// The looked-up value is personal data: `Debug` names which field is set.
impl std::fmt::Debug for LookupRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookupRequest")
            .field("nik", &self.nik.as_ref().map(|_| "<redacted>"))
            .field("email", &self.email.as_ref().map(|_| "<redacted>"))
            .field("phone", &self.phone.as_ref().map(|_| "<redacted>"))
            .field("unmasked", &self.unmasked)
            .finish_non_exhaustive()
    }
}

/// The answer of a look-up: every registration found, every wave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupportLookupBody {
    /// `nik`, `email` or `phone`.
    pub lookup_kind: String,
    /// Whether personal fields are masked.
    pub masked: bool,
    pub registrations: Vec<SupportRegistrationBody>,
}

/// One registration as the desk sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupportRegistrationBody {
    pub registration_id: String,
    pub wave: u32,
    /// planned, open, closed, selected or announced.
    pub wave_state: String,
    pub rejoined_from: Option<u32>,
    pub submitted_at: String,
    /// queued, verifying, verified, scored, selected, waitlisted or rejected.
    pub status: String,
    /// The state in plain words, as the agent tells it.
    pub status_words: String,
    pub reason: Option<String>,
    pub reason_words: Option<String>,
    pub email_verified: bool,
    pub history: Vec<SupportHistoryBody>,
    pub verifications: Vec<SupportVerificationBody>,
    pub notifications: Vec<SupportNotificationBody>,
    pub photos: Vec<SupportPhotoBody>,
    /// Waitlisted applicants only.
    pub rejoin: Option<RejoinEligibilityBody>,
    /// `None` when the admin API holds no data key.
    pub personal: Option<PersonalBody>,
}

/// One change of state, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupportHistoryBody {
    pub from: Option<String>,
    pub to: String,
    pub reason: Option<String>,
    pub words: String,
    pub at: String,
}

/// One registry's verdict: never its answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupportVerificationBody {
    /// dukcapil, dapodik or dtks.
    pub registry: String,
    /// identity_confirmed, identity_not_found, identity_mismatch,
    /// ineligible_occupation, enrolled_in_education, not_enrolled,
    /// receives_social_aid, no_social_aid, not_checked or answered.
    pub outcome: String,
    pub words: String,
    pub checked_at: String,
}

/// One message and its delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupportNotificationBody {
    /// The news: verified, rejected.<reason>, selected, waitlisted,
    /// email_verification.<day>.<n>.
    pub event: String,
    /// email or sms.
    pub channel: String,
    /// pending, claimed, sent or failed.
    pub state: String,
    pub words: String,
    pub attempts: i32,
    pub failure: Option<String>,
    pub created_at: String,
    pub sent_at: Option<String>,
}

/// One photo's check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SupportPhotoBody {
    /// ktp or selfie.
    pub kind: String,
    /// pending, accepted or rejected.
    pub state: String,
    pub reason: Option<String>,
    pub checked_at: String,
}

/// Whether a waitlisted applicant may re-join the next wave now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RejoinEligibilityBody {
    pub eligible: bool,
    pub to_wave: Option<u32>,
    pub words: String,
}

/// Personal fields, masked (`Bu*** S***`, `a***@example.com`,
/// `********1234`) unless an operator asked for them in clear.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PersonalBody {
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub birth_date: String,
    pub nik: String,
    pub kk_number: String,
}

impl std::fmt::Debug for PersonalBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalBody(<redacted>)")
    }
}

/// The body of every agent action: why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `POST /v1/support/registrations/{id}/notifications/resend`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationResendRequest {
    /// The notification's `event`, as the look-up lists it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event: Option<String>,
    /// email or sms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What an agent action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActionBody {
    pub registration_id: String,
    /// resend_verification_email, resend_notification or replay_request.
    pub action: String,
    /// sending (published to the notifier) or filed.
    pub status: String,
    /// How many more of this action today for this registration.
    pub left_today: u32,
}

/// A replay request, as agents file it and operators act on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplayRequestBody {
    pub id: i64,
    pub registration_id: String,
    pub requested_by: String,
    pub reason: String,
    pub requested_at: String,
    /// open, replayed or declined.
    pub state: String,
    pub handled_by: Option<String>,
    pub handled_at: Option<String>,
    pub note: Option<String>,
}

/// `POST /v1/support/replay-requests/{id}/close` (operators).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseReplayRequest {
    /// replayed or declined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// What was done (e.g. "2 dead letters replayed from verifier").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// One access-log entry (`GET /v1/access-log`, operators).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccessLogBody {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub role: Option<String>,
    pub action: String,
    pub lookup_kind: Option<String>,
    pub registration_ids: Vec<String>,
    pub reason: Option<String>,
    pub outcome: String,
    pub detail: Option<String>,
}
