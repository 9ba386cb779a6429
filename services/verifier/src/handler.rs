//! The verifier's work on a batch of `registration.submitted` deliveries:
//! parse, look up what is stored, ask the registries (concurrently, each
//! registration under its own deadline), decide, and record every decided
//! registration in one transaction. The runtime (`lonjak-worker`) settles.

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use futures::future::join_all;
use lonjak_domain::events::RegistrationSubmitted;
use lonjak_domain::{IdentityKey, Registration, RegistrationId, SubmissionHash};
use lonjak_store::{NewRegistration, OutboxEvent, Recorded, Store, Verification};
use lonjak_worker::{Failure, Handler, Item, Outcome, Reason};
use tokio::time::Instant;

use crate::applicant::parse_applicant;
use crate::checks::{Checked, check};
use crate::decision::{DUPLICATE, decided_event, registry_failure};
use crate::registry::Registries;

/// The verifier: its store, its registry clients and the identity key.
pub struct Verifier {
    pub(crate) store: Store,
    pub(crate) registries: Registries,
    /// Derives registration ids (checked against each submission's).
    pub(crate) identity_key: IdentityKey,
    /// Derives the stored look-up and submission hashes.
    pub(crate) lookup_key: IdentityKey,
    /// Opens the sealed applicants (current and previous private key).
    pub(crate) opening_keys: lonjak_seal::OpeningKeys,
    pub(crate) deadline: Duration,
}

/// One parsed submission of the batch.
struct Submission {
    index: usize,
    id: RegistrationId,
    registration: Registration,
    hash: SubmissionHash,
}

impl Handler for Verifier {
    type Event = RegistrationSubmitted;

    async fn handle(&self, batch: &[Item<RegistrationSubmitted>]) -> Result<Vec<Outcome>, Failure> {
        let mut outcomes: Vec<Option<Outcome>> = batch.iter().map(|_| None).collect();
        let mut submissions = Vec::with_capacity(batch.len());
        for (index, item) in batch.iter().enumerate() {
            let submitted = &item.envelope.payload;
            match parse_applicant(submitted, &self.opening_keys, &self.identity_key) {
                Ok(registration) => submissions.push(Submission {
                    index,
                    id: submitted.registration_id,
                    hash: SubmissionHash::derive(&self.lookup_key, &registration),
                    registration,
                }),
                Err(label) => outcomes[index] = Some(Outcome::DeadLetter(Reason::new(label))),
            }
        }

        // What is stored decides who needs the registries at all: a
        // re-submission costs the ministries nothing.
        let ids: Vec<RegistrationId> = distinct(submissions.iter().map(|s| s.id));
        let stored = self
            .store
            .stored_states(&ids)
            .await
            .map_err(|e| Failure::from_store("read stored registrations", e))?;
        let mut to_check = Vec::new();
        let mut found_done = Vec::new();
        let mut asked: HashSet<(RegistrationId, SubmissionHash)> = HashSet::new();
        for submission in &submissions {
            let reopens = stored
                .get(&submission.id)
                .is_none_or(|state| state.is_reopened_by(&submission.hash));
            if !reopens {
                found_done.push(submission);
            } else if asked.insert((submission.id, submission.hash)) {
                to_check.push(submission);
            } else {
                // The same submission twice in one batch: asked once.
                outcomes[submission.index] = Some(Outcome::done(DUPLICATE));
            }
        }

        let checked = join_all(to_check.iter().map(|s| {
            check(
                &self.registries,
                &s.registration,
                Instant::now() + self.deadline,
            )
        }))
        .await;
        let mut decided: Vec<(&Submission, Checked)> = Vec::new();
        for (submission, result) in to_check.into_iter().zip(checked) {
            match result {
                Ok(checked) => decided.push((submission, checked)),
                Err(error) => outcomes[submission.index] = Some(registry_failure(error)),
            }
        }

        let (winners, losers) = first_submission_wins(decided, batch);
        for loser in losers {
            outcomes[loser.index] = Some(Outcome::done(DUPLICATE));
        }
        let mut verifications = Vec::with_capacity(winners.len());
        let mut labels = Vec::with_capacity(winners.len());
        for (submission, checked) in &winners {
            let item = &batch[submission.index];
            match decided_event(item, &submission.registration, &checked.decision) {
                Ok((decision, programme, event, label)) => {
                    labels.push((submission, label, event.clone()));
                    verifications.push(Verification {
                        registration: NewRegistration::from_domain(
                            &submission.registration,
                            submission.id,
                            &self.lookup_key,
                            item.envelope.payload.submitted_at,
                        ),
                        started_at: item.received_at,
                        decision,
                        social_aid_programme: programme,
                        checks: checked.records.clone(),
                        event,
                    });
                }
                Err(reason) => outcomes[submission.index] = Some(Outcome::DeadLetter(reason)),
            }
        }
        let recorded = self
            .store
            .record_verifications(&verifications)
            .await
            .map_err(|e| Failure::from_store("record verifications", e))?;
        for ((submission, label, event), recorded) in labels.into_iter().zip(recorded) {
            if recorded == Recorded::AlreadyThere {
                found_done.push(submission);
            } else {
                outcomes[submission.index] = Some(Outcome::Done {
                    label,
                    events: vec![event],
                });
            }
        }

        self.republish_pending(&found_done, &mut outcomes).await?;
        Ok(outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Outcome::done(DUPLICATE)))
            .collect())
    }
}

impl Verifier {
    /// Registrations found already recorded (a redelivery after a crash, a
    /// duplicate submission, a concurrent batch that got there first): their
    /// events still unpublished go out with the first of their deliveries.
    async fn republish_pending(
        &self,
        found_done: &[&Submission],
        outcomes: &mut [Option<Outcome>],
    ) -> Result<(), Failure> {
        if found_done.is_empty() {
            return Ok(());
        }
        let ids = distinct(found_done.iter().map(|s| s.id));
        let mut pending: HashMap<RegistrationId, Vec<OutboxEvent>> = HashMap::new();
        for (id, event) in self
            .store
            .unpublished_events(&ids)
            .await
            .map_err(|e| Failure::from_store("read unpublished events", e))?
        {
            pending.entry(id).or_default().push(event);
        }
        for submission in found_done {
            let events = pending.remove(&submission.id).unwrap_or_default();
            outcomes[submission.index] = Some(Outcome::Done {
                label: DUPLICATE,
                events,
            });
        }
        Ok(())
    }
}

/// Among decided submissions for one registration, the one that holds its
/// place: a confirmed identity first (a submission Dukcapil did not confirm
/// holds none), then the earliest submitted. The rest are duplicates.
fn first_submission_wins<'a>(
    decided: Vec<(&'a Submission, Checked)>,
    batch: &[Item<RegistrationSubmitted>],
) -> (Vec<(&'a Submission, Checked)>, Vec<&'a Submission>) {
    let mut best: HashMap<RegistrationId, usize> = HashMap::new();
    let rank = |j: usize| {
        let (s, c) = &decided[j];
        (
            !c.identity_confirmed,
            batch[s.index].envelope.payload.submitted_at,
            s.index,
        )
    };
    for (i, (submission, _)) in decided.iter().enumerate() {
        best.entry(submission.id)
            .and_modify(|current| {
                if rank(i) < rank(*current) {
                    *current = i;
                }
            })
            .or_insert(i);
    }
    let keep: HashSet<usize> = best.into_values().collect();
    let mut winners = Vec::new();
    let mut losers = Vec::new();
    for (i, entry) in decided.into_iter().enumerate() {
        if keep.contains(&i) {
            winners.push(entry);
        } else {
            losers.push(entry.0);
        }
    }
    (winners, losers)
}

fn distinct(ids: impl Iterator<Item = RegistrationId>) -> Vec<RegistrationId> {
    let mut seen = HashSet::new();
    ids.filter(|id| seen.insert(*id)).collect()
}
