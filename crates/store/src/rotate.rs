//! Key rotation: re-seals registrations under the ring's current key
//! version, one short transaction per batch, while the pipeline runs.
//!
//! Batches walk the primary key (keyset pagination: `id > last`), so a
//! batch costs the same at the end of two million rows as at the start, and
//! each locks only its own rows for the few milliseconds its encryption
//! and updates take. Rows already at the current version are never picked,
//! which makes a pass idempotent: an interrupted one is resumed by running
//! it again. Rows from before versioned keys (`key_version IS NULL`) are
//! sealed the same way, their clear columns emptied, and their contact
//! hashes derived (with the identity key) if they have none.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use lonjak_domain::{EmailHash, IdentityKey, PhoneHash};

use crate::personal::{StoredPersonal, seal_fields};
use crate::schema::registrations;
use crate::{KeyRing, Store, StoreError};

/// What one batch of a rotation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotatedBatch {
    /// Rows re-sealed under the current version.
    pub rotated: usize,
    /// The last id of the batch: where the next batch starts. `None` when
    /// nothing was left after the starting point.
    pub last_id: Option<String>,
}

type RotateRow = (String, StoredPersonal, Option<Vec<u8>>, Option<Vec<u8>>);

impl Store {
    /// Re-seals up to `limit` registrations after `after` (in id order) that
    /// are not at the current key version, in one transaction. `identity`
    /// is needed only for rows from before versioned keys that have no
    /// contact hashes yet.
    #[tracing::instrument(skip_all, fields(batch.limit = limit))]
    pub async fn rotate_keys_batch(
        &self,
        after: Option<&str>,
        limit: i64,
        identity: Option<&IdentityKey>,
    ) -> Result<RotatedBatch, StoreError> {
        let ring = self.data_key()?;
        let after = after.map(str::to_owned);
        self.transaction(|conn, _| Box::pin(rotate_batch(conn, ring, after, limit, identity)))
            .await
    }

    /// How many registrations are not at the current key version yet.
    pub async fn rows_to_rotate(&self) -> Result<i64, StoreError> {
        let current = i16::from(self.data_key()?.current_version());
        self.with_conn(|conn, _| {
            Box::pin(async move {
                Ok(registrations::table
                    .filter(
                        registrations::key_version
                            .is_null()
                            .or(registrations::key_version.ne(current)),
                    )
                    .filter(crate::retention::not_erased())
                    .count()
                    .get_result(conn)
                    .await?)
            })
        })
        .await
    }

    /// The current key version of the store's ring.
    pub fn current_key_version(&self) -> Result<u8, StoreError> {
        Ok(self.data_key()?.current_version())
    }

    /// Every version the store's ring can read, oldest first.
    pub fn key_versions(&self) -> Result<Vec<u8>, StoreError> {
        Ok(self.data_key()?.versions())
    }
}

async fn rotate_batch(
    conn: &mut AsyncPgConnection,
    ring: &KeyRing,
    after: Option<String>,
    limit: i64,
    identity: Option<&IdentityKey>,
) -> Result<RotatedBatch, StoreError> {
    let current = i16::from(ring.current_version());
    // Every id sorts after the empty string: the first batch starts there.
    let after = after.unwrap_or_default();
    let rows: Vec<RotateRow> = registrations::table
        .filter(registrations::id.gt(after))
        .filter(
            registrations::key_version
                .is_null()
                .or(registrations::key_version.ne(current)),
        )
        // Erased rows have nothing left to seal.
        .filter(crate::retention::not_erased())
        .order(registrations::id)
        .limit(limit)
        .select((
            registrations::id,
            StoredPersonal::as_select(),
            registrations::email_hash,
            registrations::phone_hash,
        ))
        .for_update()
        .load(conn)
        .await?;
    let last_id = rows.last().map(|row| row.0.clone());
    for (id, stored, email_hash, phone_hash) in &rows {
        let fields = stored.open_all(ring, id)?;
        let sealed = seal_fields(ring, id, &fields)?;
        let hashes = match (email_hash, phone_hash) {
            (Some(email), Some(phone)) => (email.clone(), phone.clone()),
            _ => {
                let key = identity.ok_or_else(|| {
                    StoreError::Config(
                        "rows from before versioned keys need the identity key \
                         (identity.key) to derive their contact hashes"
                            .to_owned(),
                    )
                })?;
                (
                    EmailHash::derive(key, &fields.email).as_bytes().to_vec(),
                    PhoneHash::derive(key, &fields.phone).as_bytes().to_vec(),
                )
            }
        };
        diesel::update(registrations::table.find(id))
            .set((
                registrations::key_version.eq(sealed.version),
                registrations::nik_ciphertext.eq(&sealed.nik),
                registrations::kk_ciphertext.eq(&sealed.kk),
                registrations::full_name_ciphertext.eq(&sealed.full_name),
                registrations::email_ciphertext.eq(&sealed.email),
                registrations::phone_ciphertext.eq(&sealed.phone),
                registrations::birth_date_ciphertext.eq(&sealed.birth_date),
                registrations::email_hash.eq(&hashes.0),
                registrations::phone_hash.eq(&hashes.1),
                registrations::full_name.eq(None::<String>),
                registrations::email.eq(None::<String>),
                registrations::phone.eq(None::<String>),
                registrations::birth_date.eq(None::<time::Date>),
            ))
            .execute(conn)
            .await?;
    }
    Ok(RotatedBatch {
        rotated: rows.len(),
        last_id,
    })
}
