//! From what is stored to an eligibility decision: the facts the domain
//! rules take, the transition, and the event announcing it.

use lonjak_bus::Envelope;
use lonjak_domain::eligibility::{Assessment, Facts, ScoreWeights, assess};
use lonjak_domain::events::{
    Event, RegistrationRejected, RegistrationScored, RegistrationVerified,
};
use lonjak_domain::status::RegistrationStatus;
use lonjak_domain::verification::{EducationCheck, IdentityCheck};
use lonjak_domain::{BirthDate, EmploymentStatus, submission_date};
use lonjak_store::{OutboxEvent, ScoreRecord, ScoringInput};
use lonjak_worker::{Item, Reason};
use time::OffsetDateTime;

/// The facts of `input`. The registries' stored answers decide birth date,
/// enrolment and occupation; a registration stored without them (written by
/// hand or by a tool) counts as Dukcapil confirming the stated birth date
/// with no occupation on record, and as not enrolled.
pub fn facts(input: &ScoringInput) -> Result<Facts, Reason> {
    let identity: Option<IdentityCheck> = input
        .identity
        .clone()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| Reason::with_source("unreadable identity check", e))?;
    let education: Option<EducationCheck> = input
        .education
        .clone()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| Reason::with_source("unreadable education check", e))?;
    let stated = BirthDate::from_date(input.birth_date)
        .map_err(|e| Reason::with_source("stored birth date out of range", e))?;
    let registered = identity
        .as_ref()
        .and_then(|i| i.registered_birth_date)
        .and_then(|d| BirthDate::from_date(d).ok())
        .unwrap_or(stated);
    Ok(Facts {
        registered_birth_date: registered,
        enrolled: education.is_some_and(|e| e.enrolled),
        occupation: identity.and_then(|i| i.occupation),
        kk_selected: input.kk_selected,
        employment_status: EmploymentStatus::parse(&input.employment_status)
            .map_err(|e| Reason::with_source("stored employment status unknown", e))?,
        receives_social_aid: input.social_aid_programme.is_some(),
    })
}

/// The record of one verified registration's decision, and its metric label.
pub fn decide(
    item: &Item<RegistrationVerified>,
    input: &ScoringInput,
    weights: &ScoreWeights,
    now: OffsetDateTime,
) -> Result<(ScoreRecord, &'static str), Reason> {
    let verified = &item.envelope.payload;
    let correlation = item.envelope.correlation_id.clone();
    // The age rule's day: the wave's closing day (WIB), or today while the
    // wave has no closing time yet.
    let closes_on = submission_date(input.wave_closes_at.unwrap_or(now));
    let (to, reason, score, event, label) = match assess(&facts(input)?, closes_on, weights) {
        Assessment::Scored(score) => {
            let payload = RegistrationScored {
                registration_id: verified.registration_id,
                wave: verified.wave,
                scored_at: now,
                score: score.clone(),
            };
            let event = outbox(Envelope::event(correlation, payload))?;
            (
                RegistrationStatus::Scored,
                None,
                Some(score),
                event,
                "scored",
            )
        }
        Assessment::Ineligible(reason) => {
            let payload = RegistrationRejected {
                registration_id: verified.registration_id,
                wave: verified.wave,
                rejected_at: now,
                reason,
            };
            let event = outbox(Envelope::event(correlation, payload))?;
            (
                RegistrationStatus::Rejected,
                Some(reason),
                None,
                event,
                "rejected",
            )
        }
    };
    let transition = RegistrationStatus::Verified
        .transition(to, reason)
        .map_err(|e| Reason::with_source("invalid state transition", e))?;
    Ok((
        ScoreRecord {
            id: verified.registration_id,
            transition,
            score,
            event,
        },
        label,
    ))
}

/// The outbox row of an event, as it goes on the wire.
fn outbox<E: Event>(envelope: Envelope<E>) -> Result<OutboxEvent, Reason> {
    let event_id = envelope.event_id;
    let envelope =
        serde_json::to_value(&envelope).map_err(|e| Reason::with_source("event encoding", e))?;
    Ok(OutboxEvent {
        event_id,
        routing_key: E::ROUTING_KEY.to_owned(),
        envelope,
    })
}
