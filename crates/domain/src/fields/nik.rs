//! NIK (Nomor Induk Kependudukan), the 16-digit national identity number.

use time::{Date, Month};

use super::{parse_sixteen_digits, redacted_debug};
use crate::FieldError;

const FIELD: &str = "nik";

/// A structurally valid NIK: `PPRRDD DDMMYY SSSS`, i.e. province, regency and
/// district codes, the holder's birth date (day + 40 for women) and a serial
/// number that is never `0000`.
///
/// Parsing checks the structure only; whether the NIK agrees with the stated
/// birth date is checked by [`crate::Registration::parse`], and whether it
/// exists by the Dukcapil registry.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Nik(String);

redacted_debug!(Nik);

/// Sex encoded in a NIK (women have 40 added to the birth day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

impl Nik {
    /// Parses a NIK; surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let d = parse_sixteen_digits(FIELD, input)?;
        let pair = |i: usize| d[i] * 10 + d[i + 1];
        let (day, month, year) = (pair(6), pair(8), pair(10));
        let day = if day > 40 { day - 40 } else { day };
        if !is_valid_two_digit_year_date(day, month, year) {
            return Err(FieldError::new(
                FIELD,
                "date",
                "nik digits 7 to 12 must be a valid birth date (DDMMYY, day + 40 for women)",
                "Digit ke-7 sampai ke-12 NIK harus tanggal lahir yang benar \
                 (HHBBTT, tanggal ditambah 40 untuk perempuan)",
            ));
        }
        if d[12..].iter().all(|&x| x == 0) {
            return Err(FieldError::new(
                FIELD,
                "serial",
                "nik must not end in the serial number 0000",
                "NIK tidak boleh berakhiran nomor urut 0000",
            ));
        }
        Ok(Self(input.trim().to_owned()))
    }

    /// The 16 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn pair(&self, i: usize) -> u8 {
        let b = self.0.as_bytes();
        (b[i] - b'0') * 10 + (b[i + 1] - b'0')
    }

    /// The province code (first two digits).
    pub fn province_code(&self) -> u8 {
        self.pair(0)
    }

    /// The day of birth, with the +40 for women removed.
    pub fn birth_day(&self) -> u8 {
        let day = self.pair(6);
        if day > 40 { day - 40 } else { day }
    }

    /// The month of birth, 1 to 12.
    pub fn birth_month(&self) -> u8 {
        self.pair(8)
    }

    /// The last two digits of the year of birth.
    pub fn birth_year_two_digits(&self) -> u8 {
        self.pair(10)
    }

    /// The sex encoded in the birth day.
    pub fn sex(&self) -> Sex {
        if self.pair(6) > 40 {
            Sex::Female
        } else {
            Sex::Male
        }
    }

    /// Whether the birth date encoded in the NIK is `date` (day, month and
    /// two-digit year).
    pub fn matches_birth_date(&self, date: Date) -> bool {
        u8::from(date.month()) == self.birth_month()
            && date.day() == self.birth_day()
            && date.year().rem_euclid(100) == i32::from(self.birth_year_two_digits())
    }
}

/// Whether day/month is a calendar date in some century of year `yy`. The
/// century is unknown, and 29 February exists exactly when `yy` is divisible
/// by four (1900 is the only exception, and 2000 covers `00`).
fn is_valid_two_digit_year_date(day: u8, month: u8, yy: u8) -> bool {
    let Ok(month) = Month::try_from(month) else {
        return false;
    };
    // 2000 + yy is a leap year exactly when yy % 4 == 0.
    let max = time::util::days_in_month(month, 2000 + i32::from(yy));
    (1..=max).contains(&day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn rule(input: &str) -> &'static str {
        Nik::parse(input).expect_err("should be invalid").rule
    }

    #[test]
    fn a_valid_male_nik_parses_and_exposes_its_parts() {
        let nik = Nik::parse("3174011708900001").expect("valid");
        assert_eq!(nik.as_str(), "3174011708900001");
        assert_eq!(nik.province_code(), 31);
        assert_eq!((nik.birth_day(), nik.birth_month()), (17, 8));
        assert_eq!(nik.birth_year_two_digits(), 90);
        assert_eq!(nik.sex(), Sex::Male);
        assert!(nik.matches_birth_date(date!(1990 - 08 - 17)));
        assert!(!nik.matches_birth_date(date!(1990 - 08 - 18)));
        assert!(!nik.matches_birth_date(date!(1991 - 08 - 17)));
    }

    #[test]
    fn a_female_nik_has_forty_added_to_the_day() {
        let nik = Nik::parse("3174015708900001").expect("valid");
        assert_eq!(nik.sex(), Sex::Female);
        assert_eq!(nik.birth_day(), 17);
        assert!(nik.matches_birth_date(date!(1990 - 08 - 17)));
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        let nik = Nik::parse("  3174011708900001\n").expect("valid");
        assert_eq!(nik.as_str(), "3174011708900001");
    }

    #[test]
    fn wrong_length_is_rejected() {
        assert_eq!(rule(""), "length");
        assert_eq!(rule("317401170890001"), "length");
        assert_eq!(rule("31740117089000011"), "length");
        assert_eq!(rule(&"3".repeat(10_000)), "length");
    }

    #[test]
    fn non_digits_are_rejected() {
        assert_eq!(rule("31740117089O0001"), "digits");
        assert_eq!(rule("3174 11708900001"), "digits");
        assert_eq!(rule("３174011708900001"), "digits");
    }

    #[test]
    fn unknown_province_codes_are_rejected() {
        assert_eq!(rule("0074011708900001"), "province");
        assert_eq!(rule("2074011708900001"), "province");
        assert_eq!(rule("9974011708900001"), "province");
    }

    #[test]
    fn impossible_birth_dates_are_rejected() {
        assert_eq!(rule("3174010008900001"), "date"); // day 0
        assert_eq!(rule("3174013208900001"), "date"); // day 32
        assert_eq!(rule("3174014008900001"), "date"); // day 40 = 0 for women
        assert_eq!(rule("3174017208900001"), "date"); // day 72 = 32 for women
        assert_eq!(rule("3174011713900001"), "date"); // month 13
        assert_eq!(rule("3174011700900001"), "date"); // month 0
        assert_eq!(rule("3174013104900001"), "date"); // 31 April
        assert_eq!(rule("3174012902910001"), "date"); // 29 February 1991
    }

    #[test]
    fn leap_days_are_accepted_in_leap_years() {
        assert!(Nik::parse("3174012902920001").is_ok());
        assert!(Nik::parse("3174016902000001").is_ok());
    }

    #[test]
    fn serial_zero_is_rejected() {
        assert_eq!(rule("3174011708900000"), "serial");
        assert!(Nik::parse("3174011708909999").is_ok());
    }
}
