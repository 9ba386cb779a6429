//! Wave selection, inside PostgreSQL and set-based: one statement walks the
//! top of the wave's ranking (an index kept as applicants are scored),
//! honours the KK cap and the wave's email and photo requirements, and
//! appends a decision row for each applicant of the decided prefix (the
//! ranks down to the quota-th seat) and for the members of full families
//! ranked after it ([`DECIDE`]). Everyone else is waitlisted without a row.
//! Registration rows are not rewritten: a `scored` applicant of a selected
//! wave has their decision, or is waitlisted ([`EFFECTIVE_STATUS`]). All of
//! it is one transaction with the wave's move to `selected`: a crash before
//! the commit leaves nothing; a run on a wave already selected changes
//! nothing.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Bool, Int4, Nullable, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use lonjak_domain::eligibility::KK_LIFETIME_CAP;
use lonjak_domain::{Wave, WaveState};

use crate::registrations::wave_db_id;
#[cfg(doc)]
use crate::selection_sql::EFFECTIVE_STATUS;
use crate::selection_sql::{DECIDE, RANKED};
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

/// Registrations of the wave not yet scored (or rejected): selection would
/// leave them out of the ranking, so it waits for them.
const IN_FLIGHT: &str = "\
SELECT count(*) AS n FROM registrations
 WHERE wave_id = $1 AND status IN ('queued', 'verifying', 'verified')";

#[derive(QueryableByName)]
struct StatusCount {
    /// The last rank of the decided prefix; `NULL` when the candidates read
    /// did not reach the quota's last seat.
    #[diesel(sql_type = Nullable<Int4>)]
    prefix: Option<i32>,
    #[diesel(sql_type = Nullable<Text>)]
    status: Option<String>,
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

fn tally(rows: &[StatusCount]) -> SelectionCounts {
    let mut counts = SelectionCounts::default();
    for row in rows {
        let n = u64::try_from(row.n).unwrap_or(0);
        match row.status.as_deref().unwrap_or_default() {
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
    let ranked: Count = diesel::sql_query(RANKED)
        .bind::<Int4, _>(id)
        .get_result(conn)
        .await?;
    let quota = i64::from(locked.quota);
    // A quarter more than the quota covers the applicants who cannot take a
    // seat (no verified email, photos missing, past the KK cap) in the runs
    // measured; when it does not, the statement decides nothing and a
    // longer prefix is read.
    let mut candidates = quota + quota / 4 + 1_000;
    let (prefix, rows) = loop {
        let rows: Vec<StatusCount> = diesel::sql_query(DECIDE)
            .bind::<Int4, _>(id)
            .bind::<BigInt, _>(quota)
            .bind::<BigInt, _>(KK_LIFETIME_CAP)
            .bind::<Bool, _>(locked.email_verification_required)
            .bind::<Bool, _>(locked.photos_required)
            .bind::<BigInt, _>(candidates)
            .load(conn)
            .await?;
        match <[StatusCount]>::first(&rows).and_then(|r| r.prefix) {
            Some(prefix) => break (prefix, rows),
            // Reading past the wave's size always finds the cutoff.
            None if candidates <= ranked.n => candidates = candidates.saturating_mul(2),
            None => return Err(StoreError::Decode(format!("wave {id}: no cutoff"))),
        }
    };
    let mut counts = tally(&rows);
    // Every ranked applicant without a selected or rejected row waits.
    counts.waitlisted = u64::try_from(ranked.n)
        .unwrap_or(0)
        .saturating_sub(counts.selected + counts.rejected);
    let as_i32 = |n: u64| i32::try_from(n).unwrap_or(i32::MAX);
    diesel::sql_query(
        "UPDATE waves SET state = 'selected', selected_at = now(), decided_prefix = $5,
                selected_count = $2, waitlisted_count = $3, kk_rejected_count = $4
          WHERE id = $1",
    )
    .bind::<Int4, _>(id)
    .bind::<Int4, _>(as_i32(counts.selected))
    .bind::<Int4, _>(as_i32(counts.waitlisted))
    .bind::<Int4, _>(as_i32(counts.rejected))
    .bind::<Int4, _>(prefix)
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
