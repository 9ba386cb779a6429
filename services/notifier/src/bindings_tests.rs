//! The channel queues' bindings (`lonjak-bus`'s topology) against what the
//! notifier tells on each channel: an event told by SMS that the SMS queue
//! did not get would never be sent, and one it got without an SMS would
//! only cost the broker a copy.

use lonjak_domain::events::{
    EmailVerificationRequested, Event, RegistrationRejected, RegistrationScored,
    RegistrationSelected, RegistrationVerified, RegistrationWaitlisted, ScoreExplanation,
    SelectionDecided,
};
use lonjak_domain::{EmploymentStatus, RegistrationId, RejectionReason, Wave};
use lonjak_store::Channel;
use time::macros::datetime;

use crate::notice::NotifierEvent;
use crate::startup::LOOPS;

/// One of every event the notifier consumes, with its routing key.
fn every_event() -> Vec<(&'static str, NotifierEvent)> {
    let registration_id = RegistrationId::from_bytes([5; 16]);
    let wave = Wave::FIRST;
    let at = datetime!(2020-04-11 03:00 UTC);
    let score = ScoreExplanation {
        total: 0,
        parts: Vec::new(),
    };
    vec![
        (
            RegistrationVerified::ROUTING_KEY,
            NotifierEvent::Verified(RegistrationVerified {
                registration_id,
                wave,
                verified_at: at,
                employment_status: EmploymentStatus::LaidOff,
                social_aid_programme: None,
            }),
        ),
        (
            RegistrationRejected::ROUTING_KEY,
            NotifierEvent::Rejected(RegistrationRejected {
                registration_id,
                wave,
                rejected_at: at,
                reason: RejectionReason::Under18,
            }),
        ),
        (
            RegistrationScored::ROUTING_KEY,
            NotifierEvent::Scored(RegistrationScored {
                registration_id,
                wave,
                scored_at: at,
                score: score.clone(),
            }),
        ),
        (
            RegistrationSelected::ROUTING_KEY,
            NotifierEvent::Selected(RegistrationSelected {
                registration_id,
                wave,
                decided_at: at,
                rank: 1,
                score: score.clone(),
            }),
        ),
        (
            RegistrationWaitlisted::ROUTING_KEY,
            NotifierEvent::Waitlisted(RegistrationWaitlisted {
                registration_id,
                wave,
                decided_at: at,
                rank: 2,
                score,
            }),
        ),
        (
            EmailVerificationRequested::ROUTING_KEY,
            NotifierEvent::LinkRequested(EmailVerificationRequested {
                registration_id,
                requested_at: at,
                sequence: 1,
            }),
        ),
        (
            SelectionDecided::ROUTING_KEY,
            NotifierEvent::Decided(SelectionDecided {
                wave,
                first_rank: 1,
                last_rank: 2,
                decided_at: at,
                ranking: None,
            }),
        ),
    ]
}

/// The channels an event is told on; a page of decisions, on those of the
/// news it fans out into (selected, waitlisted, rejected by the KK cap).
fn told_on(events: &[(&str, NotifierEvent)], event: &NotifierEvent) -> Vec<Channel> {
    if let NotifierEvent::Decided(_) = event {
        let mut channels: Vec<Channel> = events
            .iter()
            .filter(|(_, e)| {
                matches!(
                    e,
                    NotifierEvent::Selected(_)
                        | NotifierEvent::Waitlisted(_)
                        | NotifierEvent::Rejected(_)
                )
            })
            .filter_map(|(_, e)| e.notice())
            .flat_map(|notice| notice.channels.iter().copied())
            .collect();
        channels.sort();
        channels.dedup();
        return channels;
    }
    event
        .notice()
        .map_or_else(Vec::new, |notice| notice.channels.to_vec())
}

#[test]
fn each_channel_queue_gets_exactly_the_events_told_on_it_and_email_gets_all() {
    let events = every_event();
    for (key, event) in &events {
        let told = told_on(&events, event);
        for (channel, queue, _) in LOOPS {
            let bound = queue.routing_keys().contains(key);
            if channel == Channel::Email {
                // Every event: eligibility publishes scores with
                // `mandatory`, so some queue must take them.
                assert!(bound, "{key} is not bound to the email queue");
            } else {
                assert_eq!(bound, told.contains(&channel), "{key} on {queue:?}");
            }
        }
    }
    for (_, queue, _) in LOOPS {
        for key in queue.routing_keys() {
            assert!(
                events.iter().any(|(k, _)| k == key),
                "{key} is bound to {queue:?} but the notifier does not decode it"
            );
        }
    }
}
