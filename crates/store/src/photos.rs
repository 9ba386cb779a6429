//! Photo checks: one row per (registration, kind) with the checked object's
//! key, size, SHA-256 and result. Written by the photo-check worker, read by
//! the gateway's status look-up.

use diesel::sql_types::{BigInt, Integer, Nullable, Text, Timestamptz};
use diesel::{OptionalExtension, QueryableByName};
use diesel_async::RunQueryDsl;
use lonjak_domain::{PhotoKey, PhotoKind, PhotoRejection, PhotoState, RegistrationId};
use time::OffsetDateTime;

use crate::{Store, StoreError};

/// The result of checking one uploaded object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoCheck {
    pub key: PhotoKey,
    /// `None` when nothing was there to measure.
    pub size: Option<u64>,
    pub sha256: Option<String>,
    pub dimensions: Option<(u32, u32)>,
    pub result: Result<(), PhotoRejection>,
    pub checked_at: OffsetDateTime,
}

/// A photo's state as the applicant sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoView {
    pub kind: PhotoKind,
    pub state: PhotoState,
    pub reason: Option<PhotoRejection>,
    pub checked_at: OffsetDateTime,
}

/// What happened to a recorded check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoRecorded {
    /// Written (a first check, or a new upload replacing a rejected one).
    Written,
    /// This key was recorded before (a redelivery): nothing changed.
    AlreadyRecorded,
    /// This kind was accepted already under another key: the accepted
    /// photo stays and this upload is not recorded (the gateway refuses
    /// new uploads of an accepted kind; this closes the race with one
    /// issued before the acceptance).
    KeptAccepted,
}

// The first result for a key wins; a different key (a new upload) replaces
// a rejected photo, never an accepted one: an accepted photo is final (a
// stale or forged confirm, or a later upload, cannot undo it).
const RECORD_SQL: &str = "\
INSERT INTO photo_checks (registration_id, kind, object_key, size_bytes, sha256, width, height, state, reason, checked_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (registration_id, kind) DO UPDATE SET
    object_key = EXCLUDED.object_key, size_bytes = EXCLUDED.size_bytes, sha256 = EXCLUDED.sha256,
    width = EXCLUDED.width, height = EXCLUDED.height, state = EXCLUDED.state,
    reason = EXCLUDED.reason, checked_at = EXCLUDED.checked_at
WHERE photo_checks.object_key <> EXCLUDED.object_key
  AND photo_checks.state <> 'accepted'
RETURNING object_key";

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = Text)]
    object_key: String,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    state: String,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    checked_at: OffsetDateTime,
}

impl Store {
    /// Records `checks` in one transaction; one answer per check, in order.
    pub async fn record_photo_checks(
        &self,
        checks: &[PhotoCheck],
    ) -> Result<Vec<PhotoRecorded>, StoreError> {
        let checks = checks.to_vec();
        self.transaction(|conn, _| {
            Box::pin(async move {
                let mut answers = Vec::with_capacity(checks.len());
                for check in &checks {
                    let key = check.key.to_string();
                    let (state, reason) = match check.result {
                        Ok(()) => (PhotoState::Accepted, None),
                        Err(r) => (PhotoState::Rejected, Some(r.as_str())),
                    };
                    let written: Option<Key> = diesel::sql_query(RECORD_SQL)
                        .bind::<Text, _>(check.key.registration_id().to_string())
                        .bind::<Text, _>(check.key.kind().as_str())
                        .bind::<Text, _>(&key)
                        .bind::<Nullable<BigInt>, _>(
                            check.size.map(|s| i64::try_from(s).unwrap_or(i64::MAX)),
                        )
                        .bind::<Nullable<Text>, _>(check.sha256.as_deref())
                        .bind::<Nullable<Integer>, _>(
                            check.dimensions.map(|(w, _)| i32::try_from(w).unwrap_or(i32::MAX)),
                        )
                        .bind::<Nullable<Integer>, _>(
                            check.dimensions.map(|(_, h)| i32::try_from(h).unwrap_or(i32::MAX)),
                        )
                        .bind::<Text, _>(state.as_str())
                        .bind::<Nullable<Text>, _>(reason)
                        .bind::<Timestamptz, _>(check.checked_at)
                        .get_result(conn)
                        .await
                        .optional()?;
                    let answer = match written {
                        Some(_) => PhotoRecorded::Written,
                        None => {
                            let stored: Key = diesel::sql_query(
                                "SELECT object_key FROM photo_checks WHERE registration_id = $1 AND kind = $2",
                            )
                            .bind::<Text, _>(check.key.registration_id().to_string())
                            .bind::<Text, _>(check.key.kind().as_str())
                            .get_result(conn)
                            .await?;
                            if stored.object_key == key {
                                PhotoRecorded::AlreadyRecorded
                            } else {
                                PhotoRecorded::KeptAccepted
                            }
                        }
                    };
                    answers.push(answer);
                }
                Ok(answers)
            })
        })
        .await
    }

    /// The checked photos of `id`, by kind (kinds not checked yet are absent).
    pub async fn photo_states(&self, id: &RegistrationId) -> Result<Vec<PhotoView>, StoreError> {
        let key = id.to_string();
        let rows: Vec<Row> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(diesel::sql_query(
                        "SELECT kind, state, reason, checked_at FROM photo_checks \
                         WHERE registration_id = $1 ORDER BY kind",
                    )
                    .bind::<Text, _>(&key)
                    .load(conn)
                    .await?)
                })
            })
            .await?;
        rows.into_iter()
            .map(|row| {
                let decode = |what: &str| StoreError::Decode(format!("photo_checks.{what}"));
                Ok(PhotoView {
                    kind: PhotoKind::parse(&row.kind).map_err(|_| decode("kind"))?,
                    state: PhotoState::parse(&row.state).ok_or_else(|| decode("state"))?,
                    reason: match row.reason {
                        Some(r) => Some(PhotoRejection::parse(&r).ok_or_else(|| decode("reason"))?),
                        None => None,
                    },
                    checked_at: row.checked_at,
                })
            })
            .collect()
    }
}
