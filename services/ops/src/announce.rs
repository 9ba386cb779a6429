//! Announcing a selection: its decisions, in rank order, as
//! `selection.decided` events of `page` decisions each (ranks
//! `first..=last`), published in rounds with pipelined confirms. The
//! notifier reads each page's decisions from `selection_decisions` and tells
//! every applicant on it (one notice per applicant and channel, idempotent
//! per registration, news and channel). The wave's cursor moves past a round
//! only once the broker confirmed all of it, so a crash re-publishes at most
//! one round, under the same event ids.

use anyhow::Context;
use futures::future::join_all;
use lonjak_bus::{Bus, Envelope};
use lonjak_domain::Wave;
use lonjak_domain::events::SelectionDecided;
use lonjak_store::Store;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// Events published (and confirmed) together before the cursor moves.
const ROUND: u32 = 64;

/// What an announcement run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Announced {
    /// Decisions announced (and confirmed by the broker) in this run.
    pub published: u64,
    /// `selection.decided` events confirmed in this run.
    pub events: u64,
    /// Whether the wave is `announced` now.
    pub finished: bool,
}

/// The event id of a page: derived from the wave and its ranks, so that a
/// page published twice carries the same id.
pub fn event_id(page: &SelectionDecided) -> Uuid {
    let mut hash = Sha256::new();
    hash.update(b"lonjak selection page\0");
    hash.update(page.wave.get().to_be_bytes());
    hash.update(page.first_rank.to_be_bytes());
    hash.update(page.last_rank.to_be_bytes());
    let digest = hash.finalize();
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_custom_bytes(bytes).into_uuid()
}

async fn publish(bus: &Bus, page: SelectionDecided) -> anyhow::Result<()> {
    let correlation = format!("selection-{}", page.wave);
    let id = event_id(&page);
    let envelope =
        Envelope::new(SelectionDecided::ROUTING_KEY, correlation, page).with_event_id(id);
    bus.publisher()
        .publish(SelectionDecided::ROUTING_KEY, &envelope, None)
        .await?;
    Ok(())
}

/// Publishes the decisions of `wave` not yet announced, `page` to an event,
/// stopping after `max_pages` events when given (crash tests), then moves
/// the wave to `announced` when nothing is left.
pub async fn announce(
    store: &Store,
    bus: &Bus,
    wave: Wave,
    page: u32,
    max_pages: Option<u32>,
) -> anyhow::Result<Announced> {
    let page = page.max(1);
    let mut run = Announced::default();
    let record = store
        .wave(wave)
        .await
        .context("reading the wave")?
        .with_context(|| format!("wave {wave} does not exist"))?;
    let decided_at = record
        .selected_at
        .with_context(|| format!("wave {wave} has not been selected"))?;
    let last = store
        .last_decided_rank(wave)
        .await
        .context("reading the last rank decided")?;
    let mut cursor = record.announced_rank;
    while cursor < last {
        let mut round = ROUND;
        if let Some(max) = max_pages {
            round = round.min(max.saturating_sub(u32::try_from(run.events).unwrap_or(u32::MAX)));
        }
        if round == 0 {
            return Ok(run);
        }
        let mut pages = Vec::new();
        let mut next = cursor;
        while next < last && pages.len() < round as usize {
            let first_rank = next + 1;
            let last_rank = next.saturating_add(page).min(last);
            pages.push(SelectionDecided {
                wave,
                first_rank,
                last_rank,
                decided_at,
            });
            next = last_rank;
        }
        let count = pages.len() as u64;
        // A round's confirms pipeline on the bus's confirm channel.
        for result in join_all(pages.into_iter().map(|p| publish(bus, p))).await {
            result
                .context("publishing a page of decisions (the cursor stays before this round)")?;
        }
        store
            .mark_announced(wave, next)
            .await
            .context("advancing the announcement cursor")?;
        run.published += u64::from(next - cursor);
        run.events += count;
        cursor = next;
    }
    run.finished = store
        .finish_announcement(wave)
        .await
        .context("finishing the announcement")?;
    Ok(run)
}
