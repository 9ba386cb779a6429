//! Counting the registrations that left `queued` since the last sample,
//! without skipping any.
//!
//! A verifier batch takes its `status_history` ids when it inserts and
//! commits later, so batches commit out of id order: counting "ids above the
//! last one seen" skips every row that commits after a higher id was read
//! (6.3 % of them in a release run at 2,000/s, and up to half a second's
//! worth at a time). Instead each sample keeps the snapshot it counted in,
//! and the next counts the rows visible now that were not visible then, by
//! their inserting transaction: each row exactly once, whenever it commits.
//! The scan starts at a floor that moves up to the last sample's highest id
//! once every transaction open at that sample has ended (usually the next
//! second), and never trails the newest id by more than [`MAX_SCAN`].

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::StoreError;

/// The most ids a sample scans. A transaction that stays open while more
/// history rows than this are written after it loses its rows from the
/// count (at ~3,000 rows/s, half a minute): a bound on the sampler's work,
/// not a case the verifier's short batches meet.
pub(crate) const MAX_SCAN: i64 = 100_000;

/// Where a sample left off: the next one starts from here.
#[derive(Debug)]
pub(crate) struct Mark {
    pub last_history_id: i64,
    pub floor_history_id: i64,
    pub snapshot: Option<String>,
}

/// One sample's count and where the next one starts.
#[derive(Debug)]
pub(crate) struct Counted {
    pub left_queued: i64,
    pub next: Mark,
}

#[derive(QueryableByName)]
struct Baseline {
    #[diesel(sql_type = BigInt)]
    max_id: i64,
    #[diesel(sql_type = Text)]
    snapshot: String,
}

#[derive(QueryableByName)]
struct Scan {
    #[diesel(sql_type = BigInt)]
    left_queued: i64,
    #[diesel(sql_type = Nullable<BigInt>)]
    max_id: Option<i64>,
    #[diesel(sql_type = Text)]
    snapshot: String,
    /// Every transaction open at the last snapshot has ended.
    #[diesel(sql_type = Bool)]
    last_all_ended: bool,
}

/// A row's inserting transaction as a full (epoch-qualified) id: `xmin`
/// holds only its low 32 bits, and a row this recent is within 2^31 of the
/// snapshot's `xmax`.
const ROW_XID8: &str = "(cur.x8 - ((cur.x8 % 4294967296) - h.xmin::text::bigint + 4294967296) \
                        % 4294967296)::text::xid8";

/// Counts, in the statement's own snapshot, the `queued → verifying` rows
/// that were not visible at `mark`'s snapshot. Without one (the first
/// sample) it only sets the starting point.
pub(crate) async fn count_left_queued(
    conn: &mut AsyncPgConnection,
    mark: &Mark,
) -> Result<Counted, StoreError> {
    let Some(last) = mark.snapshot.as_deref() else {
        let base: Baseline = diesel::sql_query(
            "SELECT coalesce(max(id), 0) AS max_id, pg_current_snapshot()::text AS snapshot \
             FROM status_history",
        )
        .get_result(conn)
        .await?;
        return Ok(Counted {
            left_queued: 0,
            next: Mark {
                last_history_id: base.max_id,
                // Rows below the newest that commit after this snapshot
                // are counted by the next sample.
                floor_history_id: (base.max_id - MAX_SCAN).max(0),
                snapshot: Some(base.snapshot),
            },
        });
    };
    let scan: Scan = diesel::sql_query(format!(
        "WITH snap AS MATERIALIZED (SELECT pg_current_snapshot() AS s), \
              cur AS (SELECT pg_snapshot_xmax(s)::text::bigint AS x8 FROM snap) \
         SELECT count(*) FILTER (WHERE h.from_status = 'queued' \
                    AND h.to_status = 'verifying' \
                    AND NOT pg_visible_in_snapshot({ROW_XID8}, $2::pg_snapshot)) AS left_queued, \
                max(h.id) AS max_id, \
                (SELECT s::text FROM snap) AS snapshot, \
                (SELECT pg_snapshot_xmin(s) >= pg_snapshot_xmax($2::pg_snapshot) FROM snap) \
                    AS last_all_ended \
         FROM status_history h CROSS JOIN cur \
         WHERE h.id > $1"
    ))
    .bind::<BigInt, _>(mark.floor_history_id)
    .bind::<Text, _>(last)
    .get_result(conn)
    .await?;
    let max_id = scan
        .max_id
        .unwrap_or(mark.last_history_id)
        .max(mark.last_history_id);
    // Every row at or below the last sample's highest id is visible now
    // once the transactions open then have ended: all counted.
    let floor = if scan.last_all_ended {
        mark.last_history_id
    } else {
        mark.floor_history_id
    };
    Ok(Counted {
        left_queued: scan.left_queued,
        next: Mark {
            last_history_id: max_id,
            floor_history_id: floor.max(max_id - MAX_SCAN).max(0),
            snapshot: Some(scan.snapshot),
        },
    })
}
