//! A registration's personal fields as the `registrations` row holds them:
//! sealed under one key version, or (rows from before versioned keys,
//! `key_version IS NULL`) NIK and KK sealed without a header and the rest in
//! clear columns. Every reader goes through [`StoredPersonal`], so both kinds
//! of row read the same until `lonjak-ops keys rotate` has rewritten them.

use diesel::prelude::*;
use time::{Date, Month};

use crate::crypto::{self, Field, KeyRing};
use crate::schema::registrations;
use crate::{NewRegistration, StoreError};

/// The six personal fields in clear. Never logged: `Debug` shows nothing.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct PersonalFields {
    pub nik: String,
    pub kk_number: String,
    pub full_name: String,
    pub email: String,
    pub phone: String,
    pub birth_date: Date,
}

impl std::fmt::Debug for PersonalFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PersonalFields(<redacted>)")
    }
}

impl PersonalFields {
    pub(crate) fn of(reg: &NewRegistration) -> Self {
        Self {
            nik: reg.nik.clone(),
            kk_number: reg.kk_number.clone(),
            full_name: reg.full_name.clone(),
            email: reg.email.clone(),
            phone: reg.phone.clone(),
            birth_date: reg.birth_date,
        }
    }
}

/// The ciphertexts of one row, all under the ring's current version.
pub(crate) struct SealedFields {
    pub version: i16,
    pub nik: Vec<u8>,
    pub kk: Vec<u8>,
    pub full_name: Vec<u8>,
    pub email: Vec<u8>,
    pub phone: Vec<u8>,
    pub birth_date: Vec<u8>,
}

/// Seals every field of registration `id` under the current key.
pub(crate) fn seal_fields(
    ring: &KeyRing,
    id: &str,
    p: &PersonalFields,
) -> Result<SealedFields, StoreError> {
    Ok(SealedFields {
        version: i16::from(ring.current_version()),
        nik: crypto::seal(ring, Field::Nik, id, &p.nik)?,
        kk: crypto::seal(ring, Field::KkNumber, id, &p.kk_number)?,
        full_name: crypto::seal(ring, Field::FullName, id, &p.full_name)?,
        email: crypto::seal(ring, Field::Email, id, &p.email)?,
        phone: crypto::seal(ring, Field::Phone, id, &p.phone)?,
        birth_date: crypto::seal(ring, Field::BirthDate, id, &iso_date(p.birth_date))?,
    })
}

/// The personal columns of a row, as read.
#[derive(Queryable, Selectable)]
#[diesel(table_name = registrations)]
pub(crate) struct StoredPersonal {
    key_version: Option<i16>,
    nik_ciphertext: Vec<u8>,
    kk_ciphertext: Vec<u8>,
    full_name: Option<String>,
    full_name_ciphertext: Option<Vec<u8>>,
    email: Option<String>,
    email_ciphertext: Option<Vec<u8>>,
    phone: Option<String>,
    phone_ciphertext: Option<Vec<u8>>,
    birth_date: Option<Date>,
    birth_date_ciphertext: Option<Vec<u8>>,
}

impl StoredPersonal {
    /// One field of registration `id`, in clear.
    pub(crate) fn open(
        &self,
        ring: &KeyRing,
        id: &str,
        field: Field,
    ) -> Result<String, StoreError> {
        let (clear, sealed) = match field {
            Field::Nik => (None, Some(&self.nik_ciphertext)),
            Field::KkNumber => (None, Some(&self.kk_ciphertext)),
            Field::FullName => (self.full_name.clone(), self.full_name_ciphertext.as_ref()),
            Field::Email => (self.email.clone(), self.email_ciphertext.as_ref()),
            Field::Phone => (self.phone.clone(), self.phone_ciphertext.as_ref()),
            Field::BirthDate => (
                self.birth_date.map(iso_date),
                self.birth_date_ciphertext.as_ref(),
            ),
        };
        match (self.key_version, sealed, clear) {
            (Some(_), Some(sealed), _) => crypto::open(ring, field, id, sealed),
            (None, Some(sealed), _) if matches!(field, Field::Nik | Field::KkNumber) => {
                crypto::open_legacy(ring, field, id, sealed)
            }
            (None, _, Some(clear)) => Ok(clear),
            _ => Err(StoreError::Decode(format!(
                "registration {id}: {field:?} is neither sealed nor from before versioned keys"
            ))),
        }
    }

    /// The birth date of registration `id`.
    pub(crate) fn birth_date(&self, ring: &KeyRing, id: &str) -> Result<Date, StoreError> {
        birth_date_of(
            ring,
            id,
            self.key_version,
            self.birth_date,
            self.birth_date_ciphertext.as_deref(),
        )
    }

    /// The key version each sealed field's header names (NIK, KK, name,
    /// email, phone, birth date; `None` for a field not sealed with a
    /// header). `keys verify` holds them against `key_version`.
    pub(crate) fn header_versions(&self) -> [Option<u8>; 6] {
        let header = |sealed: Option<&Vec<u8>>| match self.key_version {
            Some(_) => sealed.and_then(|s| s.first().copied()),
            None => None,
        };
        [
            header(Some(&self.nik_ciphertext)),
            header(Some(&self.kk_ciphertext)),
            header(self.full_name_ciphertext.as_ref()),
            header(self.email_ciphertext.as_ref()),
            header(self.phone_ciphertext.as_ref()),
            header(self.birth_date_ciphertext.as_ref()),
        ]
    }

    /// The row's `key_version` (`None`: from before versioned keys).
    pub(crate) fn key_version(&self) -> Option<i16> {
        self.key_version
    }

    /// Every field of registration `id`, in clear.
    pub(crate) fn open_all(&self, ring: &KeyRing, id: &str) -> Result<PersonalFields, StoreError> {
        Ok(PersonalFields {
            nik: self.open(ring, id, Field::Nik)?,
            kk_number: self.open(ring, id, Field::KkNumber)?,
            full_name: self.open(ring, id, Field::FullName)?,
            email: self.open(ring, id, Field::Email)?,
            phone: self.open(ring, id, Field::Phone)?,
            birth_date: self.birth_date(ring, id)?,
        })
    }
}

/// The birth date of registration `id` from its columns (for queries that
/// read only this field).
pub(crate) fn birth_date_of(
    ring: &KeyRing,
    id: &str,
    key_version: Option<i16>,
    clear: Option<Date>,
    sealed: Option<&[u8]>,
) -> Result<Date, StoreError> {
    match (key_version, clear, sealed) {
        (None, Some(date), _) => Ok(date),
        (Some(_), _, Some(sealed)) => {
            parse_iso_date(&crypto::open(ring, Field::BirthDate, id, sealed)?)
        }
        _ => Err(StoreError::Decode(format!(
            "registration {id}: the birth date is neither sealed nor in clear"
        ))),
    }
}

/// `YYYY-MM-DD`, as sealed.
fn iso_date(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn parse_iso_date(text: &str) -> Result<Date, StoreError> {
    let bad = || StoreError::Decode("sealed birth date is not YYYY-MM-DD".to_owned());
    let mut parts = text.splitn(3, '-');
    let mut next = || parts.next().ok_or_else(bad);
    let (year, month, day) = (next()?, next()?, next()?);
    let year: i32 = year.parse().map_err(|_| bad())?;
    let month: u8 = month.parse().map_err(|_| bad())?;
    let day: u8 = day.parse().map_err(|_| bad())?;
    let month = Month::try_from(month).map_err(|_| bad())?;
    Date::from_calendar_date(year, month, day).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birth_dates_round_trip_through_their_sealed_text() {
        for date in [
            time::macros::date!(2002 - 05 - 02),
            time::macros::date!(1960 - 12 - 31),
        ] {
            assert_eq!(parse_iso_date(&iso_date(date)).expect("parses"), date);
        }
        assert!(parse_iso_date("2002-13-01").is_err());
        assert!(parse_iso_date("2002-05").is_err());
    }
}
