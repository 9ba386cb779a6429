//! The announcement of a selection: a cursor (`waves.announced_rank`)
//! advanced after each round of pages is confirmed by the broker, and the
//! decisions of a page of the decided prefix read back in rank order from
//! `selection_decisions` (by the notifier, which fans a page out per
//! applicant; pages past the prefix are read from the ranking,
//! crate::ranking). The decisions table and the ranking are the outbox here:
//! two million envelopes are not copied into another table.

use diesel::QueryableByName;
use diesel::sql_types::{Int4, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use lonjak_domain::events::{ScoreExplanation, ScorePart};
use lonjak_domain::{RegistrationId, RegistrationStatus, RejectionReason, Wave};
use time::OffsetDateTime;

use crate::registrations::{parse_reason, parse_status, wave_db_id};
use crate::{Store, StoreError};

/// One decided applicant, as announced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub id: RegistrationId,
    pub wave: Wave,
    pub status: RegistrationStatus,
    pub reason: Option<RejectionReason>,
    pub rank: u32,
    pub decided_at: OffsetDateTime,
    pub score: ScoreExplanation,
}

#[derive(QueryableByName)]
struct DecisionRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Int4)]
    rank: i32,
    #[diesel(sql_type = Timestamptz)]
    decided_at: OffsetDateTime,
    #[diesel(sql_type = Int4)]
    score: i32,
    #[diesel(sql_type = Jsonb)]
    score_parts: serde_json::Value,
}

const PAGE: &str = "\
SELECT d.registration_id AS id, d.decision AS status, d.reason, d.rank,
       w.selected_at AS decided_at, coalesce(r.score, 0) AS score,
       coalesce(r.score_parts, '[]'::jsonb) AS score_parts
  FROM (SELECT * FROM selection_decisions
         WHERE wave_id = $1 AND rank > $2
         ORDER BY rank LIMIT $3) d
  JOIN waves w ON w.id = d.wave_id
  JOIN registrations r ON r.id = d.registration_id
 ORDER BY d.rank";

pub(crate) fn explanation(
    score: i32,
    parts: serde_json::Value,
) -> Result<ScoreExplanation, StoreError> {
    let parts: Vec<ScorePart> = serde_json::from_value(parts)
        .map_err(|e| StoreError::Decode(format!("score parts: {e}")))?;
    Ok(ScoreExplanation {
        total: score,
        parts,
    })
}

impl Store {
    /// Up to `limit` decisions of `wave` ranked after `after_rank`, in rank
    /// order (keyset pagination on the decisions' `(wave_id, rank)` key; the
    /// page is limited before the join, or a planner without statistics on
    /// the fresh decisions joins every remaining one for each page).
    pub async fn decisions_after(
        &self,
        wave: Wave,
        after_rank: u32,
        limit: u32,
    ) -> Result<Vec<Decision>, StoreError> {
        let id = wave_db_id(wave)?;
        let after = i32::try_from(after_rank).unwrap_or(i32::MAX);
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        let rows: Vec<DecisionRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(PAGE)
                        .bind::<Int4, _>(id)
                        .bind::<Int4, _>(after)
                        .bind::<Int4, _>(limit)
                        .load(conn)
                        .await?)
                })
            })
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok(Decision {
                    id: RegistrationId::parse(&row.id)
                        .map_err(|_| StoreError::Decode("registration id".to_owned()))?,
                    wave,
                    status: parse_status(&row.status)?,
                    reason: row.reason.as_deref().map(parse_reason).transpose()?,
                    rank: u32::try_from(row.rank)
                        .map_err(|_| StoreError::Decode("rank".to_owned()))?,
                    decided_at: row.decided_at,
                    score: explanation(row.score, row.score_parts)?,
                })
            })
            .collect()
    }

    /// Records that every decision of `wave` up to `rank` is confirmed
    /// published. Never moves the cursor back (two announcers at once).
    pub async fn mark_announced(&self, wave: Wave, rank: u32) -> Result<(), StoreError> {
        let id = wave_db_id(wave)?;
        let rank = i32::try_from(rank).unwrap_or(i32::MAX);
        self.with_conn(|conn, _| {
            Box::pin(async move {
                diesel::sql_query(
                    "UPDATE waves SET announced_rank = $2 WHERE id = $1 AND announced_rank < $2",
                )
                .bind::<Int4, _>(id)
                .bind::<Int4, _>(rank)
                .execute(conn)
                .await?;
                Ok(())
            })
        })
        .await
    }

    /// Moves `wave` from `selected` to `announced` once its cursor has
    /// passed every ranked applicant; true if it is announced now.
    pub async fn finish_announcement(&self, wave: Wave) -> Result<bool, StoreError> {
        let id = wave_db_id(wave)?;
        self.with_conn(|conn, _| {
            Box::pin(async move {
                diesel::sql_query(
                    "UPDATE waves w SET state = 'announced'
                      WHERE w.id = $1 AND w.state = 'selected'
                        AND w.announced_rank
                            >= w.selected_count + w.waitlisted_count + w.kk_rejected_count",
                )
                .bind::<Int4, _>(id)
                .execute(conn)
                .await?;
                Ok(())
            })
        })
        .await?;
        Ok(self
            .wave(wave)
            .await?
            .is_some_and(|w| w.state == lonjak_domain::WaveState::Announced))
    }
}
