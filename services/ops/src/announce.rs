//! Announcing a selection: its decisions, in rank order, as
//! `selection.decided` events of `page` decisions each (ranks
//! `first..=last`), published in rounds with pipelined confirms. The
//! notifier reads each page's decisions from `selection_decisions` (the
//! decided prefix) or from the wave's ranking after the applicant the page
//! names (the waitlist past it), and tells every applicant on it (one notice per applicant and channel, idempotent
//! per registration, news and channel). The wave's cursor moves past a round
//! only once the broker confirmed all of it, so a crash re-publishes at most
//! one round, under the same event ids.

use anyhow::Context;
use futures::future::join_all;
use lonjak_bus::{Bus, Envelope};
use lonjak_domain::Wave;
use lonjak_domain::events::{RankCursor, RankingPage, SelectionDecided};
use lonjak_store::Store;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
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

/// Up to `round` pages of decision rows after `cursor`, up to `through`.
fn decided_pages(
    wave: Wave,
    decided_at: OffsetDateTime,
    cursor: u32,
    through: u32,
    page: u32,
    round: u32,
) -> (Vec<SelectionDecided>, u32) {
    let mut pages = Vec::new();
    let mut next = cursor;
    while next < through && pages.len() < round as usize {
        let first_rank = next + 1;
        let last_rank = next.saturating_add(page).min(through);
        pages.push(SelectionDecided {
            wave,
            first_rank,
            last_rank,
            decided_at,
            ranking: None,
        });
        next = last_rank;
    }
    (pages, next)
}

/// Up to `round` pages of the ranking after `after` (at rank `cursor`): the
/// first starts after `after`, each next one after the previous page's
/// last applicant (`marks`). Also the last applicant of the last page, when
/// it is full (where the next round starts).
fn ranking_pages(
    wave: Wave,
    decided_at: OffsetDateTime,
    cursor: u32,
    last: u32,
    (page, round): (u32, u32),
    after: &Option<RankCursor>,
    marks: &[RankCursor],
) -> (Vec<SelectionDecided>, u32, Option<RankCursor>) {
    let mut pages = Vec::new();
    let mut next = cursor;
    let mut start = after.clone();
    while next < last && pages.len() < round as usize && pages.len() <= marks.len() {
        if let Some(i) = pages.len().checked_sub(1) {
            start = marks.get(i).cloned();
        }
        let first_rank = next + 1;
        let last_rank = next.saturating_add(page).min(last);
        pages.push(SelectionDecided {
            wave,
            first_rank,
            last_rank,
            decided_at,
            ranking: Some(RankingPage {
                after: start.clone(),
            }),
        });
        next = last_rank;
    }
    let end = pages
        .len()
        .checked_sub(1)
        .and_then(|i| marks.get(i))
        .cloned();
    (pages, next, end)
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
    let plan = store
        .selection_plan(wave)
        .await
        .context("reading what the selection decided")?;
    let mut cursor = record.announced_rank;
    // Past the decided prefix, a page names the applicant just before it.
    let mut after = if cursor >= plan.decided_through && cursor < plan.last_rank {
        store
            .rank_cursor(wave, plan, cursor)
            .await
            .context("finding where the announcement stopped")?
    } else {
        None
    };
    while cursor < plan.last_rank {
        let mut round = ROUND;
        if let Some(max) = max_pages {
            round = round.min(max.saturating_sub(u32::try_from(run.events).unwrap_or(u32::MAX)));
        }
        if round == 0 {
            return Ok(run);
        }
        let (pages, next) = if cursor < plan.decided_through {
            decided_pages(wave, decided_at, cursor, plan.decided_through, page, round)
        } else {
            let marks = store
                .ranking_marks(wave, after.as_ref(), page, round)
                .await
                .context("reading the ranking's page boundaries")?;
            let (pages, next, end) = ranking_pages(
                wave,
                decided_at,
                cursor,
                plan.last_rank,
                (page, round),
                &after,
                &marks,
            );
            after = end;
            (pages, next)
        };
        if pages.is_empty() {
            // The ranking ended before the counts said (applicants who
            // re-joined another wave since): nothing left to tell.
            break;
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
        if cursor < plan.decided_through && next == plan.decided_through {
            after = store
                .rank_cursor(wave, plan, next)
                .await
                .context("finding the end of the decided prefix")?;
        }
        cursor = next;
    }
    run.finished = store
        .finish_announcement(wave)
        .await
        .context("finishing the announcement")?;
    Ok(run)
}
