//! Deterministic generators of valid applicants for tests (feature
//! `testing`). Every value is synthetic; `sample_request(i, today)` gives a
//! different NIK, KK number, email and phone for every `i` below
//! [`SAMPLE_COUNT`].

use time::{Date, Month, macros::date};

use crate::{
    EmploymentStatus, IdentityKey, PROVINCE_CODES, Registration, RegistrationRequest, Wave,
};

/// How many distinct applicants the generators produce before repeating.
pub const SAMPLE_COUNT: u64 = PROVINCE_CODES.len() as u64 * 10_000 * 9_999;

/// A plausible submission date: the day the first wave opened in 2020.
pub const SAMPLE_TODAY: Date = date!(2020 - 04 - 11);

const FIRST_NAMES: [&str; 12] = [
    "Siti",
    "Budi",
    "Dewi",
    "Agus",
    "Ni Luh",
    "I Made",
    "Nur'aini",
    "Rizky",
    "Putri",
    "Yohanes",
    "Fransiska",
    "Ahmad",
];
const LAST_NAMES: [&str; 12] = [
    "Rahayu",
    "Santoso",
    "Wijaya",
    "Hutapea",
    "Sari",
    "Ketut Ayu",
    "Simanjuntak",
    "Pratama",
    "Nasution",
    "Lestari",
    "Kurniawan",
    "Ma'ruf",
];

/// SplitMix64: a cheap, well-mixed hash of the index, so that neighbouring
/// indices get unrelated birth dates and names.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A NIK for applicant `seed` born on `birth_date`: province, regency and
/// district and serial are taken from `seed` (distinct for distinct seeds
/// below [`SAMPLE_COUNT`]), sex from the seed's hash.
pub fn nik_for(seed: u64, birth_date: Date) -> String {
    let seed = seed % SAMPLE_COUNT;
    let serial = seed % 9_999 + 1;
    let area = (seed / 9_999) % 10_000;
    let province = PROVINCE_CODES[(seed / 9_999 / 10_000) as usize % PROVINCE_CODES.len()];
    let female = mix(seed) & 1 == 1;
    let day = birth_date.day() + if female { 40 } else { 0 };
    format!(
        "{province:02}{area:04}{day:02}{:02}{:02}{serial:04}",
        u8::from(birth_date.month()),
        birth_date.year().rem_euclid(100),
    )
}

/// The birth date of applicant `seed`: 19 to 58 calendar years before
/// `today`, so always at least 18 on `today`.
pub fn birth_date_for(seed: u64, today: Date) -> Date {
    let h = mix(seed);
    let year = today.year() - 19 - (h % 40) as i32;
    let month = Month::try_from(1 + ((h >> 8) % 12) as u8).unwrap_or(Month::January);
    let day = 1 + ((h >> 16) % 28) as u8;
    Date::from_calendar_date(year, month, day).unwrap_or(date!(1990 - 01 - 01))
}

/// A valid NIK (consistent with [`birth_date_for`]`(seed, SAMPLE_TODAY)`).
pub fn valid_nik(seed: u64) -> String {
    nik_for(seed, birth_date_for(seed, SAMPLE_TODAY))
}

/// A valid, normalised request for applicant `i`, at least 18 on `today`,
/// not in education, wave 1. Parsing it with `today` succeeds, and
/// `to_request` of the result gives back the same request.
pub fn sample_request(i: u64, today: Date) -> RegistrationRequest {
    let h = mix(i);
    let birth_date = birth_date_for(i, today);
    let province = PROVINCE_CODES[(h % PROVINCE_CODES.len() as u64) as usize];
    RegistrationRequest {
        nik: Some(nik_for(i, birth_date)),
        kk_number: Some(format!("{province:02}{:014}", i % 100_000_000_000_000)),
        full_name: Some(format!(
            "{} {}",
            FIRST_NAMES[(h >> 24) as usize % FIRST_NAMES.len()],
            LAST_NAMES[(h >> 32) as usize % LAST_NAMES.len()]
        )),
        birth_date: Some(format!(
            "{:04}-{:02}-{:02}",
            birth_date.year(),
            u8::from(birth_date.month()),
            birth_date.day()
        )),
        email: Some(format!("applicant{i}@example.id")),
        phone: Some(format!("+628{:010}", i % 10_000_000_000)),
        employment_status: Some(
            EmploymentStatus::ALL[(i % EmploymentStatus::ALL.len() as u64) as usize]
                .as_str()
                .to_owned(),
        ),
        in_education: Some(false),
        wave: Some(1),
        language: None,
    }
}

/// [`sample_request`] parsed.
///
/// # Panics
/// Never for the requests this module generates; a panic is a bug here.
pub fn sample_registration(i: u64, today: Date) -> Registration {
    match Registration::parse(&sample_request(i, today), today, Wave::FIRST) {
        Ok(registration) => registration,
        Err(errors) => panic!("sample_request({i}) is invalid: {errors}"),
    }
}

/// A fixed identity key for tests.
pub fn identity_key() -> IdentityKey {
    match IdentityKey::from_bytes(b"lonjak test identity key, never used in production") {
        Ok(key) => key,
        Err(error) => panic!("test key rejected: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn samples_parse_and_are_already_normalised() {
        for i in (0..2_000).chain([SAMPLE_COUNT - 1, 123_456_789, u64::MAX]) {
            let req = sample_request(i, SAMPLE_TODAY);
            let reg = Registration::parse(&req, SAMPLE_TODAY, Wave::FIRST)
                .unwrap_or_else(|e| panic!("sample {i}: {e}"));
            assert_eq!(reg.to_request(), req, "sample {i}");
        }
    }

    #[test]
    fn samples_are_valid_on_other_days_too() {
        for today in [date!(2000 - 02 - 29), date!(2026 - 12 - 31)] {
            for i in 0..200 {
                assert!(Registration::parse(&sample_request(i, today), today, Wave::FIRST).is_ok());
            }
        }
    }

    #[test]
    fn samples_have_distinct_niks_emails_and_phones() {
        let n = 20_000;
        let reqs: Vec<_> = (0..n).map(|i| sample_request(i, SAMPLE_TODAY)).collect();
        for key in [
            |r: &RegistrationRequest| r.nik.clone(),
            |r: &RegistrationRequest| r.email.clone(),
            |r: &RegistrationRequest| r.phone.clone(),
        ] {
            let distinct: HashSet<_> = reqs.iter().map(key).collect();
            assert_eq!(distinct.len() as u64, n);
        }
    }

    #[test]
    fn niks_far_apart_in_the_index_differ_too() {
        let niks: HashSet<_> = (0..39).map(|k| valid_nik(k * 9_999 * 10_000 + 7)).collect();
        assert_eq!(niks.len(), 39);
        assert!(crate::Nik::parse(&valid_nik(42)).is_ok());
    }
}
