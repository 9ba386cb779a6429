//! What the notifier consumes, and what each event tells the applicant: the
//! news (the idempotency key's `event`), its template and its channels.

use lonjak_bus::Envelope;
use lonjak_domain::RegistrationId;
use lonjak_domain::events::{
    EmailVerificationRequested, Event, RegistrationRejected, RegistrationScored,
    RegistrationSelected, RegistrationVerified, RegistrationWaitlisted, ScoreExplanation,
    SelectionDecided,
};
use lonjak_store::Channel;
use lonjak_worker::{Consumed, DecodeError, decode_envelope};
use serde::Serialize;

/// Every event bound to the notifier's queue.
#[derive(Debug, Clone)]
pub enum NotifierEvent {
    Verified(RegistrationVerified),
    Rejected(RegistrationRejected),
    Scored(RegistrationScored),
    Selected(RegistrationSelected),
    Waitlisted(RegistrationWaitlisted),
    LinkRequested(EmailVerificationRequested),
    /// A page of a selection's decisions: fanned out per applicant
    /// (`crate::fanout`) before anything is told.
    Decided(SelectionDecided),
}

fn wrap<E: serde::de::DeserializeOwned, T>(
    body: &[u8],
    f: impl FnOnce(E) -> T,
) -> Result<Envelope<T>, DecodeError> {
    let envelope: Envelope<E> = decode_envelope(body)?;
    Ok(Envelope {
        schema_version: envelope.schema_version,
        event_id: envelope.event_id,
        event_type: envelope.event_type,
        occurred_at: envelope.occurred_at,
        correlation_id: envelope.correlation_id,
        payload: f(envelope.payload),
    })
}

impl Consumed for NotifierEvent {
    fn decode(routing_key: &str, body: &[u8]) -> Result<Envelope<Self>, DecodeError> {
        match routing_key {
            RegistrationVerified::ROUTING_KEY => wrap(body, Self::Verified),
            RegistrationRejected::ROUTING_KEY => wrap(body, Self::Rejected),
            RegistrationScored::ROUTING_KEY => wrap(body, Self::Scored),
            RegistrationSelected::ROUTING_KEY => wrap(body, Self::Selected),
            RegistrationWaitlisted::ROUTING_KEY => wrap(body, Self::Waitlisted),
            EmailVerificationRequested::ROUTING_KEY => wrap(body, Self::LinkRequested),
            SelectionDecided::ROUTING_KEY => wrap(body, Self::Decided),
            _ => Err(DecodeError::UnexpectedEvent),
        }
    }

    fn subject(&self) -> Option<RegistrationId> {
        self.registration_id()
    }
}

impl NotifierEvent {
    /// The applicant the event is about; `None` for a page of decisions
    /// (about many).
    pub fn registration_id(&self) -> Option<RegistrationId> {
        Some(match self {
            Self::Verified(e) => e.registration_id,
            Self::Rejected(e) => e.registration_id,
            Self::Scored(e) => e.registration_id,
            Self::Selected(e) => e.registration_id,
            Self::Waitlisted(e) => e.registration_id,
            Self::LinkRequested(e) => e.registration_id,
            Self::Decided(_) => return None,
        })
    }

    /// What to tell the applicant, or `None` for an event they do not hear
    /// about on its own (a score: its parts come with the selection; a page
    /// of decisions: its applicants hear about their own).
    pub fn notice(&self) -> Option<Notice> {
        let both = &[Channel::Email, Channel::Sms][..];
        let (template, event, channels, facts) = match self {
            Self::Verified(_) => ("verified", "verified".to_owned(), both, Facts::default()),
            Self::Rejected(e) => (
                "rejected",
                format!("rejected.{}", e.reason.as_str()),
                both,
                Facts {
                    reason: Some(e.reason.as_str()),
                    ..Facts::default()
                },
            ),
            Self::Scored(_) | Self::Decided(_) => return None,
            Self::Selected(e) => (
                "selected",
                "selected".to_owned(),
                both,
                Facts::ranked(e.rank, &e.score),
            ),
            Self::Waitlisted(e) => (
                "waitlisted",
                "waitlisted".to_owned(),
                both,
                Facts::ranked(e.rank, &e.score),
            ),
            Self::LinkRequested(e) => (
                "email_verification",
                format!(
                    "email_verification.{}.{}",
                    lonjak_domain::submission_date(e.requested_at),
                    e.sequence
                ),
                &[Channel::Email][..],
                Facts::default(),
            ),
        };
        Some(Notice {
            template,
            event,
            channels,
            facts,
        })
    }
}

/// One piece of news for one applicant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The template's name (`templates/{language}/{template}.{channel}`).
    pub template: &'static str,
    /// The idempotency key's event: the news itself, so that the same news
    /// published twice (even under two event ids) is one message.
    pub event: String,
    pub channels: &'static [Channel],
    pub facts: Facts,
}

/// What the templates say besides the applicant's name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facts {
    /// A rejection's reason code (the template words it).
    pub reason: Option<&'static str>,
    pub rank: Option<u32>,
    pub score: Option<ScoreExplanation>,
}

impl Facts {
    fn ranked(rank: u32, score: &ScoreExplanation) -> Self {
        Self {
            rank: Some(rank),
            score: Some(score.clone()),
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use lonjak_domain::events::ScorePart;
    use lonjak_domain::{RejectionReason, Wave};
    use time::macros::datetime;

    use super::*;

    fn id() -> RegistrationId {
        RegistrationId::from_bytes([3; 16])
    }

    #[test]
    fn each_rejection_reason_is_its_own_news_and_a_score_is_none() {
        let rejected = |reason| {
            NotifierEvent::Rejected(RegistrationRejected {
                registration_id: id(),
                wave: Wave::FIRST,
                rejected_at: datetime!(2020-04-11 03:00 UTC),
                reason,
            })
            .notice()
            .expect("a notice")
        };
        assert_eq!(
            rejected(RejectionReason::Under18).event,
            "rejected.under_18"
        );
        assert_ne!(
            rejected(RejectionReason::Under18).event,
            rejected(RejectionReason::IdentityMismatch).event
        );
        let scored = NotifierEvent::Scored(RegistrationScored {
            registration_id: id(),
            wave: Wave::FIRST,
            scored_at: datetime!(2020-04-11 03:00 UTC),
            score: ScoreExplanation {
                total: 1,
                parts: vec![ScorePart {
                    rule: "x".into(),
                    points: 1,
                }],
            },
        });
        assert_eq!(scored.notice(), None);
    }

    #[test]
    fn each_link_request_is_its_own_email_and_never_an_sms() {
        let request = |sequence| {
            NotifierEvent::LinkRequested(EmailVerificationRequested {
                registration_id: id(),
                // 20:00 UTC is already the next day in WIB.
                requested_at: datetime!(2020-04-11 20:00 UTC),
                sequence,
            })
            .notice()
            .expect("a notice")
        };
        assert_eq!(request(2).event, "email_verification.2020-04-12.2");
        assert_ne!(request(1).event, request(2).event);
        assert_eq!(request(1).channels, &[Channel::Email]);
    }
}
