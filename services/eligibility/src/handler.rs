//! The eligibility worker's work on a batch of `registration.verified`
//! deliveries: one query reads what the rules need for the whole batch, the
//! domain rules decide, one transaction records every decision with its
//! score, history row and event. The runtime (`lonjak-worker`) settles.

use std::collections::{HashMap, HashSet};

use lonjak_domain::eligibility::ScoreWeights;
use lonjak_domain::events::RegistrationVerified;
use lonjak_domain::{RegistrationId, RegistrationStatus};
use lonjak_store::{OutboxEvent, ScoringInput, Store};
use lonjak_worker::{Failure, Handler, Item, Outcome, Reason};
use time::OffsetDateTime;

use crate::decision::decide;

/// Label of a delivery whose registration was already decided.
pub const DUPLICATE: &str = "duplicate";

/// The scorer: its store and the published weights.
pub struct Scorer {
    pub(crate) store: Store,
    pub(crate) weights: ScoreWeights,
}

impl Handler for Scorer {
    type Event = RegistrationVerified;

    async fn handle(&self, batch: &[Item<RegistrationVerified>]) -> Result<Vec<Outcome>, Failure> {
        let mut outcomes: Vec<Option<Outcome>> = batch.iter().map(|_| None).collect();
        let ids = distinct(batch.iter().map(|i| i.envelope.payload.registration_id));
        let inputs: HashMap<RegistrationId, ScoringInput> = self
            .store
            .scoring_inputs(&ids)
            .await
            .map_err(|e| Failure::from_store("read scoring inputs", e))?
            .into_iter()
            .map(|input| (input.id, input))
            .collect();

        let now = OffsetDateTime::now_utc();
        let mut records = Vec::new();
        let mut pending = Vec::new();
        let mut found_done = Vec::new();
        let mut deciding = HashSet::new();
        for (index, item) in batch.iter().enumerate() {
            let id = item.envelope.payload.registration_id;
            match inputs.get(&id) {
                // The verifier commits the row before it publishes: an event
                // without one is not ours to score.
                None => {
                    outcomes[index] =
                        Some(Outcome::DeadLetter(Reason::new("registration not stored")));
                }
                Some(input) if input.status != RegistrationStatus::Verified => {
                    found_done.push((index, id));
                }
                // The same registration twice in one batch: decided once.
                Some(_) if !deciding.insert(id) => outcomes[index] = Some(Outcome::done(DUPLICATE)),
                Some(input) => match decide(item, input, &self.weights, now) {
                    Ok((record, label)) => {
                        records.push(record);
                        pending.push((index, id, label));
                    }
                    Err(reason) => outcomes[index] = Some(Outcome::DeadLetter(reason)),
                },
            }
        }

        let applied = self
            .store
            .record_scores(&records)
            .await
            .map_err(|e| Failure::from_store("record scores", e))?;
        for ((record, (index, id, label)), applied) in records.into_iter().zip(pending).zip(applied)
        {
            if applied {
                outcomes[index] = Some(Outcome::Done {
                    label,
                    events: vec![record.event],
                });
            } else {
                found_done.push((index, id));
            }
        }
        self.republish_pending(&found_done, &mut outcomes).await?;
        Ok(outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Outcome::done(DUPLICATE)))
            .collect())
    }
}

impl Scorer {
    /// Registrations found already decided (a redelivery after a crash, a
    /// duplicate publish, another replica): their events still unpublished
    /// go out with the first of their deliveries.
    async fn republish_pending(
        &self,
        found_done: &[(usize, RegistrationId)],
        outcomes: &mut [Option<Outcome>],
    ) -> Result<(), Failure> {
        if found_done.is_empty() {
            return Ok(());
        }
        let ids = distinct(found_done.iter().map(|(_, id)| *id));
        let mut pending: HashMap<RegistrationId, Vec<OutboxEvent>> = HashMap::new();
        for (id, event) in self
            .store
            .unpublished_events(&ids)
            .await
            .map_err(|e| Failure::from_store("read unpublished events", e))?
        {
            pending.entry(id).or_default().push(event);
        }
        for (index, id) in found_done {
            outcomes[*index] = Some(Outcome::Done {
                label: DUPLICATE,
                events: pending.remove(id).unwrap_or_default(),
            });
        }
        Ok(())
    }
}

fn distinct(ids: impl Iterator<Item = RegistrationId>) -> Vec<RegistrationId> {
    let mut seen = HashSet::new();
    ids.filter(|id| seen.insert(*id)).collect()
}
