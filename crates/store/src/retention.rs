//! Retention: a period after a wave is announced, the personal data of its
//! rejected and waitlisted applicants is erased, in set-based batches.
//!
//! What goes: every personal ciphertext (and clear column of a row from
//! before sealing), the contact and submission hashes, the NIK and KK
//! hashes (replaced by a hash of the row's own id: the columns are NOT
//! NULL and unique per wave), the registries' answers (`detail`; outcome
//! per registry stays), the photos' content hash (their objects are deleted
//! after, see [`Store::photos_to_delete`]), the waiting-room ticket's client
//! hash, the per-day resend counters. What stays is the skeleton: id, wave,
//! state, reason, history, score and its parts, decisions, notification
//! rows (which say what was sent, never to whom), timestamps.
//!
//! Who: rows whose *current* wave is announced and past its period, in
//! state `rejected`, or waitlisted (`scored` or `waitlisted` in an
//! announced wave). A waitlisted applicant who re-joined a later wave has
//! had their row moved to it, so their data lives as long as that wave's
//! registration does; an erased row cannot re-join ([`crate::Rejoin`]).
//! Selected applicants are never erased here.
//!
//! Each batch is one statement (lock, erase, mark) over the next rows of a
//! wave in id order, through a partial index that erased rows leave: a run
//! stopped anywhere is completed by running it again, and a second run
//! finds nothing.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Int4, Nullable, Text, Timestamptz};
use diesel_async::RunQueryDsl;
use lonjak_domain::{Wave, WaveState};
use time::OffsetDateTime;

use crate::registrations::wave_db_id;
use crate::{Store, StoreError};

/// Where one wave stands, for `lonjak-ops retention plan`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaveRetention {
    pub wave: Wave,
    pub state: WaveState,
    pub announced_at: Option<OffsetDateTime>,
    /// The wave's own period, or the default.
    pub period_days: u32,
    /// `announced_at` plus the period; `None` before the announcement.
    pub due_at: Option<OffsetDateTime>,
    /// Due now: an erasure would erase the counts below.
    pub due: bool,
    /// Rejected applicants not erased yet (erased once due).
    pub rejected: u64,
    /// Waitlisted applicants not erased yet (erased once due).
    pub waitlisted: u64,
    /// Rows of this wave already erased.
    pub erased: u64,
    /// Photos of erased rows whose objects are still to be deleted.
    pub photos_pending: u64,
}

/// What one erasure batch did, per wave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasedCounts {
    pub rejected: u64,
    pub waitlisted: u64,
}

/// A photo of an erased registration whose objects are to be deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoToDelete {
    pub registration_id: String,
    pub kind: String,
    /// The upload's key (`incoming/…`); the accepted copy's key follows from
    /// it (`lonjak_domain::PhotoKey::kept`).
    pub object_key: String,
}

#[derive(QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = Int4)]
    id: i32,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    announced_at: Option<OffsetDateTime>,
    #[diesel(sql_type = Int4)]
    period_days: i32,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    due_at: Option<OffsetDateTime>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    due: bool,
    #[diesel(sql_type = BigInt)]
    rejected: i64,
    #[diesel(sql_type = BigInt)]
    waitlisted: i64,
    #[diesel(sql_type = BigInt)]
    erased: i64,
    #[diesel(sql_type = BigInt)]
    photos_pending: i64,
}

/// Per wave: its period, due date, and who an erasure takes. `$1` default
/// days, `$2` one wave or NULL for all. Waitlisted means `scored` or
/// `waitlisted` in a wave already selected without a decision row saying
/// selected or rejected (`selection_sql::EFFECTIVE_STATUS`): a selected or
/// KK-rejected applicant keeps `scored` beside its decision row.
const PLAN: &str = "\
WITH w AS (
    SELECT id, state, announced_at, coalesce(retention_days, $1) AS period_days,
           announced_at + make_interval(days => coalesce(retention_days, $1)) AS due_at
      FROM waves WHERE $2::int IS NULL OR id = $2
)
SELECT w.id, w.state, w.announced_at, w.period_days, w.due_at,
       (w.state = 'announced' AND w.due_at <= now()) AS due,
       coalesce(c.rejected, 0) AS rejected, coalesce(c.waitlisted, 0) AS waitlisted,
       coalesce(c.erased, 0) AS erased, coalesce(p.pending, 0) AS photos_pending
  FROM w
  LEFT JOIN LATERAL (
      SELECT count(*) FILTER (WHERE r.erased_at IS NULL AND (r.status = 'rejected'
                                OR (r.status = 'scored' AND d.decision = 'rejected'))) AS rejected,
             count(*) FILTER (WHERE r.erased_at IS NULL AND r.status IN ('scored', 'waitlisted')
                                AND w.state IN ('selected', 'announced')
                                AND d.decision IS DISTINCT FROM 'selected'
                                AND d.decision IS DISTINCT FROM 'rejected') AS waitlisted,
             count(*) FILTER (WHERE r.erased_at IS NOT NULL) AS erased
        FROM registrations r
        LEFT JOIN selection_decisions d ON d.registration_id = r.id AND d.wave_id = r.wave_id
       WHERE r.wave_id = w.id) c ON true
  LEFT JOIN LATERAL (
      SELECT count(*) AS pending FROM photo_checks pc
        JOIN registrations r ON r.id = pc.registration_id
       WHERE r.wave_id = w.id
         AND pc.erase_requested_at IS NOT NULL AND pc.erased_at IS NULL) p ON true
 ORDER BY w.id";

/// Waves due now (`$1` default days, `$2` one wave or NULL).
const DUE_WAVES: &str = "\
SELECT id FROM waves
 WHERE state = 'announced' AND ($2::int IS NULL OR id = $2)
   AND announced_at + make_interval(days => coalesce(retention_days, $1)) <= now()
 ORDER BY id";

/// One batch of wave `$1`: the next `$3` erasable rows after id `$2`,
/// locked (skipping rows a re-join or another erasure holds), erased,
/// marked; their satellites cleared in the same statement. The wave's state
/// and period are checked again here, under the batch's snapshot.
const ERASE: &str = r"
WITH wave AS (
    SELECT id FROM waves
     WHERE id = $1 AND state = 'announced'
       AND announced_at + make_interval(days => coalesce(retention_days, $4)) <= now()
), batch AS (
    SELECT r.id,
           CASE WHEN r.status = 'rejected' OR d.decision = 'rejected'
                THEN 'rejected' ELSE 'waitlisted' END AS outcome
      FROM registrations r
      LEFT JOIN selection_decisions d ON d.registration_id = r.id AND d.wave_id = r.wave_id
     WHERE r.wave_id = (SELECT id FROM wave) AND r.id > $2
       AND r.erased_at IS NULL AND r.status IN ('rejected', 'scored', 'waitlisted')
       -- A selected applicant keeps `scored` beside its decision row.
       AND d.decision IS DISTINCT FROM 'selected'
     ORDER BY r.id LIMIT $3
     FOR UPDATE OF r SKIP LOCKED
), erased AS (
    UPDATE registrations r
       SET nik_hash = sha256(convert_to('lonjak:erased:nik:' || r.id, 'UTF8')),
           kk_hash = sha256(convert_to('lonjak:erased:kk:' || r.id, 'UTF8')),
           nik_ciphertext = '\x'::bytea, kk_ciphertext = '\x'::bytea,
           full_name = NULL, email = NULL, phone = NULL, birth_date = NULL,
           full_name_ciphertext = NULL, email_ciphertext = NULL,
           phone_ciphertext = NULL, birth_date_ciphertext = NULL,
           email_hash = NULL, phone_hash = NULL, submission_hash = NULL,
           key_version = NULL, erased_at = now()
      FROM batch WHERE r.id = batch.id
    RETURNING r.id, batch.outcome
), checks AS (
    UPDATE verification_checks v SET detail = '{}'::jsonb
      FROM erased WHERE v.registration_id = erased.id AND v.detail <> '{}'::jsonb
), photos AS (
    UPDATE photo_checks p SET sha256 = NULL, erase_requested_at = now()
      FROM erased WHERE p.registration_id = erased.id
), tickets AS (
    UPDATE waitroom_tickets t
       SET client_key = sha256(convert_to('lonjak:erased:ticket:' || t.id::text, 'UTF8'))
      FROM erased WHERE t.registration_id = erased.id
), resends AS (
    DELETE FROM email_verification_resends e USING erased WHERE e.registration_id = erased.id
)
SELECT (SELECT max(id) FROM batch) AS last_id,
       count(*) FILTER (WHERE outcome = 'rejected') AS rejected,
       count(*) FILTER (WHERE outcome <> 'rejected') AS waitlisted
  FROM erased";

#[derive(QueryableByName)]
struct EraseRow {
    #[diesel(sql_type = Nullable<Text>)]
    last_id: Option<String>,
    #[diesel(sql_type = BigInt)]
    rejected: i64,
    #[diesel(sql_type = BigInt)]
    waitlisted: i64,
}

#[derive(QueryableByName)]
struct WaveId {
    #[diesel(sql_type = Int4)]
    id: i32,
}

#[derive(QueryableByName)]
struct PhotoRow {
    #[diesel(sql_type = Text)]
    registration_id: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    object_key: String,
}

/// `registrations.erased_at IS NULL`, for DSL queries (the column is not
/// in `schema.rs`).
pub(crate) fn not_erased() -> diesel::expression::SqlLiteral<diesel::sql_types::Bool> {
    diesel::dsl::sql::<diesel::sql_types::Bool>("registrations.erased_at IS NULL")
}

fn wave_of(id: i32) -> Result<Wave, StoreError> {
    u32::try_from(id)
        .ok()
        .and_then(|n| Wave::new(n).ok())
        .ok_or_else(|| StoreError::Decode(format!("wave {id}: number")))
}

fn days(period_days: u32) -> i32 {
    i32::try_from(period_days).unwrap_or(i32::MAX)
}

fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

impl Store {
    /// Every wave (or `wave`), with its retention period (`default_days`
    /// unless the wave sets its own), due date and what an erasure takes.
    pub async fn retention_plan(
        &self,
        default_days: u32,
        wave: Option<Wave>,
    ) -> Result<Vec<WaveRetention>, StoreError> {
        let one = wave.map(wave_db_id).transpose()?;
        let rows: Vec<PlanRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(PLAN)
                        .bind::<Int4, _>(days(default_days))
                        .bind::<Nullable<Int4>, _>(one)
                        .load(conn)
                        .await?)
                })
            })
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok(WaveRetention {
                    wave: wave_of(row.id)?,
                    state: row
                        .state
                        .parse()
                        .map_err(|_| StoreError::Decode(format!("wave {}: state", row.id)))?,
                    announced_at: row.announced_at,
                    period_days: u32::try_from(row.period_days).unwrap_or_default(),
                    due_at: row.due_at,
                    due: row.due,
                    rejected: count(row.rejected),
                    waitlisted: count(row.waitlisted),
                    erased: count(row.erased),
                    photos_pending: count(row.photos_pending),
                })
            })
            .collect()
    }

    /// The waves (or `wave`) whose period has run out.
    pub async fn waves_due_for_erasure(
        &self,
        default_days: u32,
        wave: Option<Wave>,
    ) -> Result<Vec<Wave>, StoreError> {
        let one = wave.map(wave_db_id).transpose()?;
        let rows: Vec<WaveId> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(DUE_WAVES)
                        .bind::<Int4, _>(days(default_days))
                        .bind::<Nullable<Int4>, _>(one)
                        .load(conn)
                        .await?)
                })
            })
            .await?;
        rows.into_iter().map(|row| wave_of(row.id)).collect()
    }

    /// Erases up to `limit` due rows of `wave` after id `after` (in id
    /// order), in one statement. Returns what it erased and where the next
    /// batch starts (`None`: nothing was left after `after`).
    pub async fn erase_batch(
        &self,
        wave: Wave,
        default_days: u32,
        after: Option<&str>,
        limit: u32,
    ) -> Result<(ErasedCounts, Option<String>), StoreError> {
        let id = wave_db_id(wave)?;
        let after = after.unwrap_or_default().to_owned();
        let limit = i64::from(limit.max(1));
        let row: EraseRow = self
            .transaction(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(ERASE)
                        .bind::<Int4, _>(id)
                        .bind::<Text, _>(after)
                        .bind::<BigInt, _>(limit)
                        .bind::<Int4, _>(days(default_days))
                        .get_result(conn)
                        .await?)
                })
            })
            .await?;
        let counts = ErasedCounts {
            rejected: count(row.rejected),
            waitlisted: count(row.waitlisted),
        };
        Ok((counts, row.last_id))
    }

    /// Up to `limit` photos of erased registrations whose objects are still
    /// to be deleted (after a crash too: the mark is in the database).
    pub async fn photos_to_delete(&self, limit: u32) -> Result<Vec<PhotoToDelete>, StoreError> {
        let limit = i64::from(limit.max(1));
        let rows: Vec<PhotoRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(
                        "SELECT registration_id, kind, object_key FROM photo_checks
                          WHERE erase_requested_at IS NOT NULL AND erased_at IS NULL
                          ORDER BY registration_id, kind LIMIT $1",
                    )
                    .bind::<BigInt, _>(limit)
                    .load(conn)
                    .await?)
                })
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| PhotoToDelete {
                registration_id: r.registration_id,
                kind: r.kind,
                object_key: r.object_key,
            })
            .collect())
    }

    /// Records that the objects of `photos` are gone (one statement).
    pub async fn photos_deleted(&self, photos: &[PhotoToDelete]) -> Result<u64, StoreError> {
        let ids: Vec<String> = photos.iter().map(|p| p.registration_id.clone()).collect();
        let kinds: Vec<String> = photos.iter().map(|p| p.kind.clone()).collect();
        let n = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(
                        "UPDATE photo_checks p SET erased_at = now()
                           FROM unnest($1::text[], $2::text[]) AS d(registration_id, kind)
                          WHERE p.registration_id = d.registration_id AND p.kind = d.kind
                            AND p.erase_requested_at IS NOT NULL AND p.erased_at IS NULL",
                    )
                    .bind::<diesel::sql_types::Array<Text>, _>(ids)
                    .bind::<diesel::sql_types::Array<Text>, _>(kinds)
                    .execute(conn)
                    .await?)
                })
            })
            .await?;
        Ok(n as u64)
    }

    /// Sets (`Some`) or clears (`None`: the default applies) `wave`'s own
    /// retention period; false if there is no such wave.
    pub async fn set_wave_retention(
        &self,
        wave: Wave,
        period_days: Option<u32>,
    ) -> Result<bool, StoreError> {
        let id = wave_db_id(wave)?;
        let period = period_days.map(days);
        let n = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(
                        diesel::sql_query("UPDATE waves SET retention_days = $2 WHERE id = $1")
                            .bind::<Int4, _>(id)
                            .bind::<Nullable<Int4>, _>(period)
                            .execute(conn)
                            .await?,
                    )
                })
            })
            .await?;
        Ok(n == 1)
    }
}
