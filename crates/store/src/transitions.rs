//! Guarded state changes after the first record: each moves a registration
//! only if it is still in the transition's `from` state, and writes its
//! history row and outbox event in the same transaction.

use std::collections::{BTreeMap, HashSet};

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use lonjak_domain::{RegistrationId, RejectionReason, Transition};

use crate::outbox::insert_events;
use crate::registrations::HistoryRow;
use crate::schema::{registrations, status_history};
use crate::{OutboxEvent, Store, StoreError};

/// One state change to apply, with the event announcing it.
#[derive(Debug, Clone)]
pub struct Change {
    pub id: RegistrationId,
    pub transition: Transition,
    pub event: Option<OutboxEvent>,
}

impl Store {
    /// Applies one change in its own transaction; [`StoreError::Conflict`]
    /// when the registration is no longer in `from` (nothing written). A
    /// second call for the same change is therefore a conflict.
    #[tracing::instrument(skip_all, fields(registration.id = %id, status.to = t.to().as_str()))]
    pub async fn complete(
        &self,
        id: &RegistrationId,
        t: Transition,
        event: OutboxEvent,
    ) -> Result<(), StoreError> {
        let change = [Change {
            id: *id,
            transition: t,
            event: Some(event),
        }];
        let applied = self
            .transaction(|conn, _| Box::pin(async move { apply_transitions(conn, &change).await }))
            .await?;
        if applied.as_slice() == [true] {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }
}

/// Applies `changes` inside the caller's transaction ([`Store::transaction`])
/// and says, per change (same order), whether it applied. One guarded
/// `UPDATE` per distinct transition, one insert of all history rows, one of
/// all events. A change whose registration moved on (a redelivery, another
/// worker) is skipped, not an error.
pub async fn apply_transitions(
    conn: &mut AsyncPgConnection,
    changes: &[Change],
) -> Result<Vec<bool>, StoreError> {
    let ids: Vec<String> = changes.iter().map(|c| c.id.to_string()).collect();
    let mut groups: BTreeMap<(&str, &str, Option<&str>), Vec<&str>> = BTreeMap::new();
    for (change, id) in changes.iter().zip(&ids) {
        let t = change.transition;
        groups
            .entry((
                t.from().as_str(),
                t.to().as_str(),
                t.reason().map(RejectionReason::as_str),
            ))
            .or_default()
            .push(id);
    }
    let mut moved: HashSet<String> = HashSet::new();
    for ((from, to, reason), group) in groups {
        let updated: Vec<String> = diesel::update(
            registrations::table
                .filter(registrations::id.eq_any(group))
                .filter(registrations::status.eq(from)),
        )
        .set((
            registrations::status.eq(to),
            registrations::reason.eq(reason),
            registrations::updated_at.eq(diesel::dsl::now),
        ))
        .returning(registrations::id)
        .get_results(conn)
        .await?;
        moved.extend(updated);
    }
    let mut applied = Vec::with_capacity(changes.len());
    let mut history = Vec::new();
    let mut events = Vec::new();
    let mut done: HashSet<&str> = HashSet::new();
    for (change, id) in changes.iter().zip(&ids) {
        // One registration listed twice moves once.
        let first = moved.contains(id) && done.insert(id.as_str());
        applied.push(first);
        if first {
            history.push(HistoryRow::of(id, change.transition, None));
            if let Some(event) = &change.event {
                events.push((id.as_str(), event));
            }
        }
    }
    if !history.is_empty() {
        diesel::insert_into(status_history::table)
            .values(&history)
            .execute(conn)
            .await?;
    }
    insert_events(conn, &events).await?;
    Ok(applied)
}
