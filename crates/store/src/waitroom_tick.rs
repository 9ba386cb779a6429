//! Moving a wave's queue: the pre-opening draw, and the periodic tick that
//! lets the next tickets in. One replica ticks per period (the one whose
//! claim on the wave's row wins); the others read the result.

use std::time::Duration;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Double, Integer, Nullable, Timestamptz};
use diesel_async::RunQueryDsl;
use lonjak_domain::Wave;
use time::OffsetDateTime;

use crate::waitroom::{sequence, wave_id};
use crate::{Store, StoreError};

/// The wave's queue as the ticking replica found it.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct TickClaim {
    #[diesel(sql_type = BigInt)]
    pub admitted_upto: i64,
    #[diesel(sql_type = Double)]
    pub admit_per_sec: f64,
    #[diesel(sql_type = Double)]
    pub admit_credit: f64,
    /// Seconds since the previous tick (bounded by the caller's period × 5).
    #[diesel(sql_type = Double)]
    pub elapsed_secs: f64,
    /// Positions handed out so far (the sequence's last value).
    #[diesel(sql_type = BigInt)]
    pub issued: i64,
    /// Admitted, not used, not expired: permissions that may still become
    /// submissions.
    #[diesel(sql_type = BigInt)]
    pub outstanding: i64,
}

/// What one tick did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TickResult {
    pub admitted: u64,
    pub expired: u64,
    pub admitted_upto: i64,
    /// For each ticket let in with a recorded estimate: (announced, actual)
    /// seconds from its position to its admission.
    pub estimates: Vec<(f64, f64)>,
}

#[derive(QueryableByName)]
struct Admitted {
    #[diesel(sql_type = BigInt)]
    position: i64,
    #[diesel(sql_type = Nullable<Double>)]
    estimate_secs: Option<f64>,
    #[diesel(sql_type = Double)]
    waited_secs: f64,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

impl Store {
    /// Places the pre-opening group in a random order ahead of everyone who
    /// joins after opening: positions 1..=n by their random draw. Runs once,
    /// by whichever replica gets there first after opening; joins after
    /// opening wait for it (the row lock) before taking a position.
    pub async fn waitroom_draw(&self, wave: Wave) -> Result<(), StoreError> {
        let wave_id = wave_id(wave)?;
        self.transaction(move |conn, _| {
            Box::pin(async move {
                let todo: Vec<Count> = diesel::sql_query(
                    "SELECT 1::bigint AS n FROM waitroom_waves \
                     WHERE wave_id = $1 AND NOT drawn AND now() >= opens_at FOR UPDATE",
                )
                .bind::<Integer, _>(wave_id)
                .load(conn)
                .await?;
                if todo.is_empty() {
                    return Ok(());
                }
                // Nobody has taken a position yet (joins before opening take
                // none, joins after it wait for this lock), so the group gets
                // 1..=n and the sequence continues after it.
                let placed: Count = diesel::sql_query(
                    "WITH drawn AS ( \
                         SELECT id, row_number() OVER (ORDER BY draw, id) AS rn \
                         FROM waitroom_tickets WHERE wave_id = $1 AND position IS NULL), \
                     placed AS ( \
                         UPDATE waitroom_tickets t SET position = d.rn \
                         FROM drawn d WHERE t.id = d.id RETURNING 1) \
                     SELECT count(*) AS n FROM placed",
                )
                .bind::<Integer, _>(wave_id)
                .get_result(conn)
                .await?;
                if placed.n > 0 {
                    diesel::sql_query(format!("SELECT setval('{}', $1)", sequence(wave_id)))
                        .bind::<BigInt, _>(placed.n)
                        .execute(conn)
                        .await?;
                }
                diesel::sql_query(
                    "UPDATE waitroom_waves SET drawn = true, drawn_count = $2 WHERE wave_id = $1",
                )
                .bind::<Integer, _>(wave_id)
                .bind::<BigInt, _>(placed.n)
                .execute(conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Claims this period's tick of `wave` if no replica has ticked within
    /// `period` (× 0.9, so that replicas with drifting timers still tick
    /// once per period between them) and the wave is open. Also gives a
    /// position to any ticket that joined during the draw.
    pub async fn waitroom_claim_tick(
        &self,
        wave: Wave,
        period: Duration,
        permit: Duration,
    ) -> Result<Option<TickClaim>, StoreError> {
        let wave_id = wave_id(wave)?;
        let min_gap = period.as_secs_f64() * 0.9;
        let max_elapsed = period.as_secs_f64() * 5.0;
        let permit_secs = permit.as_secs_f64();
        self.transaction(move |conn, _| {
            Box::pin(async move {
                // `NO KEY UPDATE`: every join in flight holds a key-share
                // lock on the row (its foreign key, and its read of
                // `drawn`); `FOR UPDATE ... SKIP LOCKED` skipped every tick
                // while joins kept coming, and the queue stood still for as
                // long as people were joining (docs/benchmarks.md).
                let claim: Option<TickClaim> = {
                    use diesel::OptionalExtension;
                    diesel::sql_query(format!(
                        "WITH old AS ( \
                             SELECT wave_id, ticked_at FROM waitroom_waves \
                             WHERE wave_id = $1 AND drawn AND now() >= opens_at \
                               AND ticked_at <= now() - make_interval(secs => $2) \
                             FOR NO KEY UPDATE SKIP LOCKED) \
                         UPDATE waitroom_waves w SET ticked_at = now() FROM old \
                         WHERE w.wave_id = old.wave_id \
                         RETURNING w.admitted_upto, w.admit_per_sec, w.admit_credit, \
                             least($3, extract(epoch FROM now() - old.ticked_at))::float8 \
                                 AS elapsed_secs, \
                             (SELECT CASE WHEN is_called THEN last_value ELSE 0 END \
                                  FROM {seq}) AS issued, \
                             (SELECT count(*) FROM waitroom_tickets t \
                                  WHERE t.wave_id = $1 AND t.admitted_at IS NOT NULL \
                                    AND t.used_at IS NULL AND t.expired_at IS NULL \
                                    AND t.admitted_at > now() - make_interval(secs => $4)) \
                                 AS outstanding",
                        seq = sequence(wave_id)
                    ))
                    .bind::<Integer, _>(wave_id)
                    .bind::<Double, _>(min_gap)
                    .bind::<Double, _>(max_elapsed)
                    .bind::<Double, _>(permit_secs)
                    .get_result(conn)
                    .await
                    .optional()?
                };
                if claim.is_some() {
                    // In arrival order: they raced the draw, and take their
                    // places among later joins in the order they came.
                    diesel::sql_query(format!(
                        "UPDATE waitroom_tickets t SET position = late.position \
                         FROM (SELECT id, nextval('{}') AS position \
                               FROM (SELECT id FROM waitroom_tickets \
                                     WHERE wave_id = $1 AND position IS NULL \
                                     ORDER BY joined_at, id) arrivals) late \
                         WHERE t.id = late.id",
                        sequence(wave_id)
                    ))
                    .bind::<Integer, _>(wave_id)
                    .execute(conn)
                    .await?;
                }
                Ok(claim)
            })
        })
        .await
    }

    /// Completes a claimed tick: lets in the next `count` tickets after
    /// `claim.admitted_upto` (fewer if fewer wait), records the rate and the
    /// fraction of a ticket carried to the next tick, and expires the
    /// permissions unused for `permit`. The mark moves only if no other
    /// replica moved it since the claim.
    pub async fn waitroom_advance(
        &self,
        wave: Wave,
        claim: &TickClaim,
        count: i64,
        admit_per_sec: f64,
        credit: f64,
        permit: Duration,
    ) -> Result<TickResult, StoreError> {
        let wave_id = wave_id(wave)?;
        let mark = claim.admitted_upto;
        let permit_secs = permit.as_secs_f64();
        self.transaction(move |conn, _| {
            Box::pin(async move {
                let admitted: Vec<Admitted> = diesel::sql_query(
                    "WITH next AS ( \
                         SELECT id FROM waitroom_tickets \
                         WHERE wave_id = $1 AND position > $2 \
                         ORDER BY position LIMIT $3) \
                     UPDATE waitroom_tickets t SET admitted_at = now() FROM next \
                     WHERE t.id = next.id \
                     RETURNING t.position, t.estimate_secs, \
                         extract(epoch FROM now() - coalesce(t.estimated_at, t.joined_at))::float8 \
                         AS waited_secs",
                )
                .bind::<Integer, _>(wave_id)
                .bind::<BigInt, _>(mark)
                .bind::<BigInt, _>(count.max(0))
                .load(conn)
                .await?;
                let upto = admitted.iter().map(|a| a.position).max().unwrap_or(mark);
                // Capacity not used because nobody was waiting is not banked.
                let credit = if (admitted.len() as i64) < count {
                    0.0
                } else {
                    credit
                };
                let moved = diesel::sql_query(
                    "UPDATE waitroom_waves SET admitted_upto = $3, admit_per_sec = $4, \
                         admit_credit = $5 \
                     WHERE wave_id = $1 AND admitted_upto = $2",
                )
                .bind::<Integer, _>(wave_id)
                .bind::<BigInt, _>(mark)
                .bind::<BigInt, _>(upto)
                .bind::<Double, _>(admit_per_sec)
                .bind::<Double, _>(credit)
                .execute(conn)
                .await?;
                if moved == 0 {
                    // Another replica moved the mark: roll this tick back.
                    return Err(StoreError::Conflict);
                }
                let expired: Count = diesel::sql_query(
                    "WITH e AS ( \
                         UPDATE waitroom_tickets SET expired_at = now() \
                         WHERE wave_id = $1 AND admitted_at IS NOT NULL AND used_at IS NULL \
                           AND expired_at IS NULL \
                           AND admitted_at <= now() - make_interval(secs => $2) \
                         RETURNING 1) \
                     SELECT count(*) AS n FROM e",
                )
                .bind::<Integer, _>(wave_id)
                .bind::<Double, _>(permit_secs)
                .get_result(conn)
                .await?;
                Ok(TickResult {
                    admitted: admitted.len() as u64,
                    expired: expired.n.max(0) as u64,
                    admitted_upto: upto,
                    estimates: admitted
                        .iter()
                        .filter_map(|a| a.estimate_secs.map(|e| (e, a.waited_secs)))
                        .collect(),
                })
            })
        })
        .await
    }

    /// When the wave's waiting room opens, if it exists.
    pub async fn waitroom_opens_at(
        &self,
        wave: Wave,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = Timestamptz)]
            opens_at: OffsetDateTime,
        }
        let wave_id = wave_id(wave)?;
        let row: Option<Row> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    use diesel::OptionalExtension;
                    Ok(
                        diesel::sql_query("SELECT opens_at FROM waitroom_waves WHERE wave_id = $1")
                            .bind::<Integer, _>(wave_id)
                            .get_result(conn)
                            .await
                            .optional()?,
                    )
                })
            })
            .await?;
        Ok(row.map(|r| r.opens_at))
    }
}
