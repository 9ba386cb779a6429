//! The photo-check worker's work on a batch of `photo.uploaded` deliveries:
//! each object is checked against the object store (concurrently), accepted
//! ones are copied out of `incoming/` (beyond the lifecycle rule), then one
//! transaction records every result, then the checked uploads are deleted
//! from `incoming/`. A redelivery (a crash before the ack) finds its key
//! recorded and changes nothing. A kind already accepted under another key
//! stays as it is: the new upload and its copy are deleted. The runtime
//! (`lonjak-worker`) settles.

use std::time::Instant;

use futures::future::join_all;
use lonjak_domain::PhotoLimits;
use lonjak_domain::photo::PhotoUploaded;
use lonjak_photos::ObjectStore;
use lonjak_store::{PhotoCheck, PhotoRecorded, Store};
use lonjak_worker::{Failure, Handler, Item, Outcome, Reason};
use time::OffsetDateTime;

use crate::check::{Checked, check};
use crate::metrics::Metrics;

/// Outcome labels (metrics).
pub const ACCEPTED: &str = "accepted";
pub const REJECTED: &str = "rejected";
pub const DUPLICATE: &str = "duplicate";
/// A new upload of a kind accepted before: not recorded, deleted.
pub const ALREADY_ACCEPTED: &str = "already_accepted";

pub struct PhotoChecker {
    pub(crate) objects: ObjectStore,
    pub(crate) store: Store,
    pub(crate) limits: PhotoLimits,
    pub(crate) metrics: Metrics,
}

impl PhotoChecker {
    pub fn new(objects: ObjectStore, store: Store, limits: PhotoLimits) -> Self {
        Self {
            objects,
            store,
            limits,
            metrics: Metrics::default(),
        }
    }

    /// Counts into `metrics` (registered ones, in the service).
    pub fn with_metrics(mut self, metrics: Metrics) -> Self {
        self.metrics = metrics;
        self
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// Checks one upload and, if accepted, keeps a copy.
    async fn check_one(&self, item: &Item<PhotoUploaded>) -> Result<Checked, Reason> {
        let started = Instant::now();
        let key = item.envelope.payload.key.to_string();
        let mut checked = check(&self.objects, &key, &self.limits)
            .await
            .map_err(|e| Reason::with_source("object store unavailable", e))?;
        // The kept key is the upload's own (its random part): a copy never
        // overwrites another upload's.
        if let Some((body, content_type)) = checked.body.take() {
            self.objects
                .put(&item.envelope.payload.key.kept(), content_type, body)
                .await
                .map_err(|e| Reason::with_source("keeping an accepted photo", e))?;
        }
        self.metrics.took(started.elapsed());
        Ok(checked)
    }
}

impl Handler for PhotoChecker {
    type Event = PhotoUploaded;

    async fn handle(&self, batch: &[Item<PhotoUploaded>]) -> Result<Vec<Outcome>, Failure> {
        let results = join_all(batch.iter().map(|item| self.check_one(item))).await;
        let now = OffsetDateTime::now_utc();
        let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(batch.len());
        let mut records = Vec::new();
        let mut recorded_items = Vec::new();
        for (index, (item, result)) in batch.iter().zip(results).enumerate() {
            match result {
                Ok(checked) => {
                    records.push(PhotoCheck {
                        key: item.envelope.payload.key.clone(),
                        size: checked.size,
                        sha256: checked.sha256,
                        dimensions: checked.dimensions,
                        result: checked.result,
                        checked_at: now,
                    });
                    recorded_items.push(index);
                    outcomes.push(None);
                }
                Err(reason) => outcomes.push(Some(Outcome::Retry(reason))),
            }
        }
        let answers = self
            .store
            .record_photo_checks(&records)
            .await
            .map_err(|e| Failure::from_store("record photo checks", e))?;
        for ((record, index), answer) in records.iter().zip(recorded_items).zip(answers) {
            let label = match answer {
                PhotoRecorded::Written => {
                    self.metrics.checked(record.result, record.size);
                    if record.result.is_ok() {
                        ACCEPTED
                    } else {
                        REJECTED
                    }
                }
                PhotoRecorded::AlreadyRecorded => DUPLICATE,
                PhotoRecorded::KeptAccepted => {
                    // Its copy, made before the record said no, goes too;
                    // the accepted photo's copy has another key.
                    if record.result.is_ok() {
                        self.delete(&record.key.kept()).await;
                    }
                    ALREADY_ACCEPTED
                }
            };
            // Checked (recorded, or refused): the upload itself goes.
            if record.size.is_some() {
                self.delete(&record.key.to_string()).await;
            }
            outcomes[index] = Some(Outcome::done(label));
        }
        Ok(outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Outcome::done(DUPLICATE)))
            .collect())
    }
}

impl PhotoChecker {
    /// A failed delete is left to the bucket's lifecycle rule (`incoming/`)
    /// and logged (a stray `kept/` copy is found by its key).
    async fn delete(&self, key: &str) {
        if let Err(error) = self.objects.delete(key).await {
            tracing::warn!(
                error = &error as &dyn std::error::Error,
                "deleting a checked upload failed"
            );
        }
    }
}
