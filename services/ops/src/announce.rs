//! Announcing a selection: one status event per decided applicant
//! (`registration.selected`, `registration.waitlisted`, or
//! `registration.rejected` for the KK cap), published in rank order, a page
//! at a time, with pipelined confirms. The wave's cursor moves past a page
//! only once the broker confirmed all of it, so a crash re-publishes at most
//! one page, under the same event ids (consumers de-duplicate by id).

use anyhow::Context;
use futures::future::join_all;
use lonjak_bus::{Bus, Envelope};
use lonjak_domain::events::{RegistrationRejected, RegistrationSelected, RegistrationWaitlisted};
use lonjak_domain::{RegistrationStatus, RejectionReason, Wave};
use lonjak_store::{Decision, Store};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What an announcement run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Announced {
    /// Events confirmed by the broker in this run.
    pub published: u64,
    /// Whether the wave is `announced` now.
    pub finished: bool,
}

/// The event id of a decision: derived from the registration, wave and
/// decision, so that a page published twice carries the same ids.
pub fn event_id(decision: &Decision) -> Uuid {
    let mut hash = Sha256::new();
    hash.update(b"lonjak selection event\0");
    hash.update(decision.id.as_bytes());
    hash.update(decision.wave.get().to_be_bytes());
    hash.update(decision.status.as_str().as_bytes());
    let digest = hash.finalize();
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

async fn publish(bus: &Bus, decision: &Decision) -> anyhow::Result<()> {
    let publisher = bus.publisher();
    let correlation = format!("selection-{}", decision.wave);
    let id = event_id(decision);
    let rank = decision.rank;
    let (registration_id, wave, decided_at) = (decision.id, decision.wave, decision.decided_at);
    let score = decision.score.clone();
    match (decision.status, decision.reason) {
        (RegistrationStatus::Selected, None) => {
            let payload = RegistrationSelected {
                registration_id,
                wave,
                decided_at,
                rank,
                score,
            };
            let envelope = Envelope::event(correlation, payload).with_event_id(id);
            publisher.publish_event(&envelope, None).await?;
        }
        (RegistrationStatus::Waitlisted, None) => {
            let payload = RegistrationWaitlisted {
                registration_id,
                wave,
                decided_at,
                rank,
                score,
            };
            let envelope = Envelope::event(correlation, payload).with_event_id(id);
            publisher.publish_event(&envelope, None).await?;
        }
        (RegistrationStatus::Rejected, Some(reason @ RejectionReason::KkCapReached)) => {
            let payload = RegistrationRejected {
                registration_id,
                wave,
                rejected_at: decided_at,
                reason,
            };
            let envelope = Envelope::event(correlation, payload).with_event_id(id);
            publisher.publish_event(&envelope, None).await?;
        }
        (status, reason) => anyhow::bail!(
            "decision {status} ({reason:?}) of rank {rank} is not one a selection makes"
        ),
    }
    Ok(())
}

/// Publishes the decisions of `wave` not yet announced, `page` at a time,
/// stopping after `max_pages` pages when given (crash tests), then moves the
/// wave to `announced` when nothing is left.
pub async fn announce(
    store: &Store,
    bus: &Bus,
    wave: Wave,
    page: u32,
    max_pages: Option<u32>,
) -> anyhow::Result<Announced> {
    let mut run = Announced::default();
    let mut pages = 0;
    loop {
        let record = store
            .wave(wave)
            .await
            .context("reading the wave")?
            .with_context(|| format!("wave {wave} does not exist"))?;
        let decisions = store
            .decisions_after(wave, record.announced_rank, page.max(1))
            .await
            .context("reading decisions")?;
        let Some(last) = decisions.last().map(|d| d.rank) else {
            run.finished = store
                .finish_announcement(wave)
                .await
                .context("finishing the announcement")?;
            return Ok(run);
        };
        if max_pages.is_some_and(|max| pages >= max) {
            return Ok(run);
        }
        // All of a page's confirms pipeline on the bus's confirm channel.
        let results = join_all(decisions.iter().map(|d| publish(bus, d))).await;
        for result in results {
            result.context("publishing a decision (the cursor stays before this page)")?;
        }
        store
            .mark_announced(wave, last)
            .await
            .context("advancing the announcement cursor")?;
        run.published += decisions.len() as u64;
        pages += 1;
    }
}
