//! The steps of joining a wave's queue, shared by `waitroom.rs`: the
//! client's existing ticket, re-queueing one whose permission ran out, the
//! state and first announced wait read back in the join's transaction,
//! and the join's relaxed commit.

use diesel::sql_types::Uuid as SqlUuid;
use diesel::sql_types::{Bytea, Double, Integer};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

use crate::StoreError;
use crate::waitroom::{IdRow, TICKET_STATE, TicketState, sequence};

/// The joined ticket's state, with the wait `estimate` announces recorded
/// if it is the first one (for the estimate-error metric).
pub(crate) async fn with_state<E>(
    conn: &mut AsyncPgConnection,
    wave_id: i32,
    id: Uuid,
    rejoined: bool,
    estimate: E,
) -> Result<Option<(Uuid, bool, TicketState)>, StoreError>
where
    E: FnOnce(&TicketState) -> Option<f64>,
{
    let mut state: TicketState = diesel::sql_query(TICKET_STATE)
        .bind::<SqlUuid, _>(id)
        .bind::<Integer, _>(wave_id)
        .get_result(conn)
        .await?;
    if !state.estimate_recorded
        && state.position.is_some()
        && let Some(secs) = estimate(&state)
    {
        record_estimate(conn, wave_id, id, secs).await?;
        state.estimate_recorded = true;
    }
    Ok(Some((id, rejoined, state)))
}

pub(crate) async fn record_estimate(
    conn: &mut AsyncPgConnection,
    wave_id: i32,
    ticket: Uuid,
    estimate_secs: f64,
) -> Result<(), StoreError> {
    diesel::sql_query(
        "UPDATE waitroom_tickets SET estimate_secs = $3, estimated_at = now() \
         WHERE id = $1 AND wave_id = $2 AND estimate_secs IS NULL",
    )
    .bind::<SqlUuid, _>(ticket)
    .bind::<Integer, _>(wave_id)
    .bind::<Double, _>(estimate_secs)
    .execute(conn)
    .await?;
    Ok(())
}

/// Lets this transaction commit without waiting for its WAL flush. Joins
/// and announced estimates are most of the waiting room's commits (two per
/// person), and at an opening they queued on the WAL flush (`WALWrite`
/// waits) behind the pipeline's own commits, holding the crowd's requests
/// for seconds (docs/benchmarks.md). What a database crash can lose is the
/// last fraction of a second of them: a ticket (its holder's next check is
/// refused as unknown, and joining again places them at the back) or an
/// estimate metric. Registrations and the admission mark stay synchronous.
pub(crate) async fn relaxed_commit(conn: &mut AsyncPgConnection) -> Result<(), StoreError> {
    diesel::sql_query("SET LOCAL synchronous_commit = off")
        .execute(conn)
        .await?;
    Ok(())
}

pub(crate) async fn existing(
    conn: &mut AsyncPgConnection,
    wave_id: i32,
    key: &[u8],
) -> Result<Option<Uuid>, StoreError> {
    use diesel::OptionalExtension;
    let row: Option<IdRow> =
        diesel::sql_query("SELECT id FROM waitroom_tickets WHERE wave_id = $1 AND client_key = $2")
            .bind::<Integer, _>(wave_id)
            .bind::<Bytea, _>(key)
            .get_result(conn)
            .await
            .optional()?;
    Ok(row.map(|r| r.id))
}

/// A ticket whose permission ran out unused goes to the back of the queue
/// when its holder comes back: never ahead of anyone who waited.
pub(crate) async fn requeue_if_expired(
    conn: &mut AsyncPgConnection,
    wave_id: i32,
    id: Uuid,
    permit_secs: f64,
) -> Result<(), StoreError> {
    diesel::sql_query(format!(
        "UPDATE waitroom_tickets SET position = nextval('{seq}'), admitted_at = NULL, \
             expired_at = NULL, estimate_secs = NULL, estimated_at = NULL, \
             joined_at = clock_timestamp() \
         WHERE id = $1 AND wave_id = $2 AND used_at IS NULL AND (expired_at IS NOT NULL \
             OR admitted_at <= now() - make_interval(secs => $3))",
        seq = sequence(wave_id)
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Integer, _>(wave_id)
    .bind::<Double, _>(permit_secs)
    .execute(conn)
    .await?;
    Ok(())
}

pub(crate) fn rand_draw() -> i64 {
    // A v4 UUID's random bits: the draw needs unpredictability, not a CSPRNG
    // stream of its own.
    let bytes = Uuid::new_v4().into_bytes();
    i64::from_be_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[7], bytes[9],
    ])
}
