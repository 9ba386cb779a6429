//! Wave selection, inside PostgreSQL and set-based: one statement ranks
//! every scored applicant of the wave with window functions, honours the KK
//! cap, and decides everyone at once, with their history rows, in the same
//! transaction that marks the wave `selected`. A crash anywhere before the
//! commit leaves nothing behind; a run on a wave already selected changes
//! nothing.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Int4, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use lonjak_domain::eligibility::KK_LIFETIME_CAP;
use lonjak_domain::{Wave, WaveState};

use crate::registrations::wave_db_id;
use crate::waves::WaveChangeError;
use crate::{Store, StoreError};

/// How many applicants a selection decided, per decision.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SelectionCounts {
    pub selected: u64,
    pub waitlisted: u64,
    /// Rejected because their KK reached its lifetime cap.
    pub rejected: u64,
}

/// What `select` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SelectionOutcome {
    /// This run decided the wave.
    Decided(SelectionCounts),
    /// An earlier run had: nothing changed; its counts.
    AlreadyDecided(SelectionCounts),
}

/// Ranking: highest score, earliest submission, smallest id (byte order of
/// the hex ids, hence `COLLATE "C"`), exactly `lonjak_domain::eligibility::rank_order`.
/// `prior` is what the KK had selected in other waves; a member may be
/// selected while the KK's count stays within the cap; those past it are
/// rejected once the KK is full, waitlisted while it is not (they ranked
/// below the quota anyway).
const DECIDE: &str = r#"
WITH prior AS (
    SELECT kk_hash, count(*) AS n FROM registrations
     WHERE status = 'selected' AND wave_id <> $1
     GROUP BY kk_hash
), ordered AS (
    SELECT r.id, r.kk_hash, coalesce(p.n, 0) AS prior,
           row_number() OVER (ORDER BY r.score DESC, r.submitted_at, r.id COLLATE "C") AS place,
           row_number() OVER (PARTITION BY r.kk_hash
                              ORDER BY r.score DESC, r.submitted_at, r.id COLLATE "C") AS in_kk
      FROM registrations r LEFT JOIN prior p ON p.kk_hash = r.kk_hash
     WHERE r.wave_id = $1 AND r.status = 'scored'
), seated AS (
    SELECT o.*, o.in_kk + o.prior <= $3 AS may,
           sum((o.in_kk + o.prior <= $3)::int)
               OVER (ORDER BY o.place ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS seat
      FROM ordered o
), decided AS (
    SELECT s.*, (s.may AND s.seat <= $2) AS chosen,
           count(*) FILTER (WHERE s.may AND s.seat <= $2) OVER (PARTITION BY s.kk_hash) AS kk_now
      FROM seated s
), moved AS (
    UPDATE registrations r
       SET status = CASE WHEN d.chosen THEN 'selected'
                         WHEN NOT d.may AND d.prior + d.kk_now >= $3 THEN 'rejected'
                         ELSE 'waitlisted' END,
           reason = CASE WHEN NOT d.chosen AND NOT d.may AND d.prior + d.kk_now >= $3
                         THEN 'kk_cap_reached' END,
           rank = d.place::int,
           decided_at = now(),
           updated_at = now()
      FROM decided d
     WHERE r.id = d.id AND r.status = 'scored'
    RETURNING r.id, r.status, r.reason
), history AS (
    INSERT INTO status_history (registration_id, from_status, to_status, reason)
    SELECT id, 'scored', status, reason FROM moved
)
SELECT status, count(*) AS n FROM moved GROUP BY status"#;

const COUNTS: &str = "\
SELECT status, count(*) AS n FROM registrations
 WHERE wave_id = $1 AND rank IS NOT NULL GROUP BY status";

#[derive(QueryableByName)]
struct StatusCount {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct LockedWave {
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Int4)]
    quota: i32,
}

fn tally(rows: Vec<StatusCount>) -> SelectionCounts {
    let mut counts = SelectionCounts::default();
    for row in rows {
        let n = u64::try_from(row.n).unwrap_or(0);
        match row.status.as_str() {
            "selected" => counts.selected += n,
            "waitlisted" => counts.waitlisted += n,
            "rejected" => counts.rejected += n,
            _ => {}
        }
    }
    counts
}

/// Where a run stops: all the way, or (tests) after deciding, before the
/// commit, as a crash there would.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    Commit,
    AbortBeforeCommit,
}

impl Store {
    /// Every decision selections have made, all waves together: the
    /// `lonjak_selection_decisions_total` counter.
    pub async fn selection_totals(&self) -> Result<SelectionCounts, StoreError> {
        #[derive(QueryableByName)]
        struct Totals {
            #[diesel(sql_type = BigInt)]
            selected: i64,
            #[diesel(sql_type = BigInt)]
            waitlisted: i64,
            #[diesel(sql_type = BigInt)]
            rejected: i64,
        }
        let totals: Totals = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(
                        "SELECT coalesce(sum(selected_count), 0)::int8 AS selected,
                                coalesce(sum(waitlisted_count), 0)::int8 AS waitlisted,
                                coalesce(sum(kk_rejected_count), 0)::int8 AS rejected
                           FROM waves",
                    )
                    .get_result(conn)
                    .await?)
                })
            })
            .await?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(SelectionCounts {
            selected: n(totals.selected),
            waitlisted: n(totals.waitlisted),
            rejected: n(totals.rejected),
        })
    }

    /// Selects wave `wave`: ranks its scored applicants, marks the top
    /// `quota` (within the KK cap) selected, the rest waitlisted (or
    /// rejected for the KK cap), and moves the wave `closed → selected`, in
    /// one transaction. `work_mem` is the sort memory PostgreSQL may use for
    /// it (e.g. `"256MB"`); `None` keeps the server's.
    pub async fn select_wave(
        &self,
        wave: Wave,
        work_mem: Option<&str>,
    ) -> Result<SelectionOutcome, WaveChangeError> {
        self.select(wave, work_mem, Stop::Commit).await
    }

    /// [`Store::select_wave`] that rolls back after deciding everything, as a
    /// crash before the commit would (crash tests).
    #[cfg(feature = "testing")]
    pub async fn select_wave_and_crash(&self, wave: Wave) -> Result<(), WaveChangeError> {
        match self.select(wave, None, Stop::AbortBeforeCommit).await {
            Err(WaveChangeError::Store(StoreError::Conflict)) => Ok(()),
            Err(other) => Err(other),
            Ok(_) => Err(StoreError::Decode("the aborted selection committed".to_owned()).into()),
        }
    }

    async fn select(
        &self,
        wave: Wave,
        work_mem: Option<&str>,
        stop: Stop,
    ) -> Result<SelectionOutcome, WaveChangeError> {
        let id = wave_db_id(wave)?;
        let work_mem = work_mem.map(sanitise_memory).transpose()?;
        let outcome = self
            .transaction(|conn, _| {
                Box::pin(async move { select_in(conn, id, work_mem.as_deref(), stop).await })
            })
            .await;
        match outcome {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(state)) => match state {
                None => Err(WaveChangeError::NotFound(wave)),
                Some(from) => Err(lonjak_domain::InvalidWaveTransition {
                    from,
                    to: WaveState::Selected,
                }
                .into()),
            },
            Err(e) => Err(e.into()),
        }
    }
}

/// `Ok(Err(state))` when the wave is missing (`None`) or in a state selection
/// cannot start from.
async fn select_in(
    conn: &mut AsyncPgConnection,
    id: i32,
    work_mem: Option<&str>,
    stop: Stop,
) -> Result<Result<SelectionOutcome, Option<WaveState>>, StoreError> {
    // The row lock serialises concurrent runs: the second sees `selected`.
    let locked: Option<LockedWave> =
        diesel::sql_query("SELECT state, quota FROM waves WHERE id = $1 FOR UPDATE")
            .bind::<Int4, _>(id)
            .get_result(conn)
            .await
            .map(Some)
            .or_else(|e| match e {
                diesel::result::Error::NotFound => Ok(None),
                e => Err(e),
            })?;
    let Some(locked) = locked else {
        return Ok(Err(None));
    };
    let state: WaveState = locked
        .state
        .parse()
        .map_err(|_| StoreError::Decode(format!("wave {id} state")))?;
    match state {
        WaveState::Selected | WaveState::Announced => {
            let rows: Vec<StatusCount> = diesel::sql_query(COUNTS)
                .bind::<Int4, _>(id)
                .load(conn)
                .await?;
            return Ok(Ok(SelectionOutcome::AlreadyDecided(tally(rows))));
        }
        WaveState::Closed => {}
        other => return Ok(Err(Some(other))),
    }
    if let Some(work_mem) = work_mem {
        conn.batch_execute(&format!("SET LOCAL work_mem = '{work_mem}'"))
            .await?;
    }
    let rows: Vec<StatusCount> = diesel::sql_query(DECIDE)
        .bind::<Int4, _>(id)
        .bind::<Int4, _>(locked.quota)
        .bind::<BigInt, _>(KK_LIFETIME_CAP)
        .load(conn)
        .await?;
    let counts = tally(rows);
    let as_i32 = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
    diesel::sql_query(
        "UPDATE waves SET state = 'selected', selected_at = now(),
                selected_count = $2, waitlisted_count = $3, kk_rejected_count = $4
          WHERE id = $1",
    )
    .bind::<Int4, _>(id)
    .bind::<Int4, _>(as_i32(counts.selected))
    .bind::<Int4, _>(as_i32(counts.waitlisted))
    .bind::<Int4, _>(as_i32(counts.rejected))
    .execute(conn)
    .await?;
    if stop == Stop::AbortBeforeCommit {
        return Err(StoreError::Conflict);
    }
    Ok(Ok(SelectionOutcome::Decided(counts)))
}

/// A memory setting such as `256MB`: digits and a unit, nothing else (it is
/// spliced into `SET`, which takes no bind parameters).
fn sanitise_memory(value: &str) -> Result<String, StoreError> {
    let value = value.trim();
    let digits = value.bytes().take_while(u8::is_ascii_digit).count();
    let unit = &value[digits..];
    if digits > 0 && digits <= 9 && ["", "kB", "MB", "GB"].contains(&unit) {
        Ok(value.to_owned())
    } else {
        Err(StoreError::Config(format!(
            "work_mem {value:?} is not a PostgreSQL memory size such as 256MB"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::sanitise_memory;

    #[test]
    fn only_plain_memory_sizes_reach_the_set_statement() {
        assert_eq!(sanitise_memory(" 256MB ").ok().as_deref(), Some("256MB"));
        assert!(sanitise_memory("64kB").is_ok());
        assert!(sanitise_memory("1GB'; DROP TABLE waves; --").is_err());
        assert!(sanitise_memory("MB").is_err());
    }
}
