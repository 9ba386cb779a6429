//! State changes after the first insert: registry check records and guarded
//! transitions that write their history row and outbox event atomically.

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use lonjak_domain::{RegistrationId, Transition};

use crate::error::is_unique_violation;
use crate::registrations::HistoryRow;
use crate::schema::{outbox, registrations, status_history, verification_checks};
use crate::{CompleteExtra, OutboxEvent, Store, StoreError};

impl Store {
    /// Records the answer of one registry call (one row per attempt, so
    /// retries stay visible in audits).
    pub async fn record_check(
        &self,
        id: &RegistrationId,
        registry: &str,
        outcome: &str,
        detail: serde_json::Value,
    ) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::insert_into(verification_checks::table)
            .values((
                verification_checks::registration_id.eq(id.to_string()),
                verification_checks::registry.eq(registry),
                verification_checks::outcome.eq(outcome),
                verification_checks::detail.eq(detail),
            ))
            .execute(&mut conn)
            .await?;
        Ok(())
    }

    /// Applies `t` in one transaction: the status update (only if the row is
    /// still in `t.from`, else [`StoreError::Conflict`] and nothing is
    /// written), its history row, and the outbox row for `event`.
    ///
    /// A second call for the same transition answers `Conflict`; the caller
    /// then publishes whatever [`Store::unpublished_event`] still holds.
    #[tracing::instrument(skip_all, fields(registration.id = %id, status.to = t.to.as_str()))]
    pub async fn complete(
        &self,
        id: &RegistrationId,
        t: Transition,
        extra: CompleteExtra,
        event: OutboxEvent,
    ) -> Result<(), StoreError> {
        let id = id.to_string();
        let from = t.from.as_str();
        let to = t.to.as_str();
        let reason = t.reason.map(|r| r.as_str());
        let mut conn = self.conn().await?;
        conn.transaction(async |conn| {
            let current = registrations::table
                .filter(registrations::id.eq(&id))
                .filter(registrations::status.eq(from));
            let updated = match &extra.social_aid_programme {
                Some(programme) => {
                    diesel::update(current)
                        .set((
                            registrations::status.eq(to),
                            registrations::reason.eq(reason),
                            registrations::social_aid_programme.eq(programme),
                            registrations::updated_at.eq(diesel::dsl::now),
                        ))
                        .execute(conn)
                        .await?
                }
                // Later transitions carry no programme: keep what verification found.
                None => {
                    diesel::update(current)
                        .set((
                            registrations::status.eq(to),
                            registrations::reason.eq(reason),
                            registrations::updated_at.eq(diesel::dsl::now),
                        ))
                        .execute(conn)
                        .await?
                }
            };
            if updated == 0 {
                return Err(StoreError::Conflict);
            }
            diesel::insert_into(status_history::table)
                .values(&HistoryRow {
                    registration_id: &id,
                    from_status: Some(from),
                    to_status: to,
                    reason,
                })
                .execute(conn)
                .await?;
            diesel::insert_into(outbox::table)
                .values((
                    outbox::event_id.eq(event.event_id),
                    outbox::registration_id.eq(&id),
                    outbox::routing_key.eq(&event.routing_key),
                    outbox::envelope.eq(&event.envelope),
                ))
                .execute(conn)
                .await
                .map_err(conflict_if_duplicate)?;
            Ok(())
        })
        .await
    }

    /// The oldest event of this registration not yet confirmed by the broker.
    pub async fn unpublished_event(
        &self,
        id: &RegistrationId,
    ) -> Result<Option<OutboxEvent>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<(uuid::Uuid, String, serde_json::Value)> = outbox::table
            .filter(outbox::registration_id.eq(id.to_string()))
            .filter(outbox::published_at.is_null())
            .order((outbox::created_at.asc(), outbox::event_id.asc()))
            .select((outbox::event_id, outbox::routing_key, outbox::envelope))
            .first(&mut conn)
            .await
            .optional()?;
        Ok(row.map(|(event_id, routing_key, envelope)| OutboxEvent {
            event_id,
            routing_key,
            envelope,
        }))
    }

    /// Marks an event as confirmed by the broker. Idempotent: marking twice,
    /// or marking an unknown event, changes nothing.
    pub async fn mark_published(&self, event_id: uuid::Uuid) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        diesel::update(
            outbox::table
                .filter(outbox::event_id.eq(event_id))
                .filter(outbox::published_at.is_null()),
        )
        .set(outbox::published_at.eq(diesel::dsl::now))
        .execute(&mut conn)
        .await?;
        Ok(())
    }
}

/// An event id recorded twice means this transition was already applied:
/// the same answer as a failed status guard.
fn conflict_if_duplicate(err: diesel::result::Error) -> StoreError {
    if is_unique_violation(&err) {
        StoreError::Conflict
    } else {
        StoreError::Query(err)
    }
}
