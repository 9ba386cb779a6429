//! Registrations: the idempotent first insert, status look-ups, and reading
//! back encrypted identifiers.

use std::str::FromStr;

use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use lonjak_domain::{RegistrationId, RegistrationStatus, RejectionReason, Wave};
use time::{Date, OffsetDateTime};

use crate::crypto::{self, Field};
use crate::schema::{registrations, status_history, waves};
use crate::{BeginOutcome, NewRegistration, StatusView, Store, StoreError};

#[derive(Insertable)]
#[diesel(table_name = registrations)]
struct RegistrationRow<'a> {
    id: &'a str,
    wave_id: i32,
    nik_hash: &'a [u8],
    kk_hash: &'a [u8],
    nik_ciphertext: &'a [u8],
    kk_ciphertext: &'a [u8],
    full_name: &'a str,
    email: &'a str,
    phone: &'a str,
    birth_date: Date,
    employment_status: &'a str,
    in_education: bool,
    status: &'a str,
    submitted_at: OffsetDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = status_history)]
pub(crate) struct HistoryRow<'a> {
    pub(crate) registration_id: &'a str,
    pub(crate) from_status: Option<&'a str>,
    pub(crate) to_status: &'a str,
    pub(crate) reason: Option<&'a str>,
}

impl Store {
    /// Creates the wave row if it is missing. The quota stays 0 until an
    /// operator sets it, so nobody is selected from an unsized wave.
    pub async fn ensure_wave(&self, wave: Wave) -> Result<(), StoreError> {
        let mut conn = self.conn().await?;
        insert_wave(&mut conn, wave_db_id(wave)?).await
    }

    /// The public status of a registration, or `None` if the store has no row
    /// for it (yet).
    pub async fn registration_status(
        &self,
        id: &RegistrationId,
    ) -> Result<Option<StatusView>, StoreError> {
        let mut conn = self.conn().await?;
        let row: Option<(String, Option<String>, OffsetDateTime)> = registrations::table
            .find(id.to_string())
            .select((
                registrations::status,
                registrations::reason,
                registrations::updated_at,
            ))
            .first(&mut conn)
            .await
            .optional()?;
        row.map(|(status, reason, updated_at)| {
            Ok(StatusView {
                registration_id: *id,
                status: parse_status(&status)?,
                reason: reason.as_deref().map(parse_reason).transpose()?,
                updated_at,
            })
        })
        .transpose()
    }

    /// Idempotent insert and move to `verifying`, in one transaction: the row,
    /// plus history rows for `queued` and `verifying`. A row that already
    /// exists, by id or by (NIK hash, wave), is never duplicated; the outcome
    /// says what the caller should do instead.
    #[tracing::instrument(skip_all, fields(registration.id = %reg.id))]
    pub async fn begin_verification(
        &self,
        reg: &NewRegistration,
    ) -> Result<BeginOutcome, StoreError> {
        let id = reg.id.to_string();
        let wave_id = wave_db_id(reg.wave)?;
        let nik_ciphertext = crypto::seal(self.data_key()?, Field::Nik, &id, &reg.nik)?;
        let kk_ciphertext = crypto::seal(self.data_key()?, Field::KkNumber, &id, &reg.kk_number)?;
        let mut conn = self.conn().await?;
        // Owned captures: the transaction future must not borrow locals of
        // this function.
        conn.transaction(async move |conn| {
            let row = RegistrationRow {
                id: &id,
                wave_id,
                nik_hash: &reg.nik_hash.as_bytes()[..],
                kk_hash: &reg.kk_hash.as_bytes()[..],
                nik_ciphertext: &nik_ciphertext,
                kk_ciphertext: &kk_ciphertext,
                full_name: &reg.full_name,
                email: &reg.email,
                phone: &reg.phone,
                birth_date: reg.birth_date,
                employment_status: &reg.employment_status,
                in_education: reg.in_education,
                status: RegistrationStatus::Verifying.as_str(),
                submitted_at: reg.submitted_at,
            };
            insert_wave(conn, wave_id).await?;
            // No conflict target: both the primary key and the (NIK hash,
            // wave) key turn a second insert into a no-op.
            let inserted = diesel::insert_into(registrations::table)
                .values(&row)
                .on_conflict_do_nothing()
                .execute(conn)
                .await?;
            if inserted == 1 {
                let queued = RegistrationStatus::Queued.as_str();
                let verifying = RegistrationStatus::Verifying.as_str();
                let history = [
                    HistoryRow {
                        registration_id: &id,
                        from_status: None,
                        to_status: queued,
                        reason: None,
                    },
                    HistoryRow {
                        registration_id: &id,
                        from_status: Some(queued),
                        to_status: verifying,
                        reason: None,
                    },
                ];
                diesel::insert_into(status_history::table)
                    .values(&history[..])
                    .execute(conn)
                    .await?;
                return Ok(BeginOutcome::Started);
            }
            existing_outcome(conn, &id, &reg.nik_hash.as_bytes()[..], wave_id).await
        })
        .await
    }

    /// The clear NIK of a stored registration, decrypted with the data key.
    /// For the rare paths that must show or re-send it; never log the result.
    pub async fn decrypt_nik(&self, id: &RegistrationId) -> Result<Option<String>, StoreError> {
        let id = id.to_string();
        let mut conn = self.conn().await?;
        let sealed: Option<Vec<u8>> = registrations::table
            .find(&id)
            .select(registrations::nik_ciphertext)
            .first(&mut conn)
            .await
            .optional()?;
        sealed
            .map(|sealed| crypto::open(self.data_key()?, Field::Nik, &id, &sealed))
            .transpose()
    }
}

/// What to tell the caller when the insert found a row already there.
async fn existing_outcome(
    conn: &mut diesel_async::AsyncPgConnection,
    id: &str,
    nik_hash: &[u8],
    wave_id: i32,
) -> Result<BeginOutcome, StoreError> {
    let same_id: Option<String> = registrations::table
        .find(id)
        .select(registrations::status)
        .first(conn)
        .await
        .optional()?;
    if let Some(status) = same_id {
        let status = parse_status(&status)?;
        return Ok(match status {
            RegistrationStatus::Verifying => BeginOutcome::Resumed,
            status => BeginOutcome::AlreadyDone { status },
        });
    }
    // Same person and wave under another id: only possible if the identity
    // key changed mid-wave. The first registration wins; this one is done.
    let status: String = registrations::table
        .filter(registrations::nik_hash.eq(nik_hash))
        .filter(registrations::wave_id.eq(wave_id))
        .select(registrations::status)
        .first(conn)
        .await?;
    tracing::warn!("registration duplicates another id for the same person and wave");
    Ok(BeginOutcome::AlreadyDone {
        status: parse_status(&status)?,
    })
}

async fn insert_wave(
    conn: &mut diesel_async::AsyncPgConnection,
    wave_id: i32,
) -> Result<(), StoreError> {
    diesel::insert_into(waves::table)
        .values((
            waves::id.eq(wave_id),
            waves::name.eq(format!("wave {wave_id}")),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    Ok(())
}

fn wave_db_id(wave: Wave) -> Result<i32, StoreError> {
    i32::try_from(wave.get())
        .map_err(|_| StoreError::Config(format!("wave {} exceeds the stored range", wave.get())))
}

pub(crate) fn parse_status(value: &str) -> Result<RegistrationStatus, StoreError> {
    RegistrationStatus::from_str(value)
        .map_err(|_| StoreError::Decode(format!("unknown registration status {value:?}")))
}

fn parse_reason(value: &str) -> Result<RejectionReason, StoreError> {
    RejectionReason::from_str(value)
        .map_err(|_| StoreError::Decode(format!("unknown rejection reason {value:?}")))
}
