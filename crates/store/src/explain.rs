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
use crate::selection::EFFECTIVE_STATUS;
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

/// A waitlisted applicant's rank and decision time are in the wave's
/// decisions (their registration row stays `scored`); the look-up scans the
/// wave's decisions, fine for an operator's one applicant.
static EXPLAIN: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT r.wave_id, {EFFECTIVE_STATUS} AS status, r.reason, r.score, r.score_parts,
                coalesce(r.rank, d.rank) AS rank, r.submitted_at,
                coalesce(r.decided_at, CASE WHEN d.rank IS NOT NULL THEN w.selected_at END)
                    AS decided_at,
                r.rejoined_from
           FROM registrations r
           JOIN waves w ON w.id = r.wave_id
           LEFT JOIN selection_decisions d ON d.wave_id = r.wave_id AND d.registration_id = r.id
          WHERE r.id = $1"
    )
});
/// Transitions recorded in the history, plus the wave's waitlisting, which
/// is recorded in its decisions rather than as two million history rows.
const REACHED: &str = "\
SELECT h.to_status AS name, count(DISTINCT h.registration_id) AS n
  FROM status_history h JOIN registrations r ON r.id = h.registration_id
 WHERE r.wave_id = $1 AND h.to_status <> 'waitlisted' GROUP BY h.to_status
UNION ALL
SELECT 'waitlisted', count(*) FROM selection_decisions
 WHERE wave_id = $1 AND decision = 'waitlisted' HAVING count(*) > 0";
static NOW: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {EFFECTIVE_STATUS} AS name, count(*) AS n
           FROM registrations r JOIN waves w ON w.id = r.wave_id
          WHERE r.wave_id = $1 GROUP BY 1"
    )
});
const REASONS: &str = "\
SELECT reason AS name, count(*) AS n FROM registrations
 WHERE wave_id = $1 AND status = 'rejected' AND reason IS NOT NULL GROUP BY reason";

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
                    for query in [REACHED, NOW.as_str(), REASONS] {
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
