//! The bound on each token holder's support look-ups: at most a configured
//! number per clock hour (the database's clock), counted by one statement
//! so concurrent look-ups on any admin replica cannot pass it together.
//! Hours are cut in UTC, whatever a session's time zone, so every replica
//! counts in the same windows.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};
use diesel_async::RunQueryDsl;

use crate::access_log::{AccessEntry, append_access};
use crate::{Store, StoreError};

/// One more look-up this hour unless `$2` were counted (then `count` is
/// NULL); the seconds left in the hour either way. The row lock taken by
/// `ON CONFLICT DO UPDATE` orders concurrent look-ups of one holder.
const COUNT_LOOKUP_SQL: &str = "
WITH counted AS (
    INSERT INTO support_lookup_counts (actor, hour, count)
    VALUES ($1, date_trunc('hour', now(), 'UTC'), 1)
    ON CONFLICT (actor, hour) DO UPDATE
       SET count = support_lookup_counts.count + 1
       WHERE support_lookup_counts.count < $2
    RETURNING count
)
SELECT (SELECT count FROM counted) AS count,
       ceil(extract(epoch FROM date_trunc('hour', now(), 'UTC') + interval '1 hour' - now()))::int8
           AS retry_after";

/// Forgets the holder's finished hours, so the table stays one row per
/// active holder.
const FORGET_PAST_SQL: &str = "
DELETE FROM support_lookup_counts
 WHERE actor = $1 AND hour < date_trunc('hour', now(), 'UTC')";

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Nullable<Integer>)]
    count: Option<i32>,
    #[diesel(sql_type = BigInt)]
    retry_after: i64,
}

/// What counting one look-up found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupAllowance {
    /// Counted: the holder's `n`th look-up this hour.
    Counted(u32),
    /// The bound is reached: the next hour starts in `retry_after` seconds.
    Limited { retry_after: u64 },
}

impl Store {
    /// Counts one look-up by `actor` (at most `per_hour` in a clock hour).
    /// When the bound is reached, `limited` is appended to the access log
    /// in the same transaction, so no refusal goes unrecorded.
    pub async fn count_support_lookup(
        &self,
        actor: &str,
        per_hour: u32,
        limited: &AccessEntry,
    ) -> Result<LookupAllowance, StoreError> {
        let actor = actor.to_owned();
        let limited = limited.clone();
        self.transaction(|conn, _| {
            Box::pin(async move {
                let limit = i32::try_from(per_hour).unwrap_or(i32::MAX);
                let counted: Counted = diesel::sql_query(COUNT_LOOKUP_SQL)
                    .bind::<Text, _>(&actor)
                    .bind::<Integer, _>(limit)
                    .get_result(conn)
                    .await?;
                let retry_after = u64::try_from(counted.retry_after.max(1)).unwrap_or(1);
                match counted.count {
                    // A bound of 0 still inserts a first row: refuse it too.
                    Some(n) if n <= limit => {
                        if n == 1 {
                            diesel::sql_query(FORGET_PAST_SQL)
                                .bind::<Text, _>(&actor)
                                .execute(conn)
                                .await?;
                        }
                        Ok(LookupAllowance::Counted(u32::try_from(n).unwrap_or(0)))
                    }
                    _ => {
                        append_access(conn, &limited).await?;
                        Ok(LookupAllowance::Limited { retry_after })
                    }
                }
            })
        })
        .await
    }
}
