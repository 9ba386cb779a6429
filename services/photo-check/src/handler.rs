//! The photo-check worker's work on a batch of `photo.uploaded` deliveries:
//! each object is checked against the object store (concurrently), accepted
//! ones are copied out of `incoming/` (beyond the lifecycle rule), then one
//! transaction records every result, then the checked uploads are deleted
//! from `incoming/`. A redelivery (a crash before the ack) finds its key
//! recorded and changes nothing. The runtime (`lonjak-worker`) settles.

use futures::future::join_all;
use lonjak_domain::PhotoLimits;
use lonjak_domain::photo::PhotoUploaded;
use lonjak_photos::ObjectStore;
use lonjak_store::{PhotoCheck, PhotoRecorded, Store};
use lonjak_worker::{Failure, Handler, Item, Outcome, Reason};
use time::OffsetDateTime;

use crate::check::{Checked, check};

/// Outcome labels (metrics).
pub const ACCEPTED: &str = "accepted";
pub const REJECTED: &str = "rejected";
pub const DUPLICATE: &str = "duplicate";

pub struct PhotoChecker {
    pub(crate) objects: ObjectStore,
    pub(crate) store: Store,
    pub(crate) limits: PhotoLimits,
}

impl PhotoChecker {
    pub fn new(objects: ObjectStore, store: Store, limits: PhotoLimits) -> Self {
        Self {
            objects,
            store,
            limits,
        }
    }

    /// Checks one upload and, if accepted, keeps a copy.
    async fn check_one(&self, item: &Item<PhotoUploaded>) -> Result<Checked, Reason> {
        let key = item.envelope.payload.key.to_string();
        let mut checked = check(&self.objects, &key, &self.limits)
            .await
            .map_err(|e| Reason::with_source("object store unavailable", e))?;
        if let Some((body, content_type)) = checked.body.take() {
            self.objects
                .put(&item.envelope.payload.key.kept(), content_type, body)
                .await
                .map_err(|e| Reason::with_source("keeping an accepted photo", e))?;
        }
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
            let label = match (answer, record.result) {
                (PhotoRecorded::Written, Ok(())) => ACCEPTED,
                (PhotoRecorded::Written, Err(_)) => REJECTED,
                (PhotoRecorded::AlreadyRecorded | PhotoRecorded::KeptAccepted, _) => DUPLICATE,
            };
            // Checked and recorded (or kept elsewhere): the upload itself
            // goes. A failed delete is left to the bucket's lifecycle rule.
            if answer != PhotoRecorded::KeptAccepted
                && record.size.is_some()
                && let Err(error) = self.objects.delete(&record.key.to_string()).await
            {
                tracing::warn!(
                    error = &error as &dyn std::error::Error,
                    "deleting a checked upload failed; the lifecycle rule will"
                );
            }
            outcomes[index] = Some(Outcome::done(label));
        }
        Ok(outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| Outcome::done(DUPLICATE)))
            .collect())
    }
}
