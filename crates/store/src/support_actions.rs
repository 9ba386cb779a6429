//! What a support agent may do about a registration, each counted per
//! registration, action and day in the database (one statement, so every
//! admin replica sees the same count) and written to the access log in the
//! same transaction: re-send the email-verification link and re-send a
//! notification (replay requests: `support_replay.rs`).

use diesel::sql_types::{Bool, Date as SqlDate, Int4, Integer, Jsonb, Nullable, Text, Timestamptz};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use lonjak_domain::events::RankCursor;
use lonjak_domain::{RegistrationId, Wave};
use time::{Date, OffsetDateTime};

use crate::access_log::{AccessEntry, append_access};
use crate::email_verification::COUNT_RESEND_SQL;
use crate::selection_sql::{DERIVED_RANK, EDGE_JOIN};
use crate::{Store, StoreError};

/// One more of the day's actions, unless the limit is reached (no row).
const COUNT_ACTION_SQL: &str = "
INSERT INTO support_action_counts (registration_id, action, day, count) VALUES ($1, $2, $3, 1)
ON CONFLICT (registration_id, action, day) DO UPDATE
   SET count = support_action_counts.count + 1
   WHERE support_action_counts.count < $4
RETURNING count";

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Integer)]
    count: i32,
}

/// Counts one `action` on `id` for `day`; `None` when `limit` were counted.
pub(crate) async fn count_action(
    conn: &mut AsyncPgConnection,
    id: &str,
    action: &str,
    day: Date,
    limit: u32,
) -> Result<Option<u32>, StoreError> {
    let limit = i32::try_from(limit).unwrap_or(i32::MAX);
    let counted: Option<Counted> = diesel::sql_query(COUNT_ACTION_SQL)
        .bind::<Text, _>(id)
        .bind::<Text, _>(action)
        .bind::<SqlDate, _>(day)
        .bind::<Integer, _>(limit)
        .get_result(conn)
        .await
        .optional()?;
    Ok(counted.map(|c| u32::try_from(c.count).unwrap_or(u32::MAX)))
}

/// What an agent's request to re-send the verification link found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkResend {
    /// Counted: publish `email.verification_requested` with this sequence
    /// (the applicant's own requests share the numbering, so the notifier
    /// sends each once); `count` is the agents' count for the day.
    Send {
        sequence: u32,
        count: u32,
    },
    AlreadyVerified,
    Unknown,
    LimitReached,
}

/// Where a re-sent notification's event comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum ResendSource {
    /// The event the verifier wrote to the outbox, its payload as sent.
    Event {
        routing_key: String,
        payload: serde_json::Value,
    },
    /// A selection decision: a one-rank page of `selection.decided`, which
    /// the notifier fans out to this applicant alone.
    Decision {
        wave: Wave,
        rank: u32,
        decided_at: OffsetDateTime,
    },
    /// A waitlisted applicant ranked past the wave's decided prefix (no
    /// decision row): a one-rank page of the ranking, after the applicant
    /// just before them (`None`: they head the ranking).
    Ranked {
        wave: Wave,
        rank: u32,
        decided_at: OffsetDateTime,
        after: Option<RankCursor>,
    },
}

/// What an agent's request to re-send a notification found.
#[derive(Debug, Clone, PartialEq)]
pub enum NotificationResend {
    /// Counted (the day's `count`th) and reopened: publish the source to
    /// the channel's queue.
    Send {
        source: ResendSource,
        count: u32,
    },
    /// No such notification of this registration.
    Unknown,
    /// A notifier holds it now.
    InFlight,
    /// A verification link: re-sent as a new link, not a copy.
    VerificationLink,
    /// Nothing left to rebuild its event from.
    NoSource,
    LimitReached,
}

#[derive(QueryableByName)]
struct NoticeState {
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Bool)]
    busy: bool,
}

#[derive(QueryableByName)]
struct DecisionRow {
    #[diesel(sql_type = Int4)]
    wave_id: i32,
    #[diesel(sql_type = Int4)]
    rank: i32,
    #[diesel(sql_type = Text)]
    decision: String,
    #[diesel(sql_type = Timestamptz)]
    decided_at: OffsetDateTime,
}

#[derive(QueryableByName)]
struct OutboxRow {
    #[diesel(sql_type = Text)]
    routing_key: String,
    #[diesel(sql_type = Jsonb)]
    payload: serde_json::Value,
}

impl Store {
    /// Counts an agent's re-send of `id`'s verification link (at most
    /// `limit` a day) and logs `entry` with it, in one transaction.
    pub async fn support_resend_link(
        &self,
        id: &RegistrationId,
        day: Date,
        limit: u32,
        entry: &AccessEntry,
    ) -> Result<LinkResend, StoreError> {
        let key = id.to_string();
        self.transaction(|conn, _| {
            Box::pin(async move {
                #[derive(QueryableByName)]
                struct Verified {
                    #[diesel(sql_type = Nullable<Timestamptz>)]
                    at: Option<OffsetDateTime>,
                }
                let found: Option<Verified> = diesel::sql_query(
                    "SELECT email_verified_at AS at FROM registrations WHERE id = $1 FOR UPDATE",
                )
                .bind::<Text, _>(&key)
                .get_result(conn)
                .await
                .optional()?;
                match found {
                    None => return Ok(LinkResend::Unknown),
                    Some(Verified { at: Some(_) }) => return Ok(LinkResend::AlreadyVerified),
                    Some(_) => {}
                }
                let Some(count) =
                    count_action(conn, &key, "resend_verification_email", day, limit).await?
                else {
                    return Ok(LinkResend::LimitReached);
                };
                // The applicant's counter numbers the link; no applicant
                // limit applies to the desk (its own limit did).
                let sequence: Counted = diesel::sql_query(COUNT_RESEND_SQL)
                    .bind::<Text, _>(&key)
                    .bind::<SqlDate, _>(day)
                    .bind::<Integer, _>(i32::MAX)
                    .get_result(conn)
                    .await?;
                append_access(conn, entry).await?;
                Ok(LinkResend::Send {
                    sequence: u32::try_from(sequence.count).unwrap_or(u32::MAX),
                    count,
                })
            })
        })
        .await
    }

    /// Reopens notification (`id`, `event`, `channel`) for one more send
    /// (at most `limit` a day), finds the event to send it from, and logs
    /// `entry`, in one transaction.
    pub async fn support_resend_notification(
        &self,
        id: &RegistrationId,
        event: &str,
        channel: &str,
        day: Date,
        limit: u32,
        entry: &AccessEntry,
    ) -> Result<NotificationResend, StoreError> {
        let key = id.to_string();
        self.transaction(|conn, _| {
            Box::pin(async move {
                let found: Option<NoticeState> = diesel::sql_query(
                    "SELECT state, coalesce(claimed_until > now(), false) AS busy
                       FROM notifications
                      WHERE registration_id = $1 AND event = $2 AND channel = $3
                        FOR UPDATE",
                )
                .bind::<Text, _>(&key)
                .bind::<Text, _>(event)
                .bind::<Text, _>(channel)
                .get_result(conn)
                .await
                .optional()?;
                let Some(found) = found else {
                    return Ok(NotificationResend::Unknown);
                };
                if found.state == "claimed" && found.busy {
                    return Ok(NotificationResend::InFlight);
                }
                if event.starts_with("email_verification.") {
                    return Ok(NotificationResend::VerificationLink);
                }
                let Some(source) = resend_source(conn, &key, event).await? else {
                    return Ok(NotificationResend::NoSource);
                };
                let Some(count) =
                    count_action(conn, &key, "resend_notification", day, limit).await?
                else {
                    return Ok(NotificationResend::LimitReached);
                };
                // The notifier claims only what is pending: this one send
                // more is the desk's, counted and logged here.
                diesel::sql_query(
                    "UPDATE notifications SET state = 'pending', claimed_until = NULL
                      WHERE registration_id = $1 AND event = $2 AND channel = $3",
                )
                .bind::<Text, _>(&key)
                .bind::<Text, _>(event)
                .bind::<Text, _>(channel)
                .execute(conn)
                .await?;
                append_access(conn, entry).await?;
                Ok(NotificationResend::Send { source, count })
            })
        })
        .await
    }
}

/// The event notification `event` of `key` was first sent from: a
/// selection's decision for `selected`, `waitlisted` and a KK-cap
/// rejection; the verifier's outboxed event for `verified` and the other
/// rejections.
async fn resend_source(
    conn: &mut AsyncPgConnection,
    key: &str,
    event: &str,
) -> Result<Option<ResendSource>, StoreError> {
    let decision = match event {
        "selected" => Some("selected"),
        "waitlisted" => Some("waitlisted"),
        e if e.starts_with("rejected.") => Some("rejected"),
        _ => None,
    };
    if let Some(decision) = decision {
        let found: Option<DecisionRow> = diesel::sql_query(
            "SELECT d.wave_id, d.rank, d.decision, coalesce(w.selected_at, now()) AS decided_at
               FROM selection_decisions d JOIN waves w ON w.id = d.wave_id
              WHERE d.registration_id = $1 ORDER BY d.wave_id DESC LIMIT 1",
        )
        .bind::<Text, _>(key)
        .get_result(conn)
        .await
        .optional()?;
        if let Some(row) = found.filter(|row| row.decision == decision) {
            let wave = u32::try_from(row.wave_id)
                .ok()
                .and_then(|w| Wave::new(w).ok())
                .ok_or_else(|| StoreError::Decode(format!("wave {}", row.wave_id)))?;
            return Ok(Some(ResendSource::Decision {
                wave,
                rank: u32::try_from(row.rank).map_err(|_| StoreError::Decode("rank".to_owned()))?,
                decided_at: row.decided_at,
            }));
        }
    }
    if decision == Some("waitlisted")
        && let Some(ranked) = ranked_source(conn, key).await?
    {
        return Ok(Some(ranked));
    }
    let routing_key = match event {
        "verified" => "registration.verified",
        e if e.starts_with("rejected.") => "registration.rejected",
        _ => return Ok(None),
    };
    let found: Option<OutboxRow> = diesel::sql_query(
        "SELECT routing_key, envelope -> 'payload' AS payload FROM outbox
          WHERE registration_id = $1 AND routing_key = $2
          ORDER BY created_at DESC LIMIT 1",
    )
    .bind::<Text, _>(key)
    .bind::<Text, _>(routing_key)
    .get_result(conn)
    .await
    .optional()?;
    Ok(found.map(|row| ResendSource::Event {
        routing_key: row.routing_key,
        payload: row.payload,
    }))
}

#[derive(QueryableByName)]
struct RankedRow {
    #[diesel(sql_type = Int4)]
    wave_id: i32,
    #[diesel(sql_type = Int4)]
    rank: i32,
    #[diesel(sql_type = Timestamptz)]
    decided_at: OffsetDateTime,
    #[diesel(sql_type = Nullable<Int4>)]
    after_score: Option<i32>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    after_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Text>)]
    after_id: Option<String>,
}

/// A waitlisted applicant past the decided prefix (no decision row): their
/// derived rank and the applicant just before them in the ranking index.
async fn ranked_source(
    conn: &mut AsyncPgConnection,
    key: &str,
) -> Result<Option<ResendSource>, StoreError> {
    let sql = format!(
        r#"SELECT w.id AS wave_id, {DERIVED_RANK} AS rank,
                  coalesce(w.selected_at, now()) AS decided_at,
                  p.score AS after_score, p.submitted_at AS after_at, p.id AS after_id
             FROM registrations r JOIN waves w ON w.id = r.wave_id
             {EDGE_JOIN}
             LEFT JOIN LATERAL (
                 SELECT q.score, q.submitted_at, q.id FROM registrations q
                  WHERE q.wave_id = r.wave_id AND q.status = 'scored'
                    AND (-q.score, q.submitted_at, q.id COLLATE "C")
                        < (-r.score, r.submitted_at, r.id COLLATE "C")
                  ORDER BY -q.score DESC, q.submitted_at DESC, q.id COLLATE "C" DESC
                  LIMIT 1) p ON true
            WHERE r.id = $1 AND r.status = 'scored'
              AND w.state IN ('selected', 'announced') AND w.decided_prefix IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM selection_decisions d
                               WHERE d.registration_id = r.id AND d.wave_id = r.wave_id)"#
    );
    let found: Option<RankedRow> = diesel::sql_query(sql)
        .bind::<Text, _>(key)
        .get_result(conn)
        .await
        .optional()?;
    let Some(row) = found else {
        return Ok(None);
    };
    let wave = u32::try_from(row.wave_id)
        .ok()
        .and_then(|w| Wave::new(w).ok())
        .ok_or_else(|| StoreError::Decode(format!("wave {}", row.wave_id)))?;
    let after = match (row.after_score, row.after_at, row.after_id) {
        (Some(score), Some(submitted_at), Some(id)) => Some(RankCursor {
            score,
            submitted_at,
            id: RegistrationId::parse(&id)
                .map_err(|_| StoreError::Decode("registration id".to_owned()))?,
        }),
        _ => None,
    };
    Ok(Some(ResendSource::Ranked {
        wave,
        rank: u32::try_from(row.rank).map_err(|_| StoreError::Decode("rank".to_owned()))?,
        decided_at: row.decided_at,
        after,
    }))
}
