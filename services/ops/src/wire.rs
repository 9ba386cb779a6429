//! The admin API's JSON bodies (`services/admin`), shared by the server and
//! by `lonjak-ops`, which acts through it. Times are RFC 3339. Nothing here
//! is personal data.

use lonjak_domain::events::ScoreExplanation;
use lonjak_domain::{RegistrationId, RegistrationStatus, RejectionReason, Wave, WaveState};
use lonjak_store::{
    Explanation, Funnel, HistoryEntry, RegistrationHistory, SelectionCounts, SelectionOutcome,
    StatusView, WaveRecord,
};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// A wave as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaveBody {
    #[schema(value_type = u32, minimum = 1)]
    pub wave: Wave,
    pub name: String,
    pub quota: u32,
    /// planned, open, closed, selected or announced.
    #[schema(value_type = String)]
    pub state: WaveState,
    #[serde(with = "time::serde::rfc3339")]
    pub opens_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub closes_at: Option<OffsetDateTime>,
    pub email_verification_required: bool,
    pub photos_required: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub selected_at: Option<OffsetDateTime>,
    pub announced_rank: u32,
}

impl From<&WaveRecord> for WaveBody {
    fn from(w: &WaveRecord) -> Self {
        Self {
            wave: w.number,
            name: w.name.clone(),
            quota: w.quota,
            state: w.state,
            opens_at: w.opens_at,
            closes_at: w.closes_at,
            email_verification_required: w.email_verification_required,
            photos_required: w.photos_required,
            selected_at: w.selected_at,
            announced_rank: w.announced_rank,
        }
    }
}

impl From<WaveBody> for WaveRecord {
    fn from(w: WaveBody) -> Self {
        Self {
            number: w.wave,
            name: w.name,
            quota: w.quota,
            opens_at: w.opens_at,
            closes_at: w.closes_at,
            state: w.state,
            email_verification_required: w.email_verification_required,
            photos_required: w.photos_required,
            selected_at: w.selected_at,
            announced_rank: w.announced_rank,
        }
    }
}

/// `POST /v1/waves`: what `lonjak-ops wave create` sends. The server checks
/// every field (422 naming it); absent flags take the command's defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWave {
    pub wave: i64,
    pub quota: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_verification_required: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photos_required: Option<bool>,
}

/// Whether a selection run decided the wave or found it decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SelectionKind {
    Decided,
    AlreadyDecided,
}

/// `POST /v1/waves/{n}/selection`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SelectionBody {
    #[schema(value_type = u32, minimum = 1)]
    pub wave: Wave,
    pub outcome: SelectionKind,
    pub selected: u64,
    pub waitlisted: u64,
    /// Rejected for the KK cap.
    pub rejected: u64,
    pub duration_ms: u64,
}

impl SelectionBody {
    pub fn new(wave: Wave, outcome: SelectionOutcome, duration_ms: u64) -> Self {
        let (kind, counts) = match outcome {
            SelectionOutcome::Decided(c) => (SelectionKind::Decided, c),
            SelectionOutcome::AlreadyDecided(c) => (SelectionKind::AlreadyDecided, c),
        };
        Self {
            wave,
            outcome: kind,
            selected: counts.selected,
            waitlisted: counts.waitlisted,
            rejected: counts.rejected,
            duration_ms,
        }
    }

    pub fn counts(&self) -> SelectionCounts {
        SelectionCounts {
            selected: self.selected,
            waitlisted: self.waitlisted,
            rejected: self.rejected,
        }
    }
}

/// `POST /v1/waves/{n}/announcement`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AnnouncementBody {
    #[schema(value_type = u32, minimum = 1)]
    pub wave: Wave,
    /// Events confirmed by the broker in this run.
    pub published: u64,
    /// Whether the wave is `announced` now.
    pub finished: bool,
}

/// One state of a funnel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FunnelState {
    /// queued, verifying, verified, scored, selected, waitlisted or rejected.
    #[schema(value_type = String)]
    pub status: RegistrationStatus,
    /// Registrations that ever reached it.
    pub reached: u64,
    /// Registrations in it now.
    pub now: u64,
}

/// Registrations rejected for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReasonCount {
    #[schema(value_type = String)]
    pub reason: RejectionReason,
    pub count: u64,
}

/// `GET /v1/waves/{n}/funnel`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FunnelBody {
    #[schema(value_type = u32, minimum = 1)]
    pub wave: Wave,
    /// Every registration of the wave.
    pub received: u64,
    pub states: Vec<FunnelState>,
    pub rejected: Vec<ReasonCount>,
}

impl FunnelBody {
    pub fn new(wave: Wave, f: &Funnel) -> Self {
        let now_of = |status| {
            f.now
                .iter()
                .find(|(s, _)| *s == status)
                .map_or(0, |(_, n)| *n)
        };
        Self {
            wave,
            received: f.now.iter().map(|(_, n)| n).sum(),
            states: f
                .reached
                .iter()
                .map(|&(status, reached)| FunnelState {
                    status,
                    reached,
                    now: now_of(status),
                })
                .collect(),
            rejected: f
                .rejected
                .iter()
                .map(|&(reason, count)| ReasonCount { reason, count })
                .collect(),
        }
    }

    /// Back into the store's shape, for the command's report.
    pub fn to_funnel(&self) -> Funnel {
        Funnel {
            reached: self.states.iter().map(|s| (s.status, s.reached)).collect(),
            now: self.states.iter().map(|s| (s.status, s.now)).collect(),
            rejected: self.rejected.iter().map(|r| (r.reason, r.count)).collect(),
        }
    }
}

/// `GET /v1/registrations/{id}/explanation` (operators).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ExplanationBody {
    #[schema(value_type = String, example = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f")]
    pub registration_id: RegistrationId,
    pub wave: u32,
    /// queued, verifying, verified, scored, selected, waitlisted or rejected.
    #[schema(value_type = String)]
    pub status: RegistrationStatus,
    #[schema(value_type = Option<String>)]
    pub reason: Option<RejectionReason>,
    /// `{total, parts: [{rule, points}]}`.
    #[schema(value_type = Option<Object>)]
    pub score: Option<ScoreExplanation>,
    pub rank: Option<u32>,
    #[serde(with = "time::serde::rfc3339")]
    pub submitted_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub decided_at: Option<OffsetDateTime>,
    pub rejoined_from: Option<u32>,
}

impl From<&Explanation> for ExplanationBody {
    fn from(e: &Explanation) -> Self {
        Self {
            registration_id: e.id,
            wave: e.wave,
            status: e.status,
            reason: e.reason,
            score: e.score.clone(),
            rank: e.rank,
            submitted_at: e.submitted_at,
            decided_at: e.decided_at,
            rejoined_from: e.rejoined_from,
        }
    }
}

impl From<ExplanationBody> for Explanation {
    fn from(e: ExplanationBody) -> Self {
        Self {
            id: e.registration_id,
            wave: e.wave,
            status: e.status,
            reason: e.reason,
            score: e.score,
            rank: e.rank,
            submitted_at: e.submitted_at,
            decided_at: e.decided_at,
            rejoined_from: e.rejoined_from,
        }
    }
}

/// One change of state in a look-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HistoryBody {
    #[schema(value_type = Option<String>)]
    pub from: Option<RegistrationStatus>,
    #[schema(value_type = String)]
    pub to: RegistrationStatus,
    #[schema(value_type = Option<String>)]
    pub reason: Option<RejectionReason>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl From<&HistoryEntry> for HistoryBody {
    fn from(h: &HistoryEntry) -> Self {
        Self {
            from: h.from,
            to: h.to,
            reason: h.reason,
            at: h.at,
        }
    }
}

/// `GET /v1/registrations/{id}` (agents and operators): the state as the
/// applicant sees it and every recorded change, no personal field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LookupBody {
    #[schema(value_type = String, example = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f")]
    pub registration_id: RegistrationId,
    pub wave: u32,
    /// queued, verifying, verified, scored, selected, waitlisted or rejected.
    #[schema(value_type = String)]
    pub status: RegistrationStatus,
    #[schema(value_type = Option<String>)]
    pub reason: Option<RejectionReason>,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
    pub email_verified: bool,
    pub rejoined_from: Option<u32>,
    pub history: Vec<HistoryBody>,
}

impl LookupBody {
    pub fn new(status: &StatusView, history: &RegistrationHistory) -> Self {
        Self {
            registration_id: status.registration_id,
            wave: history.wave,
            status: status.status,
            reason: status.reason,
            updated_at: status.updated_at,
            email_verified: status.email_verified,
            rejoined_from: history.rejoined_from,
            history: history.entries.iter().map(HistoryBody::from).collect(),
        }
    }
}

/// `POST /v1/registrations/{id}/rejoin`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RejoinBody {
    #[schema(value_type = String, example = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f")]
    pub registration_id: RegistrationId,
    pub from: u32,
    pub to: u32,
}

/// A problem document as the admin API answers (RFC 9457), read back by the
/// command to print the refusal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ProblemBody {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
    /// A reference to the log line of a 500.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// One field a request got wrong: which, by what rule, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub rule: String,
    pub message: String,
}
