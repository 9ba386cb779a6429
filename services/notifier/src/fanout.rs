//! A `selection.decided` page fanned out into one event per applicant on
//! it: the page's decisions read from the store in one query (decision rows
//! by rank, or the ranking after the applicant the page names), each turned
//! into the `registration.selected`, `registration.waitlisted` or
//! `registration.rejected` it stands for, so that the rest of the notifier
//! (news, templates, idempotency keys per registration, news and channel)
//! treats them as it treats those events.

use lonjak_domain::RegistrationStatus;
use lonjak_domain::events::{
    RegistrationRejected, RegistrationSelected, RegistrationWaitlisted, SelectionDecided,
};
use lonjak_store::{Decision, Store};
use lonjak_worker::{Failure, Item};

use crate::notice::NotifierEvent;

/// The batch's events, one per applicant, each with the index of the item
/// it came from: a page's decisions in rank order, anything else as it is.
pub(crate) async fn expand(
    store: &Store,
    batch: &[Item<NotifierEvent>],
) -> Result<Vec<(usize, NotifierEvent)>, Failure> {
    let mut units = Vec::with_capacity(batch.len());
    for (i, item) in batch.iter().enumerate() {
        match &item.envelope.payload {
            NotifierEvent::Decided(page) => {
                let decisions = read_page(store, page).await?;
                units.extend(
                    decisions
                        .into_iter()
                        .filter_map(|d| Some((i, applicant_event(d)?))),
                );
            }
            other => units.push((i, other.clone())),
        }
    }
    Ok(units)
}

async fn read_page(store: &Store, page: &SelectionDecided) -> Result<Vec<Decision>, Failure> {
    if page.last_rank < page.first_rank || page.first_rank == 0 {
        return Ok(Vec::new());
    }
    let size = page.last_rank - page.first_rank + 1;
    match &page.ranking {
        None => store
            .decisions_after(page.wave, page.first_rank - 1, size)
            .await
            .map_err(|e| Failure::from_store("read a page of decisions", e)),
        Some(ranking) => store
            .ranking_page(page.wave, ranking.after.as_ref(), page.first_rank, size)
            .await
            .map_err(|e| Failure::from_store("read a page of the ranking", e)),
    }
}

/// The per-applicant event a decision stands for; `None` for a decision a
/// selection does not make.
fn applicant_event(d: Decision) -> Option<NotifierEvent> {
    Some(match (d.status, d.reason) {
        (RegistrationStatus::Selected, None) => NotifierEvent::Selected(RegistrationSelected {
            registration_id: d.id,
            wave: d.wave,
            decided_at: d.decided_at,
            rank: d.rank,
            score: d.score,
        }),
        (RegistrationStatus::Waitlisted, None) => {
            NotifierEvent::Waitlisted(RegistrationWaitlisted {
                registration_id: d.id,
                wave: d.wave,
                decided_at: d.decided_at,
                rank: d.rank,
                score: d.score,
            })
        }
        (RegistrationStatus::Rejected, Some(reason)) => {
            NotifierEvent::Rejected(RegistrationRejected {
                registration_id: d.id,
                wave: d.wave,
                rejected_at: d.decided_at,
                reason,
            })
        }
        _ => return None,
    })
}
