//! Replay requests: an agent asks an operator to replay a registration's
//! dead letters (one open request per registration, counted per day like
//! every desk action); operators list them and close each as replayed or
//! declined. Filing and closing commit with their access-log entry.

use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::RunQueryDsl;
use lonjak_domain::RegistrationId;
use time::{Date, OffsetDateTime};

use crate::access_log::{AccessEntry, append_access};
use crate::error::is_unique_violation;
use crate::support_actions::count_action;
use crate::{Store, StoreError};

/// A request that an operator replay a registration's dead letters.
#[derive(Debug, Clone, PartialEq, Eq, QueryableByName)]
pub struct ReplayRequest {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub registration_id: String,
    #[diesel(sql_type = Text)]
    pub requested_by: String,
    #[diesel(sql_type = Text)]
    pub reason: String,
    #[diesel(sql_type = Timestamptz)]
    pub requested_at: OffsetDateTime,
    /// `open`, `replayed` or `declined`.
    #[diesel(sql_type = Text)]
    pub state: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub handled_by: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub handled_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    pub note: Option<String>,
}

/// What filing a replay request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayFiled {
    Filed(ReplayRequest),
    /// One is open for this registration already.
    AlreadyOpen(ReplayRequest),
    LimitReached,
}

/// What closing a replay request did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplayClosed {
    Closed(ReplayRequest),
    NotFound,
    /// Closed before (its state).
    NotOpen(String),
}

const REQUEST_COLUMNS: &str =
    "id, registration_id, requested_by, reason, requested_at, state, handled_by, handled_at, note";

impl Store {
    /// Files a replay request for `id` (at most `limit` a day), logging
    /// `entry` with it.
    pub async fn file_replay_request(
        &self,
        id: &RegistrationId,
        by: &str,
        reason: &str,
        day: Date,
        limit: u32,
        entry: &AccessEntry,
    ) -> Result<ReplayFiled, StoreError> {
        let key = id.to_string();
        self.transaction(|conn, _| {
            Box::pin(async move {
                let open: Option<ReplayRequest> = diesel::sql_query(format!(
                    "SELECT {REQUEST_COLUMNS} FROM replay_requests
                      WHERE registration_id = $1 AND state = 'open' FOR UPDATE"
                ))
                .bind::<Text, _>(&key)
                .get_result(conn)
                .await
                .optional()?;
                if let Some(open) = open {
                    return Ok(ReplayFiled::AlreadyOpen(open));
                }
                if count_action(conn, &key, "replay_request", day, limit)
                    .await?
                    .is_none()
                {
                    return Ok(ReplayFiled::LimitReached);
                }
                // Two agents at once: the unique index lets one in; the
                // other's transaction fails and is answered as a conflict.
                let filed: ReplayRequest = diesel::sql_query(format!(
                    "INSERT INTO replay_requests (registration_id, requested_by, reason)
                     VALUES ($1, $2, $3) RETURNING {REQUEST_COLUMNS}"
                ))
                .bind::<Text, _>(&key)
                .bind::<Text, _>(by)
                .bind::<Text, _>(reason)
                .get_result(conn)
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        StoreError::Conflict
                    } else {
                        e.into()
                    }
                })?;
                append_access(conn, entry).await?;
                Ok(ReplayFiled::Filed(filed))
            })
        })
        .await
    }

    /// Replay requests, oldest first; only those in `state` when given.
    pub async fn replay_requests(
        &self,
        state: Option<&str>,
        limit: u32,
    ) -> Result<Vec<ReplayRequest>, StoreError> {
        let limit = i32::try_from(limit.clamp(1, 1_000)).unwrap_or(1_000);
        self.with_conn(|conn, _| {
            Box::pin(async move {
                Ok(diesel::sql_query(format!(
                    "SELECT {REQUEST_COLUMNS} FROM replay_requests
                      WHERE ($1::text IS NULL OR state = $1) ORDER BY id LIMIT $2"
                ))
                .bind::<Nullable<Text>, _>(state)
                .bind::<Integer, _>(limit)
                .load(conn)
                .await?)
            })
        })
        .await
    }

    /// Closes an open replay request as `state` (`replayed` or `declined`)
    /// and logs `entry`, in one transaction.
    pub async fn close_replay_request(
        &self,
        request: i64,
        state: &str,
        by: &str,
        note: Option<&str>,
        entry: &AccessEntry,
    ) -> Result<ReplayClosed, StoreError> {
        self.transaction(|conn, _| {
            Box::pin(async move {
                let found: Option<ReplayRequest> = diesel::sql_query(format!(
                    "SELECT {REQUEST_COLUMNS} FROM replay_requests WHERE id = $1 FOR UPDATE"
                ))
                .bind::<diesel::sql_types::BigInt, _>(request)
                .get_result(conn)
                .await
                .optional()?;
                match found {
                    None => return Ok(ReplayClosed::NotFound),
                    Some(r) if r.state != "open" => return Ok(ReplayClosed::NotOpen(r.state)),
                    Some(_) => {}
                }
                let closed: ReplayRequest = diesel::sql_query(format!(
                    "UPDATE replay_requests
                        SET state = $2, handled_by = $3, handled_at = now(), note = $4
                      WHERE id = $1 RETURNING {REQUEST_COLUMNS}"
                ))
                .bind::<diesel::sql_types::BigInt, _>(request)
                .bind::<Text, _>(state)
                .bind::<Text, _>(by)
                .bind::<Nullable<Text>, _>(note)
                .get_result(conn)
                .await?;
                append_access(conn, entry).await?;
                Ok(ReplayClosed::Closed(closed))
            })
        })
        .await
    }
}
