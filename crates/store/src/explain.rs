//! What operators ask about applicants: one applicant's score explained,
//! and a wave's funnel from received to decided.

use std::sync::LazyLock;

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Int4, Jsonb, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use lonjak_domain::events::ScoreExplanation;
use lonjak_domain::{RegistrationId, RegistrationStatus, RejectionReason, Wave};
use time::OffsetDateTime;

use crate::announce::explanation;
use crate::registrations::{parse_reason, parse_status, wave_db_id};
use crate::selection_sql::{DERIVED_RANK, EDGE_JOIN, EFFECTIVE_REASON, EFFECTIVE_STATUS};
use crate::{Store, StoreError};

/// One applicant's standing and why (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub id: RegistrationId,
    pub wave: u32,
    pub status: RegistrationStatus,
    pub reason: Option<RejectionReason>,
    pub score: Option<ScoreExplanation>,
    pub rank: Option<u32>,
    pub submitted_at: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
    pub rejoined_from: Option<u32>,
}

/// A wave's funnel: how many registrations ever reached each state, and how
/// many are in each state now (rejections by reason).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Funnel {
    pub reached: Vec<(RegistrationStatus, u64)>,
    pub now: Vec<(RegistrationStatus, u64)>,
    pub rejected: Vec<(RejectionReason, u64)>,
}

#[derive(QueryableByName)]
struct ExplainRow {
    #[diesel(sql_type = Int4)]
    wave_id: i32,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Nullable<Int4>)]
    score: Option<i32>,
    #[diesel(sql_type = Nullable<Jsonb>)]
    score_parts: Option<serde_json::Value>,
    #[diesel(sql_type = Nullable<Int4>)]
    rank: Option<i32>,
    #[diesel(sql_type = Timestamptz)]
    submitted_at: OffsetDateTime,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    decided_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Nullable<Int4>)]
    rejoined_from: Option<i32>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Selection leaves its applicants' rows `scored`: their decision (and its
/// rank) is a row of the wave's decisions, or they are waitlisted past the
/// decided prefix, ranked by their place in the ranking index.
static EXPLAIN: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT r.wave_id, {EFFECTIVE_STATUS} AS status, {EFFECTIVE_REASON} AS reason,
                r.score, r.score_parts,
                coalesce(r.rank, d.rank, {DERIVED_RANK}) AS rank, r.submitted_at,
                coalesce(r.decided_at, CASE WHEN r.status = 'scored'
                    AND w.state IN ('selected', 'announced') THEN w.selected_at END)
                    AS decided_at,
                r.rejoined_from
           FROM registrations r
           JOIN waves w ON w.id = r.wave_id
           LEFT JOIN selection_decisions d ON d.wave_id = r.wave_id AND d.registration_id = r.id
           {EDGE_JOIN}
          WHERE r.id = $1"
    )
});
/// Transitions recorded in the history, plus the selection's outcomes,
/// which are its wave's counts rather than two million history rows (a
/// wave selected before decision prefixes has history rows for its selected
/// and KK-rejected: those are left out here, its counts say the same).
const REACHED: &str = "\
SELECT name, sum(n)::int8 AS n FROM (
    SELECT h.to_status AS name, count(DISTINCT h.registration_id) AS n
      FROM status_history h JOIN registrations r ON r.id = h.registration_id
     WHERE r.wave_id = $1 AND h.to_status NOT IN ('selected', 'waitlisted')
       AND NOT (h.to_status = 'rejected' AND h.reason IS NOT DISTINCT FROM 'kk_cap_reached')
     GROUP BY h.to_status
    UNION ALL
    SELECT s.name, s.n FROM waves w,
           LATERAL (VALUES ('selected', w.selected_count::int8),
                           ('waitlisted', w.waitlisted_count::int8),
                           ('rejected', w.kk_rejected_count::int8)) s(name, n)
     WHERE w.id = $1 AND w.state IN ('selected', 'announced') AND s.n > 0
) x GROUP BY name";
/// States now: a `scored` row of a selected wave stands for its decision
/// (one hash join with the wave's decisions), or waitlisted.
const NOW: &str = "\
SELECT CASE WHEN r.status = 'scored' AND w.state IN ('selected', 'announced')
            THEN coalesce(d.decision, 'waitlisted') ELSE r.status END AS name, count(*) AS n
  FROM registrations r JOIN waves w ON w.id = r.wave_id
  LEFT JOIN selection_decisions d ON d.wave_id = r.wave_id AND d.registration_id = r.id
 WHERE r.wave_id = $1 GROUP BY 1";
const REASONS: &str = "\
SELECT name, sum(n)::int8 AS n FROM (
    SELECT reason AS name, count(*) AS n FROM registrations
     WHERE wave_id = $1 AND status = 'rejected' AND reason IS NOT NULL GROUP BY reason
    UNION ALL
    SELECT d.reason, count(*) FROM selection_decisions d
      JOIN registrations r ON r.id = d.registration_id AND r.wave_id = d.wave_id
     WHERE d.wave_id = $1 AND d.decision = 'rejected' AND r.status = 'scored'
     GROUP BY d.reason
) x GROUP BY name";

fn to_u32(value: i32, what: &str) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|_| StoreError::Decode(what.to_owned()))
}

impl Store {
    /// The applicant's score, its parts, rank and decision, if stored.
    pub async fn explain(&self, id: &RegistrationId) -> Result<Option<Explanation>, StoreError> {
        let key = id.to_string();
        let row: Option<ExplainRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    let rows: Vec<ExplainRow> = diesel::sql_query(EXPLAIN.as_str())
                        .bind::<Text, _>(key)
                        .load(conn)
                        .await?;
                    Ok(rows.into_iter().next())
                })
            })
            .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let score = match (row.score, row.score_parts) {
            (Some(score), Some(parts)) => Some(explanation(score, parts)?),
            _ => None,
        };
        Ok(Some(Explanation {
            id: *id,
            wave: to_u32(row.wave_id, "wave")?,
            status: parse_status(&row.status)?,
            reason: row.reason.as_deref().map(parse_reason).transpose()?,
            score,
            rank: row.rank.map(|r| to_u32(r, "rank")).transpose()?,
            submitted_at: row.submitted_at,
            decided_at: row.decided_at,
            rejoined_from: row.rejoined_from.map(|w| to_u32(w, "wave")).transpose()?,
        }))
    }

    /// The funnel of `wave`, states in pipeline order.
    pub async fn funnel(&self, wave: Wave) -> Result<Funnel, StoreError> {
        let id = wave_db_id(wave)?;
        let (reached, now, reasons) = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    let mut out = Vec::new();
                    for query in [REACHED, NOW, REASONS] {
                        let rows: Vec<Count> = diesel::sql_query(query)
                            .bind::<Int4, _>(id)
                            .load(conn)
                            .await?;
                        out.push(rows);
                    }
                    let reasons = out.pop().unwrap_or_default();
                    let now = out.pop().unwrap_or_default();
                    let reached = out.pop().unwrap_or_default();
                    Ok((reached, now, reasons))
                })
            })
            .await?;
        let by_status = |rows: Vec<Count>| -> Result<Vec<(RegistrationStatus, u64)>, StoreError> {
            let mut parsed = rows
                .into_iter()
                .map(|c| Ok((parse_status(&c.name)?, u64::try_from(c.n).unwrap_or(0))))
                .collect::<Result<Vec<_>, StoreError>>()?;
            parsed.sort_by_key(|(status, _)| {
                RegistrationStatus::ALL.iter().position(|s| s == status)
            });
            Ok(parsed)
        };
        let mut rejected = reasons
            .into_iter()
            .map(|c| Ok((parse_reason(&c.name)?, u64::try_from(c.n).unwrap_or(0))))
            .collect::<Result<Vec<_>, StoreError>>()?;
        rejected.sort_by_key(|(reason, _)| RejectionReason::ALL.iter().position(|r| r == reason));
        Ok(Funnel {
            reached: by_status(reached)?,
            now: by_status(now)?,
            rejected,
        })
    }
}
