//! Retention (docs/operations.md): what an erasure would take, and the
//! erasure itself, shared by the admin API (`/v1/retention…`) and
//! `lonjak-ops retention … --direct-database`.
//!
//! The database part is `lonjak_store`'s (set-based batches, resumable);
//! this adds the loop over due waves, a limit, and the photos' objects,
//! deleted from the object store after their rows are erased (the request
//! to delete them is recorded in the same statement that erases the row, so
//! a run stopped in between deletes them on the next run).

use futures::StreamExt;
use lonjak_domain::{PhotoKey, Wave, WaveState};
use lonjak_photos::ObjectStore;
use lonjak_store::{PhotoToDelete, Store, WaveRetention};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

/// Object deletions in flight at once.
const DELETES_IN_FLIGHT: usize = 8;

/// `retention.*`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RetentionSettings {
    /// Days after a wave's announcement before the personal data of its
    /// rejected and waitlisted applicants is erased, unless the wave sets
    /// its own (`waves.retention_days`).
    pub period_days: u32,
    /// Rows per erasure batch (one statement and transaction each).
    pub batch: u32,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            period_days: 90,
            batch: 1_000,
        }
    }
}

/// One wave in `GET /v1/retention`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaveRetentionBody {
    #[schema(value_type = u32, minimum = 1)]
    pub wave: Wave,
    /// planned, open, closed, selected or announced.
    #[schema(value_type = String)]
    pub state: WaveState,
    #[serde(with = "time::serde::rfc3339::option")]
    pub announced_at: Option<OffsetDateTime>,
    pub period_days: u32,
    /// When its personal data is due for erasure (announced_at + period).
    #[serde(with = "time::serde::rfc3339::option")]
    pub due_at: Option<OffsetDateTime>,
    /// An erasure now would erase `rejected` and `waitlisted`.
    pub due: bool,
    /// Rejected applicants not erased yet.
    pub rejected: u64,
    /// Waitlisted applicants not erased yet.
    pub waitlisted: u64,
    /// Applicants already erased.
    pub erased: u64,
    /// Photos of erased applicants whose objects are still to be deleted.
    pub photos_pending: u64,
}

impl From<WaveRetention> for WaveRetentionBody {
    fn from(w: WaveRetention) -> Self {
        Self {
            wave: w.wave,
            state: w.state,
            announced_at: w.announced_at,
            period_days: w.period_days,
            due_at: w.due_at,
            due: w.due,
            rejected: w.rejected,
            waitlisted: w.waitlisted,
            erased: w.erased,
            photos_pending: w.photos_pending,
        }
    }
}

/// `GET /v1/retention`: what an erasure would take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RetentionPlanBody {
    /// `retention.period_days`: the period of a wave that sets none.
    pub default_period_days: u32,
    pub waves: Vec<WaveRetentionBody>,
}

/// What an erasure did in one wave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WaveErasedBody {
    #[schema(value_type = u32, minimum = 1)]
    pub wave: Wave,
    pub rejected: u64,
    pub waitlisted: u64,
}

/// `POST /v1/retention/erasure`: what this run erased.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct ErasureBody {
    /// Due waves this run erased rows of (a due wave with nothing left is
    /// not listed).
    pub waves: Vec<WaveErasedBody>,
    /// Photo objects deleted from the object store (upload and kept copy).
    pub objects_deleted: u64,
    /// Photos whose objects are still to be deleted: no object store is
    /// configured, or a deletion failed (the next run retries).
    pub photos_pending: u64,
    /// False when the run stopped at its limit with rows still due.
    pub complete: bool,
}

/// The plan for every wave (or `wave`).
pub async fn plan(
    store: &Store,
    settings: &RetentionSettings,
    wave: Option<Wave>,
) -> Result<RetentionPlanBody, lonjak_store::StoreError> {
    let waves = store.retention_plan(settings.period_days, wave).await?;
    Ok(RetentionPlanBody {
        default_period_days: settings.period_days,
        waves: waves.into_iter().map(WaveRetentionBody::from).collect(),
    })
}

/// Erases every due row of every due wave (or `wave`), at most `limit`
/// rows in this run, then deletes the erased rows' photo objects when
/// `objects` is given.
pub async fn erase(
    store: &Store,
    objects: Option<&ObjectStore>,
    settings: &RetentionSettings,
    wave: Option<Wave>,
    limit: Option<u64>,
) -> anyhow::Result<ErasureBody> {
    let mut body = ErasureBody {
        complete: true,
        ..ErasureBody::default()
    };
    let mut left = limit.unwrap_or(u64::MAX);
    let batch = settings.batch.max(1);
    for due in store
        .waves_due_for_erasure(settings.period_days, wave)
        .await?
    {
        let mut done = WaveErasedBody {
            wave: due,
            rejected: 0,
            waitlisted: 0,
        };
        let mut after: Option<String> = None;
        loop {
            if left == 0 {
                body.complete = false;
                break;
            }
            let size = u32::try_from(left.min(u64::from(batch))).unwrap_or(batch);
            let (counts, last) = store
                .erase_batch(due, settings.period_days, after.as_deref(), size)
                .await?;
            let n = counts.rejected + counts.waitlisted;
            done.rejected += counts.rejected;
            done.waitlisted += counts.waitlisted;
            left = left.saturating_sub(n);
            if let Some(objects) = objects {
                body.objects_deleted += delete_photos(store, objects, batch).await?;
            }
            match last {
                Some(last) => after = Some(last),
                None => break,
            }
        }
        if done.rejected + done.waitlisted > 0 {
            body.waves.push(done);
        }
        if !body.complete {
            break;
        }
    }
    // Photos left by an earlier run stopped between a row and its objects.
    if let Some(objects) = objects {
        body.objects_deleted += delete_photos(store, objects, batch).await?;
    }
    body.photos_pending = store
        .retention_plan(settings.period_days, wave)
        .await?
        .iter()
        .map(|w| w.photos_pending)
        .sum();
    Ok(body)
}

/// Deletes the objects of photos whose rows were erased, batch after
/// batch, until none is left or a batch had a failure (left for the next
/// run); returns the objects deleted.
async fn delete_photos(store: &Store, objects: &ObjectStore, batch: u32) -> anyhow::Result<u64> {
    let mut deleted = 0;
    loop {
        let photos = store.photos_to_delete(batch).await?;
        if photos.is_empty() {
            return Ok(deleted);
        }
        let results: Vec<(PhotoToDelete, Result<u64, lonjak_photos::ObjectStoreError>)> =
            futures::stream::iter(photos)
                .map(|photo| async move {
                    let result = delete_objects(objects, &photo.object_key).await;
                    (photo, result)
                })
                .buffer_unordered(DELETES_IN_FLIGHT)
                .collect()
                .await;
        let total = results.len();
        let mut gone = Vec::with_capacity(total);
        for (photo, result) in results {
            match result {
                Ok(n) => {
                    deleted += n;
                    gone.push(photo);
                }
                Err(error) => tracing::warn!(
                    error = &error as &dyn std::error::Error,
                    "deleting an erased applicant's photo failed; the next erasure retries"
                ),
            }
        }
        store.photos_deleted(&gone).await?;
        if gone.len() < total {
            return Ok(deleted);
        }
    }
}

/// The upload and, for a key this service issued, its kept copy (the
/// accepted photo). Deleting what is not there is not an error.
async fn delete_objects(
    objects: &ObjectStore,
    key: &str,
) -> Result<u64, lonjak_photos::ObjectStoreError> {
    objects.delete(key).await?;
    match PhotoKey::parse(key) {
        Ok(parsed) => {
            objects.delete(&parsed.kept()).await?;
            Ok(2)
        }
        Err(_) => Ok(1),
    }
}
