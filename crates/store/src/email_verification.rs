//! Verified email addresses: the gateway's side of a verification link, the
//! per-day limit on re-sent links, the funnel count, and the filter a wave
//! that requires a verified address selects with.

use std::collections::HashSet;

use diesel::dsl::count;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use lonjak_domain::{EmailHash, RegistrationId, Wave};
use time::{Date, OffsetDateTime};

use crate::registrations::wave_db_id;
use crate::schema::registrations;
use crate::{Store, StoreError};

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Integer)]
    count: i32,
}

/// One more request for the day, unless the limit is reached (then no row).
pub(crate) const COUNT_RESEND_SQL: &str = "
INSERT INTO email_verification_resends (registration_id, day, count) VALUES ($1, $2, 1)
ON CONFLICT (registration_id, day) DO UPDATE
   SET count = email_verification_resends.count + 1
   WHERE email_verification_resends.count < $3
RETURNING count";

/// What a resend request may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resend {
    /// Allowed: this is the day's `n`th request (1-based).
    Allowed(u32),
    /// The address is verified already: nothing to send.
    AlreadyVerified,
    /// The day's limit is reached.
    LimitReached,
    /// No recorded registration with this id.
    Unknown,
}

/// How many registrations of a wave there are, and how many of them have
/// verified their email address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmailFunnel {
    pub wave: Wave,
    pub registrations: i64,
    pub email_verified: i64,
}

impl Store {
    /// The address hash a verification link must have been signed over
    /// (`None` on a row from before versioned keys not yet rotated), and
    /// when it was verified, if it was. `None` for an unrecorded
    /// registration. Needs no data key: the address stays sealed.
    pub async fn email_to_verify(
        &self,
        id: &RegistrationId,
    ) -> Result<Option<(Option<EmailHash>, Option<OffsetDateTime>)>, StoreError> {
        let key = id.to_string();
        let row: Option<(Option<Vec<u8>>, Option<OffsetDateTime>)> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(registrations::table
                        .find(key)
                        .select((registrations::email_hash, registrations::email_verified_at))
                        .first(conn)
                        .await
                        .optional()?)
                })
            })
            .await?;
        row.map(|(hash, verified)| {
            let hash = hash
                .map(|bytes| {
                    <[u8; 32]>::try_from(bytes.as_slice())
                        .map(EmailHash::from_bytes)
                        .map_err(|_| StoreError::Decode("email hash length".to_owned()))
                })
                .transpose()?;
            Ok((hash, verified))
        })
        .transpose()
    }

    /// Records that the address of `id` is verified (at `at`, unless it was
    /// before) and returns when it first was: the same answer every time.
    pub async fn mark_email_verified(
        &self,
        id: &RegistrationId,
        at: OffsetDateTime,
    ) -> Result<OffsetDateTime, StoreError> {
        let key = id.to_string();
        self.with_conn(|conn, _| {
            Box::pin(async move {
                let verified: Option<OffsetDateTime> =
                    diesel::update(registrations::table.find(key))
                        .set(
                            registrations::email_verified_at.eq(diesel::dsl::sql::<
                                diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>,
                            >(
                                "COALESCE(email_verified_at, "
                            )
                            .bind::<diesel::sql_types::Timestamptz, _>(at)
                            .sql(")")),
                        )
                        .returning(registrations::email_verified_at)
                        .get_result(conn)
                        .await?;
                verified.ok_or(StoreError::Conflict)
            })
        })
        .await
    }

    /// Counts a request to re-send the link of `id` on `day`, unless `limit`
    /// requests were counted that day already (one atomic statement, so
    /// concurrent requests cannot both take the last one).
    pub async fn count_resend(
        &self,
        id: &RegistrationId,
        day: Date,
        limit: u32,
    ) -> Result<Resend, StoreError> {
        let key = id.to_string();
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        self.transaction(|conn, _| {
            Box::pin(async move {
                let found: Option<Option<OffsetDateTime>> = registrations::table
                    .find(&key)
                    .select(registrations::email_verified_at)
                    .first(conn)
                    .await
                    .optional()?;
                match found {
                    None => return Ok(Resend::Unknown),
                    Some(Some(_)) => return Ok(Resend::AlreadyVerified),
                    Some(None) => {}
                }
                let counted: Option<Counted> = diesel::sql_query(COUNT_RESEND_SQL)
                    .bind::<Text, _>(&key)
                    .bind::<diesel::sql_types::Date, _>(day)
                    .bind::<Integer, _>(limit)
                    .get_result(conn)
                    .await
                    .optional()?;
                let counted = counted.map(|c| c.count);
                Ok(match counted {
                    Some(n) if n <= limit => Resend::Allowed(u32::try_from(n).unwrap_or(u32::MAX)),
                    _ => Resend::LimitReached,
                })
            })
        })
        .await
    }

    /// Registrations and verified addresses per wave (the funnel's email
    /// step; `lonjak-ops funnel` prints it).
    pub async fn email_funnel(&self) -> Result<Vec<EmailFunnel>, StoreError> {
        let rows: Vec<(i32, i64, i64)> = self
            .with_conn(|conn, _| {
                Box::pin(async move {
                    Ok(registrations::table
                        .group_by(registrations::wave_id)
                        .select((
                            registrations::wave_id,
                            count(registrations::id),
                            count(registrations::email_verified_at),
                        ))
                        .order(registrations::wave_id)
                        .load(conn)
                        .await?)
                })
            })
            .await?;
        rows.into_iter()
            .map(|(wave, registrations, email_verified)| {
                let wave = u32::try_from(wave)
                    .ok()
                    .and_then(|w| Wave::new(w).ok())
                    .ok_or_else(|| StoreError::Decode(format!("wave {wave}")))?;
                Ok(EmailFunnel {
                    wave,
                    registrations,
                    email_verified,
                })
            })
            .collect()
    }
}

/// Which of `ids` have a verified email address: the filter of a wave that
/// requires one for selection, run inside the selection's own transaction.
pub async fn email_verified_among(
    conn: &mut AsyncPgConnection,
    wave: Wave,
    ids: &[RegistrationId],
) -> Result<HashSet<RegistrationId>, StoreError> {
    let keys: Vec<String> = ids.iter().map(RegistrationId::to_string).collect();
    let found: Vec<String> = registrations::table
        .filter(registrations::wave_id.eq(wave_db_id(wave)?))
        .filter(registrations::id.eq_any(keys))
        .filter(registrations::email_verified_at.is_not_null())
        .select(registrations::id)
        .load(conn)
        .await?;
    found
        .iter()
        .map(|id| {
            RegistrationId::parse(id)
                .map_err(|_| StoreError::Decode(format!("registration id {id:?}")))
        })
        .collect()
}
