//! The waiting room's shared state: one queue per wave, tickets with their
//! positions, and the admitted-up-to mark. Every gateway replica reads and
//! writes these rows, so no replica holds state of its own (no sticky
//! sessions). The pacing (how far the mark moves) is decided by the caller;
//! see [`Store::waitroom_tick`].

use diesel::QueryableByName;
use diesel::sql_types::Uuid as SqlUuid;
use diesel::sql_types::{BigInt, Bool, Bytea, Double, Integer, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use lonjak_domain::{RegistrationId, Wave};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::waitroom_join::{
    existing, rand_draw, record_estimate, relaxed_commit, requeue_if_expired, with_state,
};
use crate::{Store, StoreError};

/// A ticket as its holder sees it, with the wave's state at the same instant.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct TicketState {
    /// `None` while the pre-opening draw has not placed it.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub position: Option<i64>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub admitted_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub used_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub expired_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    pub registration_id: Option<String>,
    /// An announced wait has been recorded for it.
    #[diesel(sql_type = Bool)]
    pub estimate_recorded: bool,
    #[diesel(sql_type = BigInt)]
    pub admitted_upto: i64,
    #[diesel(sql_type = Double)]
    pub admit_per_sec: f64,
    #[diesel(sql_type = Timestamptz)]
    pub opens_at: OffsetDateTime,
    /// The database's clock, so every replica judges expiry alike.
    #[diesel(sql_type = Timestamptz)]
    pub now: OffsetDateTime,
}

/// What joining answered.
#[derive(Debug, Clone, PartialEq)]
pub enum Joined {
    /// A new ticket, or this client's existing one (`rejoined`).
    Ticket {
        id: Uuid,
        rejoined: bool,
        state: TicketState,
    },
    /// Joining opens at `opens_at` minus the fair-start window.
    NotOpenYet { opens_at: OffsetDateTime },
}

/// Why a ticket could not be used for a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UseRefused {
    /// No such ticket in this wave.
    Unknown,
    /// Its turn has not come yet.
    NotYet,
    /// Its permission ran out unused.
    Expired,
    /// Already used for a different registration.
    UsedForAnother,
}

#[derive(QueryableByName)]
pub(crate) struct IdRow {
    #[diesel(sql_type = SqlUuid)]
    pub(crate) id: Uuid,
}

#[derive(QueryableByName)]
struct OpensRow {
    #[diesel(sql_type = Timestamptz)]
    opens_at: OffsetDateTime,
    #[diesel(sql_type = Bool)]
    drawn: bool,
    #[diesel(sql_type = Bool)]
    open: bool,
}

pub(crate) const TICKET_STATE: &str = "SELECT t.position, t.admitted_at, t.used_at, t.expired_at, \
    t.registration_id, t.estimate_secs IS NOT NULL AS estimate_recorded, w.admitted_upto, w.admit_per_sec, w.opens_at, now() AS now \
    FROM waitroom_tickets t JOIN waitroom_waves w USING (wave_id) \
    WHERE t.id = $1 AND t.wave_id = $2";

impl Store {
    /// Creates the wave's waiting room (row and position sequence) if it is
    /// missing. It opens at `opens_at`, else at the `waves` row's `opens_at`,
    /// else now. Idempotent; safe from several replicas at once.
    pub async fn waitroom_ensure_wave(
        &self,
        wave: Wave,
        opens_at: Option<OffsetDateTime>,
    ) -> Result<(), StoreError> {
        let wave_id = wave_id(wave)?;
        self.transaction(move |conn, _| {
            Box::pin(async move {
                let created: Vec<WaveIdRow> = diesel::sql_query(
                    "INSERT INTO waitroom_waves (wave_id, opens_at) \
                     SELECT $1, coalesce($2, (SELECT opens_at FROM waves WHERE id = $1), now()) \
                     ON CONFLICT (wave_id) DO NOTHING RETURNING wave_id",
                )
                .bind::<Integer, _>(wave_id)
                .bind::<Nullable<Timestamptz>, _>(opens_at)
                .load(conn)
                .await?;
                // The row's insert serialises concurrent creators: only the
                // one that inserted it creates the sequence, in the same
                // transaction, so the sequence exists whenever the row does.
                if !created.is_empty() {
                    diesel::sql_query(format!("CREATE SEQUENCE {}", sequence(wave_id)))
                        .execute(conn)
                        .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Gives `client_key` its ticket for `wave`: the one it already has
    /// (same place; one whose `permit` ran out unused goes to the back of
    /// the queue), or a new
    /// one. Before opening (within `fair_start`) the ticket waits for the
    /// draw; after, it takes the next position. `estimate_secs` is recorded
    /// for the estimate-error metric.
    pub async fn waitroom_join<E>(
        &self,
        wave: Wave,
        client_key: &[u8; 32],
        fair_start: std::time::Duration,
        permit: std::time::Duration,
        estimate: E,
    ) -> Result<Joined, StoreError>
    where
        E: FnOnce(&TicketState) -> Option<f64> + Send,
    {
        let permit_secs = permit.as_secs_f64();
        let wave_id = wave_id(wave)?;
        let key = client_key.to_vec();
        let window = fair_start.as_secs_f64();
        let opens: OpensRow = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(
                        "SELECT opens_at, drawn, now() >= opens_at AS open \
                         FROM waitroom_waves WHERE wave_id = $1",
                    )
                    .bind::<Integer, _>(wave_id)
                    .get_result(conn)
                    .await?)
                })
            })
            .await?;
        if opens.open && !opens.drawn {
            self.waitroom_draw(wave).await?;
        }
        let draw: i64 = rand_draw();
        // The ticket, its state and its first announced wait in one
        // transaction: joins are most of an opening's database work.
        let joined: Option<(Uuid, bool, TicketState)> = self
            .transaction(move |conn, _| {
                Box::pin(async move {
                    relaxed_commit(conn).await?;
                    // Key-share lock on the wave row, held to commit: the
                    // draw (`FOR UPDATE`) waits for this join, and so sees
                    // its ticket, or this join waits for the draw and then
                    // reads `drawn`. Without it, a join that read "not
                    // drawn" while the draw ran committed after it, with no
                    // place, and was placed behind later joins.
                    diesel::sql_query(
                        "SELECT 1 FROM waitroom_waves WHERE wave_id = $1 FOR KEY SHARE",
                    )
                    .bind::<Integer, _>(wave_id)
                    .execute(conn)
                    .await?;
                    if let Some(found) = existing(conn, wave_id, &key).await? {
                        requeue_if_expired(conn, wave_id, found, permit_secs).await?;
                        return with_state(conn, wave_id, found, true, estimate).await;
                    }
                    // The arrival time is read in the statement that takes
                    // the position, right after it: not the transaction's
                    // start, which concurrent joins can reach in one order
                    // and their positions in another.
                    // A position only once the pre-opening group is drawn:
                    // a join that read "not open" just before opening and
                    // inserts just after must not take a position the draw
                    // is about to give (the draw then failed on the unique
                    // position, forever). Without one it joins the draw (which
                    // waits for it: the lock above).
                    let inserted: Vec<IdRow> = diesel::sql_query(format!(
                        "INSERT INTO waitroom_tickets (id, wave_id, client_key, position, joined_at, draw) \
                         SELECT $1, $2, $3, \
                                CASE WHEN w.drawn THEN nextval('{seq}') END, clock_timestamp(), $4 \
                         FROM waitroom_waves w \
                         WHERE w.wave_id = $2 \
                           AND now() >= w.opens_at - make_interval(secs => $5) \
                         ON CONFLICT (wave_id, client_key) DO NOTHING RETURNING id",
                        seq = sequence(wave_id)
                    ))
                    .bind::<SqlUuid, _>(Uuid::new_v4())
                    .bind::<Integer, _>(wave_id)
                    .bind::<Bytea, _>(&key)
                    .bind::<BigInt, _>(draw)
                    .bind::<Double, _>(window)
                    .load(conn)
                    .await?;
                    if let Some(row) = inserted.into_iter().next() {
                        return with_state(conn, wave_id, row.id, false, estimate).await;
                    }
                    // Lost a race with this client's other join, or not open.
                    match existing(conn, wave_id, &key).await? {
                        Some(id) => with_state(conn, wave_id, id, true, estimate).await,
                        None => Ok(None),
                    }
                })
            })
            .await?;
        let Some((id, rejoined, state)) = joined else {
            return Ok(Joined::NotOpenYet {
                opens_at: opens.opens_at,
            });
        };
        Ok(Joined::Ticket {
            id,
            rejoined,
            state,
        })
    }

    /// Records the wait announced to a ticket when it first got a position.
    pub async fn waitroom_record_estimate(
        &self,
        wave: Wave,
        ticket: Uuid,
        estimate_secs: f64,
    ) -> Result<(), StoreError> {
        let wave_id = wave_id(wave)?;
        self.transaction(move |conn, _| {
            Box::pin(async move {
                relaxed_commit(conn).await?;
                record_estimate(conn, wave_id, ticket, estimate_secs).await
            })
        })
        .await
    }

    /// The ticket's state, or `None` if `wave` has no such ticket.
    pub async fn waitroom_ticket(
        &self,
        wave: Wave,
        ticket: Uuid,
    ) -> Result<Option<TicketState>, StoreError> {
        let wave_id = wave_id(wave)?;
        self.with_conn(|conn, _| {
            Box::pin(async move {
                use diesel::OptionalExtension;
                Ok(diesel::sql_query(TICKET_STATE)
                    .bind::<SqlUuid, _>(ticket)
                    .bind::<Integer, _>(wave_id)
                    .get_result(conn)
                    .await
                    .optional()?)
            })
        })
        .await
    }

    /// Uses an admitted ticket for `registration`: binds the two on first
    /// use. Using it again for the same registration (a retried submission)
    /// is allowed, even after the permission's time is up; for another
    /// registration, never.
    pub async fn waitroom_use(
        &self,
        wave: Wave,
        ticket: Uuid,
        registration: &RegistrationId,
        permit: std::time::Duration,
    ) -> Result<Result<(), UseRefused>, StoreError> {
        let wave_id = wave_id(wave)?;
        let reg = registration.to_string();
        let permit_secs = permit.as_secs_f64();
        self.transaction(move |conn, _| {
            Box::pin(async move {
                let used: Vec<IdRow> = diesel::sql_query(
                    "UPDATE waitroom_tickets \
                     SET registration_id = $3, used_at = coalesce(used_at, now()) \
                     WHERE id = $1 AND wave_id = $2 AND ( \
                         registration_id = $3 OR ( \
                             registration_id IS NULL AND admitted_at IS NOT NULL \
                             AND expired_at IS NULL \
                             AND now() < admitted_at + make_interval(secs => $4))) \
                     RETURNING id",
                )
                .bind::<SqlUuid, _>(ticket)
                .bind::<Integer, _>(wave_id)
                .bind::<Text, _>(&reg)
                .bind::<Double, _>(permit_secs)
                .load(conn)
                .await?;
                if !used.is_empty() {
                    return Ok(Ok(()));
                }
                let state: Option<TicketState> = {
                    use diesel::OptionalExtension;
                    diesel::sql_query(TICKET_STATE)
                        .bind::<SqlUuid, _>(ticket)
                        .bind::<Integer, _>(wave_id)
                        .get_result(conn)
                        .await
                        .optional()?
                };
                Ok(Err(match state {
                    None => UseRefused::Unknown,
                    Some(s) if s.registration_id.is_some() => UseRefused::UsedForAnother,
                    Some(s) if s.admitted_at.is_none() => UseRefused::NotYet,
                    Some(_) => UseRefused::Expired,
                }))
            })
        })
        .await
    }
}

#[derive(QueryableByName)]
struct WaveIdRow {
    #[diesel(sql_type = Integer)]
    #[allow(dead_code)]
    wave_id: i32,
}

pub(crate) fn wave_id(wave: Wave) -> Result<i32, StoreError> {
    i32::try_from(wave.get()).map_err(|_| StoreError::Decode(format!("wave {wave} out of range")))
}

/// The wave's position sequence. `wave_id` is a positive integer, so the
/// name needs no quoting.
pub(crate) fn sequence(wave_id: i32) -> String {
    format!("waitroom_seq_{wave_id}")
}
