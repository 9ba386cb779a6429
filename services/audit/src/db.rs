//! Read-only queries against the pipeline's PostgreSQL database.
//!
//! Raw SQL through diesel's `sql_query` keeps the audit independent of the
//! store crate's Rust schema: it reads only the columns the contracts name, and
//! tolerates `status_history` or `outbox` not existing yet (they are then
//! treated as empty).

use std::time::Duration;

use diesel::sql_types::{Array, BigInt, Bool, Integer, Nullable, Text, Timestamptz};
use diesel::{QueryableByName, sql_query};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use time::OffsetDateTime;

use crate::classify::RecordFacts;

/// Upper bound for any single database round trip.
const QUERY_TIMEOUT: Duration = Duration::from_secs(60);

/// Why a database step failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DbError {
    #[error("could not connect to the database")]
    Connect(#[source] diesel::ConnectionError),
    #[error("query failed: {what}")]
    Query {
        what: &'static str,
        #[source]
        source: diesel::result::Error,
    },
    #[error("database did not answer within {0:?}: {1}")]
    Timeout(Duration, &'static str),
}

/// A registration row with what the audit derives from its history and outbox.
#[derive(Debug, Clone, QueryableByName)]
pub struct RecordRow {
    #[diesel(sql_type = Text)]
    pub id: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub submitted_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub updated_at: Option<OffsetDateTime>,
    #[diesel(sql_type = BigInt)]
    pub final_transitions: i64,
    /// When the registration first entered a final state, per `status_history`.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub final_at: Option<OffsetDateTime>,
    #[diesel(sql_type = BigInt)]
    pub max_repeated_transition: i64,
    #[diesel(sql_type = BigInt)]
    pub max_events_per_key: i64,
}

impl RecordRow {
    /// The facts the classification needs.
    pub fn facts(&self) -> RecordFacts {
        RecordFacts {
            id: self.id.clone(),
            status: self.status.clone(),
            reason: self.reason.clone(),
            final_transitions: self.final_transitions,
            max_repeated_transition: self.max_repeated_transition,
            max_events_per_key: self.max_events_per_key,
        }
    }
}

#[derive(QueryableByName)]
struct Present {
    #[diesel(sql_type = Bool)]
    present: bool,
}

/// Which optional tables exist, decided once per audit.
#[derive(Debug, Clone, Copy)]
pub struct Tables {
    pub status_history: bool,
    pub outbox: bool,
}

async fn bounded<T>(
    what: &'static str,
    fut: impl Future<Output = Result<T, diesel::result::Error>>,
) -> Result<T, DbError> {
    tokio::time::timeout(QUERY_TIMEOUT, fut)
        .await
        .map_err(|_| DbError::Timeout(QUERY_TIMEOUT, what))?
        .map_err(|source| DbError::Query { what, source })
}

/// Opens one connection (the audit is a single sequential reader).
pub async fn connect(url: &str) -> Result<AsyncPgConnection, DbError> {
    tokio::time::timeout(QUERY_TIMEOUT, AsyncPgConnection::establish(url))
        .await
        .map_err(|_| DbError::Timeout(QUERY_TIMEOUT, "connect"))?
        .map_err(DbError::Connect)
}

/// Finds out whether `status_history` and `outbox` exist.
pub async fn tables(conn: &mut AsyncPgConnection) -> Result<Tables, DbError> {
    let mut exists = async |name: &'static str| -> Result<bool, DbError> {
        let rows: Vec<Present> = bounded(
            "table lookup",
            sql_query("SELECT to_regclass($1) IS NOT NULL AS present")
                .bind::<Text, _>(name)
                .load(conn),
        )
        .await?;
        Ok(rows.into_iter().next().is_some_and(|r| r.present))
    };
    Ok(Tables {
        status_history: exists("status_history").await?,
        outbox: exists("outbox").await?,
    })
}

fn final_history_filter() -> &'static str {
    "h.registration_id = r.id AND h.to_status::text = ANY($2)"
}

/// Registrations of the wave that have reached a final state, and those
/// that have not yet: the cheap check polled while waiting for the drain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, QueryableByName)]
pub struct Progress {
    #[diesel(sql_type = BigInt)]
    pub finished: i64,
    #[diesel(sql_type = BigInt)]
    pub unfinished: i64,
    /// Finished registrations whose id is among `accepted`: the drain is
    /// over when every accepted id is here. A record stored without a 202
    /// (a publish whose confirm came too late) counts as finished but not
    /// here, so it cannot end the wait while an accepted one is in flight.
    #[diesel(sql_type = BigInt)]
    pub accepted_finished: i64,
}

/// Counts the wave's finished and unfinished registrations, and the
/// finished ones among `accepted`.
pub async fn progress(
    conn: &mut AsyncPgConnection,
    tables: Tables,
    wave: i32,
    finals: &[String],
    accepted: &[String],
) -> Result<Progress, DbError> {
    let history = if tables.status_history {
        format!(
            " OR EXISTS (SELECT 1 FROM status_history h WHERE {})",
            final_history_filter()
        )
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT count(*) FILTER (WHERE f) AS finished, count(*) FILTER (WHERE NOT f) AS unfinished, \
                count(*) FILTER (WHERE f AND a) AS accepted_finished \
         FROM (SELECT (r.status::text = ANY($2){history}) AS f, r.id = ANY($3) AS a \
               FROM registrations r WHERE r.wave_id = $1) w"
    );
    let rows: Vec<Progress> = bounded(
        "count finished",
        sql_query(sql)
            .bind::<Integer, _>(wave)
            .bind::<Array<Text>, _>(finals)
            .bind::<Array<Text>, _>(accepted)
            .load(conn),
    )
    .await?;
    Ok(rows.into_iter().next().unwrap_or(Progress {
        finished: 0,
        unfinished: 0,
        accepted_finished: 0,
    }))
}

/// Every registration row of the wave with its history and outbox facts.
pub async fn load_records(
    conn: &mut AsyncPgConnection,
    tables: Tables,
    wave: i32,
    finals: &[String],
) -> Result<Vec<RecordRow>, DbError> {
    // Aggregate history and outbox once for the wave and join, rather than a
    // correlated subquery per row: `outbox` has no full index on
    // `registration_id`, and a spike wave holds 100k+ registrations.
    // Per registration: final transitions, when the first happened, and the
    // most rows of any one (from, to) pair (a transition applied twice).
    let history = if tables.status_history {
        "SELECT t.registration_id, sum(t.c) FILTER (WHERE t.to_status = ANY($2)) AS n, \
                min(t.first_at) FILTER (WHERE t.to_status = ANY($2)) AS first_at, max(t.c) AS rep \
         FROM (SELECT h.registration_id, h.from_status::text AS from_status, \
                      h.to_status::text AS to_status, count(*) AS c, min(h.at) AS first_at \
               FROM status_history h WHERE h.registration_id IN (SELECT id FROM wave) \
               GROUP BY h.registration_id, h.from_status, h.to_status) t \
         GROUP BY t.registration_id"
    } else {
        "SELECT NULL::text AS registration_id, 0::bigint AS n, NULL::timestamptz AS first_at, \
                0::bigint AS rep WHERE cardinality($2::text[]) < 0"
    };
    let events = if tables.outbox {
        "SELECT k.registration_id, max(k.c) AS m FROM (SELECT o.registration_id, count(*) AS c \
         FROM outbox o WHERE o.registration_id IN (SELECT id FROM wave) \
         GROUP BY o.registration_id, o.routing_key) k GROUP BY k.registration_id"
    } else {
        "SELECT NULL::text AS registration_id, 0::bigint AS m WHERE false"
    };
    let sql = format!(
        "WITH wave AS (SELECT * FROM registrations WHERE wave_id = $1), \
              h AS ({history}), e AS ({events}) \
         SELECT r.id::text AS id, r.status::text AS status, r.reason::text AS reason, \
                r.submitted_at, r.updated_at, \
                coalesce(h.n, 0)::bigint AS final_transitions, h.first_at AS final_at, \
                coalesce(h.rep, 0) AS max_repeated_transition, \
                coalesce(e.m, 0) AS max_events_per_key \
         FROM wave r LEFT JOIN h ON h.registration_id = r.id LEFT JOIN e ON e.registration_id = r.id"
    );
    bounded(
        "load records",
        sql_query(sql)
            .bind::<Integer, _>(wave)
            .bind::<Array<Text>, _>(finals)
            .load(conn),
    )
    .await
}
