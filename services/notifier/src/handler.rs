//! The notifier's work on a batch of one channel's queue: read the
//! applicants' contact details, render each message, claim the idempotency
//! keys (one statement), send what was claimed (concurrently, at the
//! provider's pace), and record how each send ended as soon as it has. The
//! runtime (`lonjak-worker`) settles. Each channel has its queue and its
//! consume loop: an event is acked on one channel's queue once that
//! channel's message has ended, whatever the other provider is doing.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::join_all;
use lonjak_domain::{EmailToken, EmailVerificationSettings, PROGRAMME_UTC_OFFSET, RegistrationId};
use lonjak_store::{Channel, Claim, Contact, NotificationKey, Settlement, Store};
use lonjak_worker::{Failure, Handler, Item, Outcome, Reason};
use time::OffsetDateTime;
use time::macros::format_description;
use tokio::time::Instant;

use crate::metrics::Metrics;
use crate::notice::{Notice, NotifierEvent};
use crate::provider::{Outgoing, Providers, SendError};
use crate::templates::{Fill, TemplateError, Templates};

/// The notifier of one channel: its store, templates and providers.
pub struct Notifier {
    /// The one channel this handler sends on (its queue's).
    pub(crate) channel: Channel,
    pub(crate) store: Store,
    pub(crate) templates: Arc<Templates>,
    pub(crate) providers: Arc<Providers>,
    pub(crate) verification: EmailVerificationSettings,
    pub(crate) deadline: Duration,
    pub(crate) lease: Duration,
    pub(crate) metrics: Metrics,
    /// Messages sent whose outcome could not be recorded yet (the database
    /// went away after the send): recorded, not sent again, when the batch
    /// runs again. Lost only if the process dies meanwhile.
    pub(crate) unrecorded: Mutex<HashMap<NotificationKey, Settlement>>,
}

/// One message of the batch.
struct Planned {
    item: usize,
    template: &'static str,
    key: NotificationKey,
    outgoing: Outgoing,
}

/// How one message of the batch ended.
enum Ended {
    Sent,
    AlreadyDone,
    Failed,
    Transient(&'static str),
    Busy,
}

impl Handler for Notifier {
    type Event = NotifierEvent;

    async fn handle(&self, batch: &[Item<NotifierEvent>]) -> Result<Vec<Outcome>, Failure> {
        let mut outcomes: Vec<Option<Outcome>> = batch.iter().map(|_| None).collect();
        // One notice per applicant (a page of decisions fans out here), on
        // this channel only: news not told on it is done here (the other
        // channel's queue has its own copy of the event).
        let notices: Vec<(usize, RegistrationId, Notice)> =
            crate::fanout::expand(&self.store, batch)
                .await?
                .into_iter()
                .filter_map(|(i, event)| Some((i, event.registration_id()?, event.notice()?)))
                .filter(|(_, _, notice)| notice.channels.contains(&self.channel))
                .collect();
        let mut noticed = vec![false; batch.len()];
        let mut ids = Vec::new();
        let mut seen_ids = HashSet::new();
        for (i, id, _) in &notices {
            noticed[*i] = true;
            if seen_ids.insert(*id) {
                ids.push(*id);
            }
        }
        for (outcome, noticed) in outcomes.iter_mut().zip(noticed) {
            if !noticed {
                *outcome = Some(Outcome::done("not_notified"));
            }
        }
        let contacts = self
            .store
            .contacts(&ids)
            .await
            .map_err(|e| Failure::from_store("read contact details", e))?;

        let planned = self.plan(&notices, &contacts, &mut outcomes);
        let ended = self.claim_and_send(&planned).await?;

        let mut per_item: HashMap<usize, Vec<Ended>> = HashMap::new();
        for (message, ended) in planned.iter().zip(ended) {
            let outcome = match &ended {
                Ended::Sent => "sent",
                Ended::AlreadyDone => "duplicate",
                Ended::Failed => "failed",
                Ended::Transient(_) => "retried",
                Ended::Busy => "busy",
            };
            self.metrics
                .message(message.key.channel.as_str(), message.template, outcome);
            per_item.entry(message.item).or_default().push(ended);
        }
        Ok(outcomes
            .into_iter()
            .enumerate()
            .map(|(i, outcome)| {
                outcome.unwrap_or_else(|| item_outcome(per_item.remove(&i).unwrap_or_default()))
            })
            .collect())
    }
}

/// An item is done when its message is sent, or was before, or can never
/// be; a transient failure (or a claim held elsewhere) sends the item
/// through this channel's retry queue.
fn item_outcome(ended: Vec<Ended>) -> Outcome {
    if let Some(label) = ended.iter().find_map(|e| match e {
        Ended::Transient(label) => Some(*label),
        Ended::Busy => Some("claimed by another notifier"),
        _ => None,
    }) {
        return Outcome::Retry(Reason::new(label));
    }
    if ended.iter().any(|e| matches!(e, Ended::Sent)) {
        Outcome::done("sent")
    } else if ended.iter().any(|e| matches!(e, Ended::Failed)) {
        Outcome::done("undeliverable")
    } else {
        Outcome::done("duplicate")
    }
}

impl Notifier {
    /// One message per (applicant's notice) on this channel, rendered;
    /// `notices` name the item each came from. The same news twice in one
    /// batch is planned once (the first item carries it). An item with a
    /// registration not recorded, or a template that does not render, is
    /// dead-lettered with the reason.
    fn plan(
        &self,
        notices: &[(usize, RegistrationId, Notice)],
        contacts: &HashMap<RegistrationId, Contact>,
        outcomes: &mut [Option<Outcome>],
    ) -> Vec<Planned> {
        let now = OffsetDateTime::now_utc();
        let mut planned = Vec::new();
        let mut keys = HashSet::new();
        for (i, id, notice) in notices {
            let i = *i;
            let Some(contact) = contacts.get(id) else {
                outcomes[i] = Some(Outcome::DeadLetter(Reason::new("unknown registration")));
                continue;
            };
            let key = NotificationKey {
                registration_id: *id,
                event: notice.event.clone(),
                channel: self.channel,
            };
            if keys.contains(&key) {
                continue;
            }
            match self.compose(contact, notice, self.channel, now) {
                Ok(outgoing) => {
                    keys.insert(key.clone());
                    planned.push(Planned {
                        item: i,
                        template: notice.template,
                        key,
                        outgoing,
                    });
                }
                Err(error) => {
                    tracing::error!(error = %chain(&error), "a template does not render");
                    outcomes[i] = Some(Outcome::DeadLetter(Reason::with_source(
                        "template error",
                        error,
                    )));
                }
            }
        }
        planned
    }

    fn compose(
        &self,
        contact: &Contact,
        notice: &Notice,
        channel: Channel,
        now: OffsetDateTime,
    ) -> Result<Outgoing, TemplateError> {
        let wants_link = channel == Channel::Email
            && (contact.email_verified_at.is_none() || notice.template == "email_verification");
        // Links are signed over the address's keyed hash; a row not yet
        // rotated to sealed fields has none, and gets its link once it has.
        let (link, link_expires) = if let (true, Some(address)) = (wants_link, &contact.email_hash)
        {
            let expires_at = now + self.verification.ttl();
            let token = EmailToken::issue(
                &self.verification.key,
                &contact.registration_id,
                address,
                expires_at,
            );
            (
                Some(self.verification.link(&token)),
                Some(in_wib(expires_at)),
            )
        } else {
            (None, None)
        };
        let id = contact.registration_id.to_string();
        let fill = Fill {
            name: &contact.full_name,
            registration_id: id.clone(),
            wave: contact.wave.get(),
            facts: &notice.facts,
            link,
            link_expires,
        };
        let rendered = self
            .templates
            .render(notice.template, channel, contact.language, &fill)?;
        Ok(Outgoing {
            key: format!("{id}.{}.{}", notice.event, channel.as_str()),
            to: match channel {
                Channel::Email => contact.email.clone(),
                Channel::Sms => contact.phone.clone(),
            },
            name: contact.full_name.clone(),
            subject: rendered.subject,
            body: rendered.body,
        })
    }

    /// Claims the planned messages in one statement, then sends each one
    /// claimed and records how it ended as soon as it has: a message's mark
    /// waits for its own send only (not for the batch's slowest message),
    /// which keeps the send-to-mark
    /// window to one provider answer and one `UPDATE`. If a record fails,
    /// what was sent is remembered (not sent again when the batch runs
    /// again) and the batch fails with the store's error.
    async fn claim_and_send(&self, planned: &[Planned]) -> Result<Vec<Ended>, Failure> {
        let remembered: HashMap<NotificationKey, Settlement> = {
            let memo = self
                .unrecorded
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            planned
                .iter()
                .filter_map(|p| memo.get(&p.key).map(|s| (p.key.clone(), s.clone())))
                .collect()
        };
        let to_claim: Vec<NotificationKey> = planned
            .iter()
            .filter(|p| !remembered.contains_key(&p.key))
            .map(|p| p.key.clone())
            .collect();
        let claims = self
            .store
            .claim_notifications(&to_claim, self.lease)
            .await
            .map_err(|e| Failure::from_store("claim messages", e))?;
        let claims: HashMap<&NotificationKey, Claim> = to_claim.iter().zip(claims).collect();

        let deadline = Instant::now() + self.deadline;
        let sends = join_all(planned.iter().map(|p| async {
            let settlement = match (remembered.get(&p.key), claims.get(&p.key)) {
                (Some(settlement), _) => settlement.clone(),
                (None, Some(Claim::Claimed { attempts })) => {
                    if *attempts > 1 {
                        self.metrics
                            .repeat_claims
                            .get_or_create(&crate::metrics::ChannelLabels {
                                channel: p.key.channel.as_str(),
                            })
                            .inc();
                    }
                    let result = self
                        .providers
                        .deliver(p.key.channel, &p.outgoing, deadline)
                        .await;
                    settlement_of(result, &p.key)
                }
                (None, _) => return (None, None),
            };
            let recorded = self.record(&p.key, &settlement).await;
            (Some(settlement), recorded.err())
        }))
        .await;

        let mut first_error = None;
        let ended = planned
            .iter()
            .zip(sends)
            .map(|(p, (sent, error))| {
                if first_error.is_none() {
                    first_error = error;
                }
                match (sent, claims.get(&p.key)) {
                    (Some(Settlement::Sent { .. }), _) => Ended::Sent,
                    (Some(Settlement::Failed { .. }), _) => Ended::Failed,
                    (Some(Settlement::Released { reason }), _) => Ended::Transient(reason),
                    (None, Some(Claim::Busy)) => Ended::Busy,
                    (None, _) => Ended::AlreadyDone,
                }
            })
            .collect();
        match first_error {
            Some(error) => Err(Failure::from_store("record sent messages", error)),
            None => Ok(ended),
        }
    }

    /// Records how one message ended. A sent (or refused) message whose
    /// record fails is remembered until a later record succeeds.
    async fn record(
        &self,
        key: &NotificationKey,
        settlement: &Settlement,
    ) -> Result<(), lonjak_store::StoreError> {
        let result = self
            .store
            .settle_notifications(&[(key.clone(), settlement.clone())])
            .await;
        let mut memo = self
            .unrecorded
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &result {
            Ok(()) => {
                memo.remove(key);
            }
            Err(_) if !matches!(settlement, Settlement::Released { .. }) => {
                memo.insert(key.clone(), settlement.clone());
            }
            Err(_) => {}
        }
        result
    }
}

fn settlement_of(result: Result<Option<String>, SendError>, key: &NotificationKey) -> Settlement {
    match result {
        Ok(provider_id) => Settlement::Sent { provider_id },
        Err(error) => {
            let label = error.label();
            let permanent = matches!(error, SendError::Permanent { .. });
            // The label only: a relay's reply text may quote the address.
            tracing::warn!(
                registration.id = %key.registration_id,
                channel = key.channel.as_str(),
                event = key.event.as_str(),
                reason = label,
                "{}",
                if permanent { "message refused for good" } else { "message not sent; retrying later" }
            );
            if permanent {
                Settlement::Failed { reason: label }
            } else {
                Settlement::Released { reason: label }
            }
        }
    }
}

/// `2020-04-13 10:00 WIB`.
fn in_wib(at: OffsetDateTime) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute]");
    at.to_offset(PROGRAMME_UTC_OFFSET)
        .format(&format)
        .map(|text| format!("{text} WIB"))
        .unwrap_or_else(|_| at.to_string())
}

/// An error and its causes: `a: b: c`. Our errors and the providers' carry
/// no personal data in their messages.
pub(crate) fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
