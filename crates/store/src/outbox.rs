//! The transactional outbox: events written in the transaction of the change
//! they announce, published with a confirm afterwards, then marked. A relay
//! leases events left unpublished (a worker died between commit and publish)
//! and publishes them again.

use std::collections::HashMap;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Interval, Jsonb, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use lonjak_domain::RegistrationId;
use uuid::Uuid;

use crate::error::is_unique_violation;
use crate::schema::outbox;
use crate::{OutboxEvent, Store, StoreError};

#[derive(QueryableByName)]
struct LeasedRow {
    #[diesel(sql_type = SqlUuid)]
    event_id: Uuid,
    #[diesel(sql_type = Text)]
    routing_key: String,
    #[diesel(sql_type = Jsonb)]
    envelope: serde_json::Value,
}

impl Store {
    /// The unpublished events of these registrations, oldest first, each
    /// with its registration.
    pub async fn unpublished_events(
        &self,
        ids: &[RegistrationId],
    ) -> Result<Vec<(RegistrationId, OutboxEvent)>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let keys: HashMap<String, RegistrationId> =
            ids.iter().map(|id| (id.to_string(), *id)).collect();
        let wanted: Vec<String> = keys.keys().cloned().collect();
        let rows: Vec<(String, Uuid, String, serde_json::Value)> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(outbox::table
                        .filter(outbox::registration_id.eq_any(wanted))
                        .filter(outbox::published_at.is_null())
                        .order((outbox::created_at.asc(), outbox::event_id.asc()))
                        .select((
                            outbox::registration_id,
                            outbox::event_id,
                            outbox::routing_key,
                            outbox::envelope,
                        ))
                        .load(conn)
                        .await?)
                })
            })
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, event_id, routing_key, envelope)| {
                let id = *keys.get(&id)?;
                Some((
                    id,
                    OutboxEvent {
                        event_id,
                        routing_key,
                        envelope,
                    },
                ))
            })
            .collect())
    }

    /// Marks events as confirmed by the broker, in one statement.
    /// Idempotent: marking twice, or an unknown event, changes nothing.
    pub async fn mark_published(&self, event_ids: &[Uuid]) -> Result<(), StoreError> {
        if event_ids.is_empty() {
            return Ok(());
        }
        let ids = event_ids.to_vec();
        self.with_conn(|conn, _| {
            Box::pin(async move {
                diesel::update(
                    outbox::table
                        .filter(outbox::event_id.eq_any(ids))
                        .filter(outbox::published_at.is_null()),
                )
                .set(outbox::published_at.eq(diesel::dsl::now))
                .execute(conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Leases up to `limit` events unpublished for longer than `older_than`
    /// and not leased by another relay, for `lease`. Several relays never get
    /// the same event while a lease runs (`SKIP LOCKED`, then the lease).
    pub async fn lease_stale_events(
        &self,
        older_than: Duration,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<OutboxEvent>, StoreError> {
        let rows: Vec<LeasedRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(
                        "UPDATE outbox SET lease_until = now() + $2 \
                         WHERE event_id IN ( \
                             SELECT event_id FROM outbox \
                             WHERE published_at IS NULL AND created_at < now() - $1 \
                               AND (lease_until IS NULL OR lease_until < now()) \
                             ORDER BY created_at LIMIT $3 FOR UPDATE SKIP LOCKED) \
                         RETURNING event_id, routing_key, envelope",
                    )
                    .bind::<Interval, _>(interval(older_than))
                    .bind::<Interval, _>(interval(lease))
                    .bind::<BigInt, _>(limit)
                    .load(conn)
                    .await?)
                })
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| OutboxEvent {
                event_id: row.event_id,
                routing_key: row.routing_key,
                envelope: row.envelope,
            })
            .collect())
    }

    /// Events not yet confirmed by the broker.
    pub async fn unpublished_count(&self) -> Result<i64, StoreError> {
        self.with_conn(|conn, _| {
            Box::pin(async move {
                Ok(outbox::table
                    .filter(outbox::published_at.is_null())
                    .count()
                    .get_result(conn)
                    .await?)
            })
        })
        .await
    }
}

/// Writes `events` (each with its registration) inside the caller's
/// transaction. An event id written twice means the change it announces was
/// already recorded: [`StoreError::Conflict`].
pub(crate) async fn insert_events(
    conn: &mut AsyncPgConnection,
    events: &[(&str, &OutboxEvent)],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = events
        .iter()
        .map(|(id, event)| {
            (
                outbox::event_id.eq(event.event_id),
                outbox::registration_id.eq(*id),
                outbox::routing_key.eq(event.routing_key.as_str()),
                outbox::envelope.eq(&event.envelope),
            )
        })
        .collect();
    diesel::insert_into(outbox::table)
        .values(rows)
        .execute(conn)
        .await
        .map_err(|err| {
            if is_unique_violation(&err) {
                StoreError::Conflict
            } else {
                StoreError::Query(err)
            }
        })?;
    Ok(())
}

fn interval(duration: Duration) -> diesel::data_types::PgInterval {
    diesel::data_types::PgInterval::from_microseconds(
        i64::try_from(duration.as_micros()).unwrap_or(i64::MAX),
    )
}
