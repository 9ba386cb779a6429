//! The events a test feeds the notifier, each for one applicant.

use lonjak_bus::Envelope;
use lonjak_domain::events::{
    RegistrationRejected, RegistrationSelected, RegistrationVerified, RegistrationWaitlisted,
    ScoreExplanation, ScorePart,
};
use lonjak_domain::{RejectionReason, Wave};
use time::OffsetDateTime;

use crate::helpers::Applicant;

pub fn verified(who: &Applicant) -> Envelope<RegistrationVerified> {
    Envelope::event(
        format!("test-{}", who.id),
        RegistrationVerified {
            registration_id: who.id,
            wave: Wave::FIRST,
            verified_at: OffsetDateTime::now_utc(),
            employment_status: lonjak_domain::EmploymentStatus::LaidOff,
            social_aid_programme: None,
        },
    )
}

pub fn rejected(who: &Applicant, reason: RejectionReason) -> Envelope<RegistrationRejected> {
    Envelope::event(
        format!("test-{}", who.id),
        RegistrationRejected {
            registration_id: who.id,
            wave: Wave::FIRST,
            rejected_at: OffsetDateTime::now_utc(),
            reason,
        },
    )
}

pub fn score() -> ScoreExplanation {
    ScoreExplanation {
        total: 60,
        parts: vec![
            ScorePart {
                rule: "employment.laid_off".into(),
                points: 50,
            },
            ScorePart {
                rule: "social_aid.none".into(),
                points: 10,
            },
        ],
    }
}

pub fn selected(who: &Applicant, rank: u32) -> Envelope<RegistrationSelected> {
    Envelope::event(
        format!("test-{}", who.id),
        RegistrationSelected {
            registration_id: who.id,
            wave: Wave::FIRST,
            decided_at: OffsetDateTime::now_utc(),
            rank,
            score: score(),
        },
    )
}

pub fn waitlisted(who: &Applicant, rank: u32) -> Envelope<RegistrationWaitlisted> {
    Envelope::event(
        format!("test-{}", who.id),
        RegistrationWaitlisted {
            registration_id: who.id,
            wave: Wave::FIRST,
            decided_at: OffsetDateTime::now_utc(),
            rank,
            score: score(),
        },
    )
}
