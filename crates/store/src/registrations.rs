//! Registrations: status look-ups, waves, and reading back encrypted
//! identifiers. Rows are written by [`Store::record_verifications`].

use std::str::FromStr;
use std::sync::LazyLock;

use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use lonjak_domain::{RegistrationId, RegistrationStatus, RejectionReason, Transition, Wave};
use time::OffsetDateTime;

use crate::crypto::Field;
use crate::personal::StoredPersonal;
use crate::schema::{registrations, status_history, waves};
use crate::selection_sql::{EFFECTIVE_REASON, EFFECTIVE_STATUS};
use crate::{StatusView, Store, StoreError};

/// One `status_history` row; only ever built from a [`Transition`] (or the
/// first `queued` entry), so history holds nothing the state machine refused.
#[derive(Insertable)]
#[diesel(table_name = status_history)]
pub(crate) struct HistoryRow<'a> {
    registration_id: &'a str,
    from_status: Option<&'a str>,
    to_status: &'a str,
    reason: Option<&'a str>,
    /// `None` is the column's default, the transaction's `now()`.
    at: Option<OffsetDateTime>,
}

impl<'a> HistoryRow<'a> {
    /// The first entry of a registration: received into the queue.
    pub(crate) fn queued(registration_id: &'a str, at: OffsetDateTime) -> Self {
        Self {
            registration_id,
            from_status: None,
            to_status: RegistrationStatus::Queued.as_str(),
            reason: None,
            at: Some(at),
        }
    }

    /// The entry of one transition.
    pub(crate) fn of(registration_id: &'a str, t: Transition, at: Option<OffsetDateTime>) -> Self {
        Self {
            registration_id,
            from_status: Some(t.from().as_str()),
            to_status: t.to().as_str(),
            reason: t.reason().map(RejectionReason::as_str),
            at,
        }
    }
}

/// A registration's state as the applicant sees it: selection leaves its
/// applicants `scored` and records decisions beside them
/// (crate::selection), as of the wave's selection time.
static STATUS: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {EFFECTIVE_STATUS} AS status, {EFFECTIVE_REASON} AS reason,
                CASE WHEN r.status = 'scored' AND w.state IN ('selected', 'announced')
                     THEN greatest(r.updated_at, coalesce(w.selected_at, r.updated_at))
                     ELSE r.updated_at END AS updated_at,
                r.email_verified_at
           FROM registrations r JOIN waves w ON w.id = r.wave_id
          WHERE r.id = $1"
    )
});

#[derive(QueryableByName)]
struct StatusRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    reason: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    updated_at: OffsetDateTime,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    email_verified_at: Option<OffsetDateTime>,
}

impl Store {
    /// Creates the wave row if it is missing. The quota stays 0 until an
    /// operator sets it, so nobody is selected from an unsized wave.
    pub async fn ensure_wave(&self, wave: Wave) -> Result<(), StoreError> {
        let wave_id = wave_db_id(wave)?;
        self.with_conn(|conn, _| Box::pin(insert_wave(conn, wave_id)))
            .await
    }

    /// The public status of a registration, or `None` if the store has no row
    /// for it (yet).
    pub async fn registration_status(
        &self,
        id: &RegistrationId,
    ) -> Result<Option<StatusView>, StoreError> {
        let key = id.to_string();
        let row: Option<StatusRow> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    let rows: Vec<StatusRow> = diesel::sql_query(STATUS.as_str())
                        .bind::<diesel::sql_types::Text, _>(key)
                        .load(conn)
                        .await?;
                    Ok(rows.into_iter().next())
                })
            })
            .await?;
        row.map(|row| {
            Ok(StatusView {
                registration_id: *id,
                status: parse_status(&row.status)?,
                reason: row.reason.as_deref().map(parse_reason).transpose()?,
                updated_at: row.updated_at,
                email_verified: row.email_verified_at.is_some(),
            })
        })
        .transpose()
    }

    /// The clear NIK of a stored registration, decrypted with the data key.
    /// For the rare paths that must show or re-send it; never log the result.
    /// `None` for an unknown or erased registration.
    pub async fn decrypt_nik(&self, id: &RegistrationId) -> Result<Option<String>, StoreError> {
        let id = id.to_string();
        let key = id.clone();
        let stored: Option<StoredPersonal> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    // An erased row has nothing left to decrypt.
                    Ok(registrations::table
                        .find(key)
                        .filter(crate::retention::not_erased())
                        .select(StoredPersonal::as_select())
                        .first(conn)
                        .await
                        .optional()?)
                })
            })
            .await?;
        stored
            .map(|stored| stored.open(self.data_key()?, &id, Field::Nik))
            .transpose()
    }
}

pub(crate) async fn insert_wave(
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

pub(crate) fn wave_db_id(wave: Wave) -> Result<i32, StoreError> {
    i32::try_from(wave.get())
        .map_err(|_| StoreError::Config(format!("wave {} exceeds the stored range", wave.get())))
}

pub(crate) fn parse_status(value: &str) -> Result<RegistrationStatus, StoreError> {
    RegistrationStatus::from_str(value)
        .map_err(|_| StoreError::Decode(format!("unknown registration status {value:?}")))
}

pub(crate) fn parse_reason(value: &str) -> Result<RejectionReason, StoreError> {
    RejectionReason::from_str(value)
        .map_err(|_| StoreError::Decode(format!("unknown rejection reason {value:?}")))
}
