//! Key verification: opens every personal field of every stored registration
//! with the configured ring, batch after batch, and says which key version
//! each row is under and which rows do not open.
//!
//! It proves what `lonjak-ops keys rotate`'s count alone cannot: run with a
//! ring that holds only the new key, every row decrypts, so the old key can
//! go. Read-only, in id order (keyset pagination like rotation), one short
//! read per batch without locks, so it runs beside the pipeline.

use std::collections::BTreeMap;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use crate::personal::StoredPersonal;
use crate::schema::registrations;
use crate::{Store, StoreError};

/// A row that did not open, and why (never a field's value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyFailure {
    /// The registration's id.
    pub id: String,
    /// What failed: a version the ring lacks, a ciphertext that does not
    /// authenticate, or a header that disagrees with `key_version`.
    pub reason: String,
}

/// What one batch of a verification found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifiedBatch {
    /// Rows read (erased rows are not: nothing personal is left in them).
    pub checked: usize,
    /// Rows whose every field opened, by `key_version` (`None`: a row from
    /// before versioned keys).
    pub opened: BTreeMap<Option<i16>, u64>,
    /// Rows that did not open.
    pub failures: Vec<KeyFailure>,
    /// Where the next batch starts; `None` when nothing was left.
    pub last_id: Option<String>,
}

impl Store {
    /// Opens every personal field of up to `limit` registrations after
    /// `after` (in id order) with the store's ring.
    #[tracing::instrument(skip_all, fields(batch.limit = limit))]
    pub async fn verify_keys_batch(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<VerifiedBatch, StoreError> {
        let ring = self.data_key()?;
        // Every id sorts after the empty string: the first batch starts there.
        let after = after.unwrap_or_default().to_owned();
        let rows: Vec<(String, StoredPersonal)> = self
            .with_conn(move |conn, _| {
                Box::pin(async move {
                    Ok(registrations::table
                        .filter(registrations::id.gt(after))
                        .filter(crate::retention::not_erased())
                        .order(registrations::id)
                        .limit(limit)
                        .select((registrations::id, StoredPersonal::as_select()))
                        .load(conn)
                        .await?)
                })
            })
            .await?;
        let mut batch = VerifiedBatch {
            checked: rows.len(),
            last_id: rows.last().map(|row| row.0.clone()),
            ..VerifiedBatch::default()
        };
        for (id, stored) in rows {
            match check_row(ring, &id, &stored) {
                Ok(()) => *batch.opened.entry(stored.key_version()).or_default() += 1,
                Err(reason) => batch.failures.push(KeyFailure { id, reason }),
            }
        }
        Ok(batch)
    }
}

/// Every field of one row opens, and (for a versioned row) every field's
/// header names the row's `key_version`.
fn check_row(ring: &crate::KeyRing, id: &str, stored: &StoredPersonal) -> Result<(), String> {
    stored.open_all(ring, id).map_err(|err| match err {
        StoreError::Crypto => "a field does not open with its key version's key".to_owned(),
        other => other.to_string(),
    })?;
    if let Some(version) = stored.key_version() {
        let headers = stored.header_versions();
        if headers
            .iter()
            .any(|header| header.map(i16::from) != Some(version))
        {
            return Err(format!(
                "a field's header names another key version than key_version {version}"
            ));
        }
    }
    Ok(())
}
