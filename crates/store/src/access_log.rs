//! The access log of the support desk: who looked at or acted on which
//! registration, when and why, and every refused admin request. The table
//! is append-only in the database (a trigger refuses UPDATE, DELETE and
//! TRUNCATE), so not even the admin API's own credentials can rewrite it.

use diesel::QueryableByName;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;

use crate::{Store, StoreError};

/// One entry to append. Never the looked-up value itself: its kind only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessEntry {
    /// The token holder's name; `-` when no valid token was presented.
    pub actor: String,
    /// `agent` or `operator`; `None` without a valid token.
    pub role: Option<String>,
    /// What was asked: `lookup`, `resend_verification_email`, …, or the
    /// method and route of a refused request.
    pub action: String,
    /// `nik`, `email` or `phone` for a look-up.
    pub lookup_kind: Option<String>,
    /// The registrations found or named.
    pub registration_ids: Vec<String>,
    pub reason: Option<String>,
    /// `ok`, `not_found`, `invalid`, `forbidden`, `unauthenticated`,
    /// `limited`, `conflict`, `failed`.
    pub outcome: String,
    /// A short, non-personal note (which rule refused it, how many found).
    pub detail: Option<String>,
}

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct AccessRecord {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Timestamptz)]
    pub at: OffsetDateTime,
    #[diesel(sql_type = Text)]
    pub actor: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub role: Option<String>,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub lookup_kind: Option<String>,
    #[diesel(sql_type = Array<Text>)]
    pub registration_ids: Vec<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
    #[diesel(sql_type = Text)]
    pub outcome: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub detail: Option<String>,
}

/// Which entries to read, newest first. Every filter is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccessFilter {
    pub actor: Option<String>,
    pub registration_id: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
    /// Only entries older than this id (the next page).
    pub before_id: Option<i64>,
    pub limit: u32,
}

const INSERT_SQL: &str = "\
INSERT INTO access_log (actor, role, action, lookup_kind, registration_ids, reason, outcome, detail)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

// NULL parameters switch their filter off: one statement, one plan shape.
const SELECT_SQL: &str = "\
SELECT id, at, actor, role, action, lookup_kind, registration_ids, reason, outcome, detail
  FROM access_log
 WHERE ($1::text IS NULL OR actor = $1)
   AND ($2::text IS NULL OR registration_ids @> ARRAY[$2::text])
   AND ($3::text IS NULL OR action = $3)
   AND ($4::text IS NULL OR outcome = $4)
   AND ($5::timestamptz IS NULL OR at >= $5)
   AND ($6::timestamptz IS NULL OR at < $6)
   AND ($7::bigint IS NULL OR id < $7)
 ORDER BY id DESC
 LIMIT $8";

/// Appends `entry` on `conn` (inside the caller's transaction when the
/// entry must commit with what it records).
pub async fn append_access(
    conn: &mut AsyncPgConnection,
    entry: &AccessEntry,
) -> Result<(), StoreError> {
    diesel::sql_query(INSERT_SQL)
        .bind::<Text, _>(&entry.actor)
        .bind::<Nullable<Text>, _>(entry.role.as_deref())
        .bind::<Text, _>(&entry.action)
        .bind::<Nullable<Text>, _>(entry.lookup_kind.as_deref())
        .bind::<Array<Text>, _>(&entry.registration_ids)
        .bind::<Nullable<Text>, _>(entry.reason.as_deref())
        .bind::<Text, _>(&entry.outcome)
        .bind::<Nullable<Text>, _>(entry.detail.as_deref())
        .execute(conn)
        .await?;
    Ok(())
}

impl Store {
    /// Appends one entry on its own.
    pub async fn log_access(&self, entry: &AccessEntry) -> Result<(), StoreError> {
        self.with_conn(|conn, _| Box::pin(append_access(conn, entry)))
            .await
    }

    /// Entries matching `filter`, newest first (at most 1,000).
    pub async fn access_log(&self, filter: &AccessFilter) -> Result<Vec<AccessRecord>, StoreError> {
        let limit = i32::try_from(filter.limit.clamp(1, 1_000)).unwrap_or(1_000);
        self.with_conn(|conn, _| {
            Box::pin(async move {
                Ok(diesel::sql_query(SELECT_SQL)
                    .bind::<Nullable<Text>, _>(filter.actor.as_deref())
                    .bind::<Nullable<Text>, _>(filter.registration_id.as_deref())
                    .bind::<Nullable<Text>, _>(filter.action.as_deref())
                    .bind::<Nullable<Text>, _>(filter.outcome.as_deref())
                    .bind::<Nullable<Timestamptz>, _>(filter.since)
                    .bind::<Nullable<Timestamptz>, _>(filter.until)
                    .bind::<Nullable<BigInt>, _>(filter.before_id)
                    .bind::<Integer, _>(limit)
                    .load(conn)
                    .await?)
            })
        })
        .await
    }
}
