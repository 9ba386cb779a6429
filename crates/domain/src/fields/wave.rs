//! Registration wave (batch) number.

use serde::{Deserialize, Serialize};

use crate::FieldError;

const FIELD: &str = "wave";
const MAX: u32 = 1_000_000;

/// A wave number, 1 to 1,000,000. Serialised as a JSON number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "u32")]
pub struct Wave(u32);

impl Wave {
    /// The first wave.
    pub const FIRST: Wave = Wave(1);

    /// Parses a decimal wave number; surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let input = input.trim();
        if input.is_empty() || input.len() > 20 || !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(FieldError::new(
                FIELD,
                "format",
                "wave must be a whole number",
                "Gelombang harus bilangan bulat",
            ));
        }
        // At most 20 digits: fits in u128 without overflow.
        let n: u128 = input
            .bytes()
            .fold(0, |acc, b| acc * 10 + u128::from(b - b'0'));
        Self::try_from(i64::try_from(n).unwrap_or(i64::MAX))
    }

    /// Builds a wave from a number, checking the range.
    pub fn new(n: u32) -> Result<Self, FieldError> {
        Self::try_from(i64::from(n))
    }

    /// The wave number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<i64> for Wave {
    type Error = FieldError;

    fn try_from(n: i64) -> Result<Self, Self::Error> {
        match u32::try_from(n) {
            Ok(n) if (1..=MAX).contains(&n) => Ok(Self(n)),
            _ => Err(FieldError::new(
                FIELD,
                "range",
                format!("wave must be between 1 and {MAX}"),
                // Indonesian writes thousands with dots: 1.000.000.
                "Gelombang harus antara 1 dan 1.000.000",
            )),
        }
    }
}

impl From<Wave> for u32 {
    fn from(wave: Wave) -> Self {
        wave.0
    }
}

impl From<Wave> for i64 {
    fn from(wave: Wave) -> Self {
        i64::from(wave.0)
    }
}

impl std::fmt::Display for Wave {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for Wave {
    type Err = FieldError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waves_in_range_parse_from_text_and_numbers() {
        assert_eq!(Wave::parse("1").map(Wave::get), Ok(1));
        assert_eq!(Wave::parse(" 1000000 ").map(Wave::get), Ok(1_000_000));
        assert_eq!(Wave::try_from(17_i64).map(Wave::get), Ok(17));
        assert_eq!(Wave::new(3).map(|w| w.to_string()), Ok("3".to_owned()));
    }

    #[test]
    fn out_of_range_waves_are_rejected() {
        for n in [0_i64, -1, 1_000_001, i64::MAX, i64::MIN] {
            assert_eq!(Wave::try_from(n).expect_err("invalid").rule, "range", "{n}");
        }
        assert_eq!(Wave::parse("0").expect_err("invalid").rule, "range");
        assert_eq!(
            Wave::parse("99999999999999999999")
                .expect_err("invalid")
                .rule,
            "range"
        );
    }

    #[test]
    fn both_range_messages_name_the_same_maximum() {
        let error = Wave::new(0).expect_err("invalid");
        // Indonesian groups thousands with dots.
        let id_digits = error.message.id().replace('.', "");
        assert!(id_digits.ends_with(&MAX.to_string()), "{error:?}");
        assert!(error.message.en().ends_with(&MAX.to_string()), "{error:?}");
    }

    #[test]
    fn non_numbers_are_rejected() {
        for input in ["", "-1", "1.5", "one", "+1", &"9".repeat(21)] {
            assert_eq!(
                Wave::parse(input).expect_err("invalid").rule,
                "format",
                "{input}"
            );
        }
    }

    #[test]
    fn waves_serialise_as_json_numbers_and_deserialise_with_the_range_check() {
        let wave = Wave::new(7).expect("valid");
        assert_eq!(serde_json::to_string(&wave).expect("serialise"), "7");
        assert_eq!(serde_json::from_str::<Wave>("7").expect("parse"), wave);
        assert!(serde_json::from_str::<Wave>("0").is_err());
        assert!(serde_json::from_str::<Wave>("\"7\"").is_err());
    }
}
