//! Processing of one `registration.submitted` delivery, from decoding to the
//! downstream event. The delivery itself is settled by the caller
//! ([`crate::worker`]) from the [`Verdict`] returned here, so every path ends
//! in exactly one of ack, retry later or dead-letter.

use lonjak_bus::{Bus, Delivery, Envelope, TraceContext};
use lonjak_domain::events::{
    REJECTED, RegistrationRejected, RegistrationSubmitted, RegistrationVerified, VERIFIED,
};
use lonjak_domain::status::{RegistrationStatus, RejectionReason};
use lonjak_domain::verification::{Decision, decide};
use lonjak_domain::{IdentityKey, RegistrationId};
use lonjak_store::{BeginOutcome, CompleteExtra, NewRegistration, OutboxEvent, Store, StoreError};
use time::OffsetDateTime;
use tokio::time::Instant;

use crate::applicant::{Applicant, parse_applicant};
use crate::checks::{Checks, run_checks};
use crate::registry::Registries;

/// What to do with the delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Done (or found done): ack. The label names the outcome for metrics.
    Ack(Outcome),
    /// A transient failure: send through a retry queue.
    RetryLater(String),
    /// Can never succeed: dead-letter with this reason.
    DeadLetter(String),
}

/// How a settled delivery ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Verified,
    Rejected(RejectionReason),
    /// Already past verification (a redelivery or a duplicate submission):
    /// nothing redone, any pending event re-published.
    AlreadyDone,
}

impl Outcome {
    /// Metric label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Verified => "verified",
            Self::Rejected(_) => "rejected",
            Self::AlreadyDone => "already_done",
        }
    }
}

/// Everything a delivery needs; cheap to clone into each task.
#[derive(Clone)]
pub struct Handler {
    pub(crate) bus: Bus,
    pub(crate) store: Store,
    pub(crate) registries: Registries,
    pub(crate) identity_key: IdentityKey,
    pub(crate) deadline: std::time::Duration,
}

impl Handler {
    /// Works out the verdict of one delivery. Never acks: the caller does.
    /// Records `registration.id` on the caller's span.
    pub async fn process(&self, delivery: &Delivery) -> Verdict {
        let Ok(envelope) = delivery.envelope::<RegistrationSubmitted>() else {
            return Verdict::DeadLetter("malformed envelope".to_owned());
        };
        let submitted = &envelope.payload;
        tracing::Span::current().record(
            "registration.id",
            tracing::field::display(submitted.registration_id),
        );
        let applicant = match parse_applicant(submitted, &self.identity_key) {
            Ok(applicant) => applicant,
            Err(reason) => return Verdict::DeadLetter(reason.to_owned()),
        };
        let trace = delivery.trace().map(|t| t.child());
        match self.verify(&envelope, &applicant, trace.as_ref()).await {
            Ok(outcome) => Verdict::Ack(outcome),
            Err(failure) => failure.into_verdict(),
        }
    }

    async fn verify(
        &self,
        envelope: &Envelope<RegistrationSubmitted>,
        applicant: &Applicant,
        trace: Option<&TraceContext>,
    ) -> Result<Outcome, Failure> {
        let submitted = &envelope.payload;
        let id = submitted.registration_id;
        let new = NewRegistration::from_domain(
            &applicant.registration,
            id,
            &self.identity_key,
            submitted.submitted_at,
        );
        let begun = self
            .store
            .begin_verification(&new)
            .await
            .map_err(Failure::store("begin verification"))?;
        if let BeginOutcome::AlreadyDone { .. } = begun {
            self.publish_pending(&id, trace).await?;
            return Ok(Outcome::AlreadyDone);
        }

        let decision = match applicant.forced_rejection() {
            Some(reason) => Decision::Rejected(reason),
            None => {
                let deadline = Instant::now() + self.deadline;
                let checks: Checks = run_checks(
                    &self.registries,
                    &self.store,
                    &id,
                    &applicant.registration,
                    deadline,
                )
                .await?;
                decide(
                    &applicant.registration,
                    submitted.submitted_on(),
                    &checks.identity,
                    &checks.education,
                    &checks.welfare,
                )
            }
        };

        let (outcome, transition, extra, event) =
            self.outcome_event(envelope, applicant, decision)?;
        let outcome = match self.store.complete(&id, transition, extra, event).await {
            Ok(()) => outcome,
            // Another delivery of the same message got there first; its
            // event, if still pending, is published below.
            Err(StoreError::Conflict) => Outcome::AlreadyDone,
            Err(err) => return Err(Failure::store("complete verification")(err)),
        };
        self.publish_pending(&id, trace).await?;
        Ok(outcome)
    }

    /// The transition and its downstream event for `decision`.
    fn outcome_event(
        &self,
        envelope: &Envelope<RegistrationSubmitted>,
        applicant: &Applicant,
        decision: Decision,
    ) -> Result<
        (
            Outcome,
            lonjak_domain::status::Transition,
            CompleteExtra,
            OutboxEvent,
        ),
        Failure,
    > {
        let submitted = &envelope.payload;
        let now = OffsetDateTime::now_utc();
        let correlation = envelope.correlation_id.clone();
        let (outcome, to, reason, extra, event) = match decision {
            Decision::Verified {
                social_aid_programme,
            } => {
                let payload = RegistrationVerified {
                    registration_id: submitted.registration_id,
                    wave: submitted.wave,
                    verified_at: now,
                    employment_status: applicant.registration.employment_status(),
                    social_aid_programme: social_aid_programme.clone(),
                };
                (
                    Outcome::Verified,
                    RegistrationStatus::Verified,
                    None,
                    CompleteExtra {
                        social_aid_programme,
                    },
                    outbox(VERIFIED, Envelope::new(VERIFIED, correlation, payload))?,
                )
            }
            Decision::Rejected(reason) => {
                let payload = RegistrationRejected {
                    registration_id: submitted.registration_id,
                    wave: submitted.wave,
                    rejected_at: now,
                    reason,
                };
                (
                    Outcome::Rejected(reason),
                    RegistrationStatus::Rejected,
                    Some(reason),
                    CompleteExtra::default(),
                    outbox(REJECTED, Envelope::new(REJECTED, correlation, payload))?,
                )
            }
        };
        let transition = RegistrationStatus::Verifying
            .transition(to, reason)
            .map_err(|_| Failure::Permanent("invalid state transition".to_owned()))?;
        Ok((outcome, transition, extra, event))
    }

    /// Publishes (confirmed) every outbox event of `id` not yet confirmed,
    /// marking each once the broker has it. A crash between the confirm and
    /// the mark re-publishes the same event id, which consumers de-duplicate.
    async fn publish_pending(
        &self,
        id: &RegistrationId,
        trace: Option<&TraceContext>,
    ) -> Result<(), Failure> {
        let publisher = self.bus.publisher();
        while let Some(event) = self
            .store
            .unpublished_event(id)
            .await
            .map_err(Failure::store("read outbox"))?
        {
            let envelope: Envelope<serde_json::Value> = serde_json::from_value(event.envelope)
                .map_err(|_| Failure::Permanent("stored event is not an envelope".to_owned()))?;
            publisher
                .publish(&event.routing_key, &envelope, trace)
                .await
                .map_err(|err| {
                    tracing::warn!(error = %err, "downstream publish failed");
                    Failure::Transient("downstream publish failed".to_owned())
                })?;
            self.store
                .mark_published(event.event_id)
                .await
                .map_err(Failure::store("mark event published"))?;
        }
        Ok(())
    }
}

/// The outbox row of an event, as it will go on the wire.
fn outbox<T: serde::Serialize>(
    routing_key: &str,
    envelope: Envelope<T>,
) -> Result<OutboxEvent, Failure> {
    let event_id = envelope.event_id;
    let envelope = serde_json::to_value(&envelope)
        .map_err(|_| Failure::Permanent("event encoding failed".to_owned()))?;
    Ok(OutboxEvent {
        event_id,
        routing_key: routing_key.to_owned(),
        envelope,
    })
}

/// Why processing stopped before a final outcome.
#[derive(Debug)]
pub(crate) enum Failure {
    Transient(String),
    Permanent(String),
}

impl Failure {
    /// A store failure: transient (the database may come back), except for
    /// stored data this build cannot read or keys that do not work.
    pub(crate) fn store(step: &'static str) -> impl Fn(StoreError) -> Failure {
        move |err| {
            tracing::warn!(error = %err, step, "store operation failed");
            match err {
                StoreError::Crypto | StoreError::Config(_) | StoreError::Decode(_) => {
                    Failure::Permanent(format!("store: {step} failed permanently"))
                }
                _ => Failure::Transient(format!("store: {step} failed")),
            }
        }
    }

    fn into_verdict(self) -> Verdict {
        match self {
            Self::Transient(reason) => Verdict::RetryLater(reason),
            Self::Permanent(reason) => Verdict::DeadLetter(reason),
        }
    }
}
