//! Date of birth.

use time::{Date, Month, macros::date};

use super::{check_input_size, redacted_debug};
use crate::FieldError;

const FIELD: &str = "birth_date";
/// Births on or before this date are refused as implausible.
const EARLIEST_EXCLUSIVE: Date = date!(1900 - 01 - 01);

/// A birth date after 1900-01-01, written `YYYY-MM-DD`.
///
/// The minimum-age rule depends on the submission date and is applied by
/// [`crate::Registration::parse`] (see [`BirthDate::age_on`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BirthDate(Date);

redacted_debug!(BirthDate);

impl BirthDate {
    /// Parses an ISO `YYYY-MM-DD` date; surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        check_input_size(FIELD, input, 64)?;
        let s = input.trim().as_bytes();
        let format_ok = s.len() == 10
            && s[4] == b'-'
            && s[7] == b'-'
            && s.iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !format_ok {
            return Err(FieldError::new(
                FIELD,
                "format",
                "birth_date must be written YYYY-MM-DD",
                "Tanggal lahir harus ditulis TTTT-BB-HH, misalnya 1990-08-17",
            ));
        }
        let num = |range: std::ops::Range<usize>| {
            s[range]
                .iter()
                .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'))
        };
        let (year, month, day) = (num(0..4), num(5..7), num(8..10));
        let date = Month::try_from(u8::try_from(month).unwrap_or(0))
            .ok()
            .and_then(|month| {
                let day = u8::try_from(day).ok()?;
                Date::from_calendar_date(i32::from(year), month, day).ok()
            })
            .ok_or_else(|| {
                FieldError::new(
                    FIELD,
                    "date",
                    "birth_date is not a calendar date",
                    "Tanggal lahir tidak ada di kalender",
                )
            })?;
        Self::from_date(date)
    }

    /// Wraps an already-typed date, applying the same range rule as `parse`.
    pub fn from_date(date: Date) -> Result<Self, FieldError> {
        if date <= EARLIEST_EXCLUSIVE {
            return Err(FieldError::new(
                FIELD,
                "range",
                "birth_date must be after 1900-01-01",
                "Tanggal lahir harus setelah 1 Januari 1900",
            ));
        }
        Ok(Self(date))
    }

    /// The date.
    pub fn date(&self) -> Date {
        self.0
    }

    /// The date as `YYYY-MM-DD`.
    pub fn to_iso_string(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }

    /// Age in whole years on `day`; negative if `day` is before the birth.
    /// Someone born on 29 February turns a year older on 1 March in common
    /// years.
    pub fn age_on(&self, day: Date) -> i32 {
        let birth = self.0;
        let years = day.year() - birth.year();
        let before_birthday =
            (u8::from(day.month()), day.day()) < (u8::from(birth.month()), birth.day());
        if before_birthday { years - 1 } else { years }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(input: &str) -> &'static str {
        BirthDate::parse(input).expect_err("should be invalid").rule
    }

    #[test]
    fn an_iso_date_parses_and_prints_back_the_same() {
        let d = BirthDate::parse(" 1990-08-17 ").expect("valid");
        assert_eq!(d.date(), date!(1990 - 08 - 17));
        assert_eq!(d.to_iso_string(), "1990-08-17");
        assert_eq!(
            BirthDate::parse("1900-01-02")
                .expect("valid")
                .to_iso_string(),
            "1900-01-02"
        );
    }

    #[test]
    fn other_formats_are_rejected() {
        for input in [
            "17-08-1990",
            "1990/08/17",
            "1990-8-17",
            "19900817",
            "",
            "1990-08-17T00:00",
            "+990-08-17",
        ] {
            assert_eq!(rule(input), "format", "{input}");
        }
        assert_eq!(rule(&"1".repeat(1_000)), "length");
    }

    #[test]
    fn impossible_dates_are_rejected() {
        for input in [
            "1990-02-30",
            "1990-13-01",
            "1990-00-10",
            "1990-04-31",
            "1991-02-29",
            "1990-01-00",
        ] {
            assert_eq!(rule(input), "date", "{input}");
        }
        assert!(BirthDate::parse("1992-02-29").is_ok());
    }

    #[test]
    fn dates_up_to_1900_01_01_are_out_of_range() {
        assert_eq!(rule("1900-01-01"), "range");
        assert_eq!(rule("0001-01-01"), "range");
    }

    #[test]
    fn age_counts_completed_years() {
        let d = BirthDate::parse("2002-08-17").expect("valid");
        assert_eq!(d.age_on(date!(2020 - 08 - 16)), 17);
        assert_eq!(d.age_on(date!(2020 - 08 - 17)), 18);
        assert_eq!(d.age_on(date!(2001 - 01 - 01)), -2);
        let leap = BirthDate::parse("2000-02-29").expect("valid");
        assert_eq!(leap.age_on(date!(2018 - 02 - 28)), 17);
        assert_eq!(leap.age_on(date!(2018 - 03 - 01)), 18);
    }
}
