//! Reading a selected wave's ranking past its decided prefix: the
//! announcement's pages there are ranges of the ranking index, named by the
//! applicant just before each (a [`RankCursor`]), and read back by the
//! notifier as one index range scan per page, each applicant's rank the
//! page's first rank plus their place on it.

use std::sync::LazyLock;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Int4, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use lonjak_domain::events::RankCursor;
use lonjak_domain::{RegistrationId, RegistrationStatus, Wave};
use time::OffsetDateTime;

use crate::announce::{Decision, explanation};
use crate::registrations::{parse_reason, wave_db_id};
use crate::selection_sql::{KEY, ORDER};
use crate::{Store, StoreError};

/// What an announcement of a wave covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SelectionPlan {
    /// Ranks 1 to this are rows of the wave's decisions.
    pub decided_through: u32,
    /// The last rank; those past `decided_through` are read from the
    /// ranking.
    pub last_rank: u32,
}

#[derive(QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = Nullable<Int4>)]
    prefix: Option<i32>,
    #[diesel(sql_type = BigInt)]
    last_decided: i64,
    #[diesel(sql_type = BigInt)]
    ranked: i64,
}

#[derive(QueryableByName)]
struct CursorRow {
    #[diesel(sql_type = Int4)]
    score: i32,
    #[diesel(sql_type = Timestamptz)]
    submitted_at: OffsetDateTime,
    #[diesel(sql_type = Text)]
    id: String,
}

impl CursorRow {
    fn cursor(self) -> Result<RankCursor, StoreError> {
        Ok(RankCursor {
            score: self.score,
            submitted_at: self.submitted_at,
            id: RegistrationId::parse(&self.id)
                .map_err(|_| StoreError::Decode("registration id".to_owned()))?,
        })
    }
}

#[derive(QueryableByName)]
struct EntryRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    decided_at: OffsetDateTime,
    #[diesel(sql_type = Int4)]
    score: i32,
    #[diesel(sql_type = Jsonb)]
    score_parts: serde_json::Value,
}

/// The wave's applicants after a cursor (`$2..$4`; a cursor before anyone
/// when absent), in ranking order.
fn after(select: &str, tail: &str) -> String {
    format!(
        r#"SELECT {select} FROM registrations r
            WHERE r.wave_id = $1 AND r.status = 'scored'
              AND {KEY} > (coalesce(-$2::int4, -2147483647), coalesce($3, '-infinity'),
                           coalesce($4, '') COLLATE "C")
            ORDER BY {ORDER} {tail}"#
    )
}

/// Every `$5`-th applicant after the cursor, up to `$6` of them: the last
/// of each full page (numbered as the index walk streams, no sort).
static MARKS: LazyLock<String> = LazyLock::new(|| {
    let inner = after(
        &format!("r.score, r.submitted_at, r.id, row_number() OVER (ORDER BY {ORDER}) AS n"),
        "LIMIT $5 * $6",
    );
    format!("SELECT score, submitted_at, id FROM ({inner}) x WHERE n % $5 = 0 ORDER BY n")
});

/// The `$5`-th applicant after the cursor.
static NTH: LazyLock<String> =
    LazyLock::new(|| after("r.score, r.submitted_at, r.id", "OFFSET $5 - 1 LIMIT 1"));

/// A page of the ranking: up to `$5` applicants after the cursor, each with
/// the decision row that rejects them, if any, in a selected wave.
static PAGE: LazyLock<String> = LazyLock::new(|| {
    let inner = after("r.id, r.score, r.score_parts, r.submitted_at", "LIMIT $5");
    format!(
        r#"SELECT p.id, d.reason, w.selected_at AS decided_at, p.score, p.score_parts
             FROM ({inner}) p
             JOIN waves w ON w.id = $1 AND w.state IN ('selected', 'announced')
             LEFT JOIN selection_decisions d
                    ON d.registration_id = p.id AND d.wave_id = $1 AND d.decision = 'rejected'
            ORDER BY -p.score, p.submitted_at, p.id COLLATE "C""#
    )
});

fn cursor_binds(
    after: Option<&RankCursor>,
) -> (Option<i32>, Option<OffsetDateTime>, Option<String>) {
    match after {
        Some(c) => (Some(c.score), Some(c.submitted_at), Some(c.id.to_string())),
        None => (None, None, None),
    }
}

impl Store {
    /// Which ranks of `wave` are decision rows and which are read from the
    /// ranking (a wave selected before decided prefixes has rows for all).
    pub async fn selection_plan(&self, wave: Wave) -> Result<SelectionPlan, StoreError> {
        let id = wave_db_id(wave)?;
        let row: PlanRow = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(
                        "SELECT w.decided_prefix AS prefix,
                                coalesce((SELECT max(rank) FROM selection_decisions
                                           WHERE wave_id = w.id), 0)::int8 AS last_decided,
                                (w.selected_count + w.waitlisted_count
                                 + w.kk_rejected_count)::int8 AS ranked
                           FROM waves w WHERE w.id = $1",
                    )
                    .bind::<Int4, _>(id)
                    .get_result(conn)
                    .await?)
                })
            })
            .await?;
        let rank = |v: i64| u32::try_from(v).map_err(|_| StoreError::Decode("rank".to_owned()));
        Ok(match row.prefix {
            Some(prefix) => SelectionPlan {
                decided_through: rank(i64::from(prefix))?,
                last_rank: rank(row.ranked)?,
            },
            None => SelectionPlan {
                decided_through: rank(row.last_decided)?,
                last_rank: rank(row.last_decided)?,
            },
        })
    }

    /// The applicant at `rank` of `wave`, as a cursor for the ranking
    /// pages after it: a decision row's applicant within the decided prefix
    /// (`decided_through`), the ranking's after it; `None` for rank 0.
    pub async fn rank_cursor(
        &self,
        wave: Wave,
        plan: SelectionPlan,
        rank: u32,
    ) -> Result<Option<RankCursor>, StoreError> {
        if rank == 0 {
            return Ok(None);
        }
        let id = wave_db_id(wave)?;
        let edge = rank.min(plan.decided_through);
        let edge_cursor: Option<CursorRow> = if edge == 0 {
            None
        } else {
            let edge = i32::try_from(edge).unwrap_or(i32::MAX);
            self.with_conn(|conn, _| {
                Box::pin(async move {
                    let rows: Vec<CursorRow> = diesel::sql_query(
                        "SELECT r.score, r.submitted_at, r.id FROM selection_decisions d
                           JOIN registrations r ON r.id = d.registration_id
                          WHERE d.wave_id = $1 AND d.rank = $2",
                    )
                    .bind::<Int4, _>(id)
                    .bind::<Int4, _>(edge)
                    .load(conn)
                    .await?;
                    Ok(rows.into_iter().next())
                })
            })
            .await?
        };
        let edge_cursor = edge_cursor.map(CursorRow::cursor).transpose()?;
        if rank <= plan.decided_through {
            return Ok(edge_cursor);
        }
        let (score, at, key) = cursor_binds(edge_cursor.as_ref());
        let offset = i64::from(rank - plan.decided_through);
        let row: Option<CursorRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    let rows: Vec<CursorRow> = diesel::sql_query(NTH.as_str())
                        .bind::<Int4, _>(id)
                        .bind::<Nullable<Int4>, _>(score)
                        .bind::<Nullable<Timestamptz>, _>(at)
                        .bind::<Nullable<Text>, _>(key)
                        .bind::<BigInt, _>(offset)
                        .load(conn)
                        .await?;
                    Ok(rows.into_iter().next())
                })
            })
            .await?;
        row.map(CursorRow::cursor).transpose()
    }

    /// The last applicant of each of the next `pages` full pages of `page`
    /// applicants of `wave`'s ranking after `after` (one index-only range);
    /// fewer where the ranking ends.
    pub async fn ranking_marks(
        &self,
        wave: Wave,
        after: Option<&RankCursor>,
        page: u32,
        pages: u32,
    ) -> Result<Vec<RankCursor>, StoreError> {
        let id = wave_db_id(wave)?;
        let (score, at, key) = cursor_binds(after);
        let rows: Vec<CursorRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(MARKS.as_str())
                        .bind::<Int4, _>(id)
                        .bind::<Nullable<Int4>, _>(score)
                        .bind::<Nullable<Timestamptz>, _>(at)
                        .bind::<Nullable<Text>, _>(key)
                        .bind::<BigInt, _>(i64::from(page.max(1)))
                        .bind::<BigInt, _>(i64::from(pages))
                        .load(conn)
                        .await?)
                })
            })
            .await?;
        rows.into_iter().map(CursorRow::cursor).collect()
    }

    /// Up to `limit` applicants of `wave`'s ranking after `after`, ranked
    /// from `first_rank`: waitlisted, or rejected where a decision says so.
    /// Empty unless the wave is selected.
    pub async fn ranking_page(
        &self,
        wave: Wave,
        after: Option<&RankCursor>,
        first_rank: u32,
        limit: u32,
    ) -> Result<Vec<Decision>, StoreError> {
        let id = wave_db_id(wave)?;
        let (score, at, key) = cursor_binds(after);
        let rows: Vec<EntryRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(PAGE.as_str())
                        .bind::<Int4, _>(id)
                        .bind::<Nullable<Int4>, _>(score)
                        .bind::<Nullable<Timestamptz>, _>(at)
                        .bind::<Nullable<Text>, _>(key)
                        .bind::<BigInt, _>(i64::from(limit))
                        .load(conn)
                        .await?)
                })
            })
            .await?;
        (first_rank..)
            .zip(rows)
            .map(|(rank, row)| {
                let reason = row.reason.as_deref().map(parse_reason).transpose()?;
                Ok(Decision {
                    id: RegistrationId::parse(&row.id)
                        .map_err(|_| StoreError::Decode("registration id".to_owned()))?,
                    wave,
                    status: if reason.is_some() {
                        RegistrationStatus::Rejected
                    } else {
                        RegistrationStatus::Waitlisted
                    },
                    reason,
                    rank,
                    decided_at: row.decided_at,
                    score: explanation(row.score, row.score_parts)?,
                })
            })
            .collect()
    }
}
