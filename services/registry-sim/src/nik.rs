//! The simulator's view of a NIK: sixteen digits, and the birth date encoded in
//! digits 7–12 (`DDMMYY`, day + 40 for women).

use time::{Date, Month};

/// A well-formed NIK: exactly sixteen ASCII digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Nik(String);

/// Why a string is not a NIK.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NikError {
    /// Not sixteen characters long.
    #[error("nik must be 16 digits long")]
    Length,
    /// Contains something other than ASCII digits.
    #[error("nik must contain only digits")]
    NotDigits,
}

impl Nik {
    /// Parses a NIK; only the shape is checked.
    pub fn parse(raw: &str) -> Result<Self, NikError> {
        if raw.len() != 16 {
            return Err(NikError::Length);
        }
        if !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(NikError::NotDigits);
        }
        Ok(Self(raw.to_owned()))
    }

    /// The NIK's digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The birth date the NIK encodes, with the century chosen so the person
    /// is 0–99 years old on `today`; `None` when the digits name no real date.
    pub fn birth_date(&self, today: Date) -> Option<Date> {
        let digits = self.0.as_bytes();
        let pair = |at: usize| (digits[at] - b'0') * 10 + (digits[at + 1] - b'0');
        let mut day = pair(6);
        if day > 40 {
            day -= 40;
        }
        let month = Month::try_from(pair(8)).ok()?;
        let year = i32::from(pair(10));
        // Prefer the recent century; fall back a century when that date is in
        // the future or does not exist (29 February 1900 vs 2000).
        [2000 + year, 1900 + year]
            .into_iter()
            .filter_map(|y| Date::from_calendar_date(y, month, day).ok())
            .find(|date| *date <= today)
    }
}

// A NIK is personal data: keep it out of debug output and therefore out of logs.
impl std::fmt::Debug for Nik {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Nik(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    const TODAY: Date = date!(2026 - 06 - 15);

    #[test]
    fn a_man_born_in_this_century_is_decoded_with_the_recent_century() {
        let nik = Nik::parse("3171011203050001").expect("valid nik");
        assert_eq!(nik.birth_date(TODAY), Some(date!(2005 - 03 - 12)));
    }

    #[test]
    fn a_woman_has_forty_added_to_the_day() {
        let nik = Nik::parse("3171015207880002").expect("valid nik");
        assert_eq!(nik.birth_date(TODAY), Some(date!(1988 - 07 - 12)));
    }

    #[test]
    fn a_date_later_this_year_in_the_two_digit_year_falls_back_a_century() {
        let nik = Nik::parse("3171010112260001").expect("valid nik");
        assert_eq!(nik.birth_date(TODAY), Some(date!(1926 - 12 - 01)));
    }

    #[test]
    fn leap_day_of_year_zero_belongs_to_2000() {
        let nik = Nik::parse("3171012902000001").expect("valid nik");
        assert_eq!(nik.birth_date(TODAY), Some(date!(2000 - 02 - 29)));
    }

    #[test]
    fn impossible_dates_decode_to_none() {
        for raw in ["3171010013900001", "3171013202900001", "3171010000900001"] {
            let nik = Nik::parse(raw).expect("valid shape");
            assert_eq!(nik.birth_date(TODAY), None, "{raw}");
        }
    }

    #[test]
    fn anything_but_sixteen_digits_is_refused() {
        assert_eq!(Nik::parse("317101120305000"), Err(NikError::Length));
        assert_eq!(Nik::parse("31710112030500012"), Err(NikError::Length));
        assert_eq!(Nik::parse("31710112030500a1"), Err(NikError::NotDigits));
        assert_eq!(Nik::parse("３１71011203050001"), Err(NikError::Length));
    }
}
