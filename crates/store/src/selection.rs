//! Wave selection, inside PostgreSQL and set-based: one statement ranks
//! every scored applicant of the wave with window functions, honours the KK
//! cap and the wave's email requirement, and appends one row per applicant
//! to `selection_decisions`; a second rewrites only the selected (and those
//! rejected for the KK cap) in `registrations`, with their history rows. A
//! waitlisted applicant's row stays `scored`: the wave's state (`selected`)
//! and its decision row say waitlisted ([`EFFECTIVE_STATUS`]). All of it is
//! one transaction with the wave's move to `selected`: a crash before the
//! commit leaves nothing; a run on a wave already selected changes nothing.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Int4, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use lonjak_domain::eligibility::KK_LIFETIME_CAP;
use lonjak_domain::{Wave, WaveState};

use crate::registrations::wave_db_id;
use crate::waves::WaveChangeError;
use crate::{Store, StoreError};

/// The state a registration is in, for SQL that joins `registrations r` to
/// `waves w`: a scored applicant of a wave already selected was waitlisted
/// (selection decides every scored applicant of its wave, and refuses to
/// start while any is still on its way to `scored`).
pub(crate) const EFFECTIVE_STATUS: &str = "CASE WHEN r.status = 'scored' \
    AND w.state IN ('selected', 'announced') THEN 'waitlisted' ELSE r.status END";

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
/// the hex ids, hence `COLLATE "C"`), exactly
/// `lonjak_domain::eligibility::rank_order`; one sort of the wave, whose
/// order (`place`) every later step keeps, so that the decisions reach
/// their primary key `(wave_id, rank)` in order (appends, not 2,000,000
/// scattered B-tree inserts).
///
/// The KK cap binds only in families whose members in this wave plus those
/// selected in other waves exceed it (`crowded`, one hash aggregate); only
/// their members are ranked within the family, and those past the cap
/// (counting members who can take a seat) are `barred`. Who can take a
/// seat: verified email when the wave requires it (`$4`), both photos
/// accepted when it requires them (`$5`). The selected are those who can,
/// are not barred, and rank at or above `cutoff`, the place of the
/// `quota`-th of them (a bounded top-N): a test per row, no join. A family
/// is full when its selected members, here and elsewhere, reach the cap;
/// its members not selected are rejected, everyone else is waitlisted.
const DECIDE: &str = r#"
WITH cand AS MATERIALIZED (
    SELECT r.id, r.kk_hash,
           (NOT $4 OR r.email_verified_at IS NOT NULL)
           AND (NOT $5 OR (SELECT count(*) FROM photo_checks p
                            WHERE p.registration_id = r.id AND p.state = 'accepted') = 2)
           AS reachable,
           row_number() OVER (ORDER BY r.score DESC, r.submitted_at, r.id COLLATE "C") AS place
      FROM registrations r
     WHERE r.wave_id = $1 AND r.status = 'scored'
), prior AS (
    SELECT kk_hash, count(*) AS n FROM registrations
     WHERE status = 'selected' AND wave_id <> $1
     GROUP BY kk_hash
), crowded AS (
    SELECT c.kk_hash, coalesce(min(p.n), 0) AS prior
      FROM cand c LEFT JOIN prior p ON p.kk_hash = c.kk_hash
     GROUP BY c.kk_hash
    HAVING count(*) + coalesce(min(p.n), 0) > $3
), barred AS (
    SELECT m.place FROM (
        SELECT c.place, c.reachable, k.prior,
               row_number() OVER (PARTITION BY c.kk_hash, c.reachable ORDER BY c.place) AS in_kk
          FROM cand c JOIN crowded k ON k.kk_hash = c.kk_hash
    ) m
     WHERE m.reachable AND m.in_kk + m.prior > $3
), cutoff AS (
    SELECT CASE WHEN $2 = 0 THEN 0 ELSE coalesce(
           (SELECT c.place FROM cand c
             WHERE c.reachable AND c.place NOT IN (SELECT place FROM barred)
             ORDER BY c.place OFFSET greatest($2 - 1, 0) LIMIT 1),
           9223372036854775807) END AS place
), full_kk AS (
    SELECT k.kk_hash FROM crowded k
      LEFT JOIN (SELECT c.kk_hash, count(*) AS n
                   FROM cand c JOIN crowded k2 ON k2.kk_hash = c.kk_hash
                  WHERE c.reachable AND c.place <= (SELECT place FROM cutoff)
                    AND c.place NOT IN (SELECT place FROM barred)
                  GROUP BY c.kk_hash) s ON s.kk_hash = k.kk_hash
     WHERE k.prior + coalesce(s.n, 0) >= $3
), decided AS (
    INSERT INTO selection_decisions (wave_id, rank, registration_id, decision, reason)
    SELECT $1, c.place::int, c.id, d.decision,
           CASE WHEN d.decision = 'rejected' THEN 'kk_cap_reached' END
      FROM cand c,
           LATERAL (SELECT CASE
               WHEN c.reachable AND c.place <= (SELECT place FROM cutoff)
                    AND c.place NOT IN (SELECT place FROM barred) THEN 'selected'
               WHEN c.kk_hash IN (SELECT kk_hash FROM full_kk) THEN 'rejected'
               ELSE 'waitlisted' END AS decision) d
    RETURNING decision
)
SELECT decision AS status, count(*) AS n FROM decided GROUP BY decision"#;

/// The selected and the rejected leave `scored` in `registrations`, with
/// their rank and a history row each; the waitlisted are left as they are.
const MOVE: &str = "
WITH moved AS (
    UPDATE registrations r
       SET status = d.decision, reason = d.reason, rank = d.rank,
           decided_at = now(), updated_at = now()
      FROM selection_decisions d
     WHERE d.wave_id = $1 AND d.decision <> 'waitlisted'
       AND r.id = d.registration_id AND r.status = 'scored'
    RETURNING r.id, r.status, r.reason
)
INSERT INTO status_history (registration_id, from_status, to_status, reason)
SELECT id, 'scored', status, reason FROM moved";

/// Registrations of the wave not yet scored (or rejected): selection would
/// leave them out of the ranking, so it waits for them.
const IN_FLIGHT: &str = "\
SELECT count(*) AS n FROM registrations
 WHERE wave_id = $1 AND status IN ('queued', 'verifying', 'verified')";

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
    #[diesel(sql_type = Bool)]
    email_verification_required: bool,
    #[diesel(sql_type = Bool)]
    photos_required: bool,
    #[diesel(sql_type = Int4)]
    selected_count: i32,
    #[diesel(sql_type = Int4)]
    waitlisted_count: i32,
    #[diesel(sql_type = Int4)]
    kk_rejected_count: i32,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Why a selection did not start.
enum Refused {
    Missing,
    From(WaveState),
    InFlight(u64),
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
            Ok(Err(Refused::Missing)) => Err(WaveChangeError::NotFound(wave)),
            Ok(Err(Refused::From(from))) => Err(lonjak_domain::InvalidWaveTransition {
                from,
                to: WaveState::Selected,
            }
            .into()),
            Ok(Err(Refused::InFlight(count))) => Err(WaveChangeError::InFlight { wave, count }),
            Err(e) => Err(e.into()),
        }
    }
}

/// `Ok(Err(_))` when the wave is missing, in a state selection cannot start
/// from, or still has registrations in the pipeline.
async fn select_in(
    conn: &mut AsyncPgConnection,
    id: i32,
    work_mem: Option<&str>,
    stop: Stop,
) -> Result<Result<SelectionOutcome, Refused>, StoreError> {
    // The row lock serialises concurrent runs: the second sees `selected`.
    let locked: Option<LockedWave> = diesel::sql_query(
        "SELECT state, quota, email_verification_required, photos_required,
                selected_count, waitlisted_count, kk_rejected_count
           FROM waves WHERE id = $1 FOR UPDATE",
    )
    .bind::<Int4, _>(id)
    .get_result(conn)
    .await
    .map(Some)
    .or_else(|e| match e {
        diesel::result::Error::NotFound => Ok(None),
        e => Err(e),
    })?;
    let Some(locked) = locked else {
        return Ok(Err(Refused::Missing));
    };
    let state: WaveState = locked
        .state
        .parse()
        .map_err(|_| StoreError::Decode(format!("wave {id} state")))?;
    match state {
        WaveState::Selected | WaveState::Announced => {
            let n = |v: i32| u64::try_from(v).unwrap_or(0);
            return Ok(Ok(SelectionOutcome::AlreadyDecided(SelectionCounts {
                selected: n(locked.selected_count),
                waitlisted: n(locked.waitlisted_count),
                rejected: n(locked.kk_rejected_count),
            })));
        }
        WaveState::Closed => {}
        other => return Ok(Err(Refused::From(other))),
    }
    let in_flight: Count = diesel::sql_query(IN_FLIGHT)
        .bind::<Int4, _>(id)
        .get_result(conn)
        .await?;
    if in_flight.n > 0 {
        return Ok(Err(Refused::InFlight(
            u64::try_from(in_flight.n).unwrap_or(0),
        )));
    }
    if let Some(work_mem) = work_mem {
        conn.batch_execute(&format!("SET LOCAL work_mem = '{work_mem}'"))
            .await?;
    }
    // Compiling this one statement took PostgreSQL's JIT 1.4 s at 500,000
    // applicants, more than the execution it was meant to speed up.
    conn.batch_execute("SET LOCAL jit = off").await?;
    let rows: Vec<StatusCount> = diesel::sql_query(DECIDE)
        .bind::<Int4, _>(id)
        .bind::<BigInt, _>(i64::from(locked.quota))
        .bind::<BigInt, _>(KK_LIFETIME_CAP)
        .bind::<Bool, _>(locked.email_verification_required)
        .bind::<Bool, _>(locked.photos_required)
        .load(conn)
        .await?;
    let counts = tally(rows);
    diesel::sql_query(MOVE)
        .bind::<Int4, _>(id)
        .execute(conn)
        .await?;
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
