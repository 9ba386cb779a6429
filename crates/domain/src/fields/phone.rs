//! Indonesian mobile phone number.

use super::{check_input_size, redacted_debug};
use crate::FieldError;

const FIELD: &str = "phone";
/// Digits after the country code 62: Indonesian mobile numbers are `8`
/// followed by 8 to 11 digits.
const MIN_DIGITS: usize = 9;
const MAX_DIGITS: usize = 12;

/// An Indonesian mobile number in E.164 form, `+628…`.
///
/// Accepted input: `08…`, `628…` or `+628…`, with spaces and dashes anywhere
/// after the `+`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

redacted_debug!(Phone);

impl Phone {
    /// Parses and normalises a mobile number.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        check_input_size(FIELD, input, 64)?;
        let input = input.trim();
        let (plus, rest) = match input.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, input),
        };
        let mut digits = String::with_capacity(rest.len());
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                _ => {
                    return Err(FieldError::new(
                        FIELD,
                        "characters",
                        "phone may contain only digits, spaces, dashes and a leading +",
                        "Nomor HP hanya boleh berisi angka, spasi, tanda hubung (-), \
                         dan tanda + di depan",
                    ));
                }
            }
        }
        let national = match (plus, digits.strip_prefix("62"), digits.strip_prefix('0')) {
            (_, Some(after_cc), _) if after_cc.starts_with('8') => after_cc,
            (false, _, Some(after_zero)) if after_zero.starts_with('8') => after_zero,
            _ => {
                return Err(FieldError::new(
                    FIELD,
                    "format",
                    "phone must be an Indonesian mobile number starting with 08, 628 or +628",
                    "Nomor HP harus nomor ponsel Indonesia yang diawali 08, 628, atau +628",
                ));
            }
        };
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&national.len()) {
            return Err(FieldError::new(
                FIELD,
                "length",
                format!(
                    "phone must have {} to {} digits after 08",
                    MIN_DIGITS - 1,
                    MAX_DIGITS - 1
                ),
                format!(
                    "Nomor HP harus {} sampai {} digit setelah 08",
                    MIN_DIGITS - 1,
                    MAX_DIGITS - 1
                ),
            ));
        }
        Ok(Self(format!("+62{national}")))
    }

    /// The number in E.164 form, `+628…`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> String {
        Phone::parse(input).expect("valid").as_str().to_owned()
    }

    fn rule(input: &str) -> &'static str {
        Phone::parse(input).expect_err("should be invalid").rule
    }

    #[test]
    fn every_accepted_form_normalises_to_e164() {
        assert_eq!(parse("081234567890"), "+6281234567890");
        assert_eq!(parse("6281234567890"), "+6281234567890");
        assert_eq!(parse("+6281234567890"), "+6281234567890");
        assert_eq!(parse(" +62 812-3456-7890 "), "+6281234567890");
        assert_eq!(parse("0812 345 678"), "+62812345678");
        assert_eq!(parse("+62 812 3456 78901"), "+62812345678901");
    }

    #[test]
    fn landlines_and_foreign_numbers_are_rejected() {
        assert_eq!(rule("0215551234"), "format"); // Jakarta landline
        assert_eq!(rule("+6221555123"), "format");
        assert_eq!(rule("+6591234567"), "format"); // Singapore
        assert_eq!(rule("+081234567890"), "format");
        assert_eq!(rule(""), "format");
    }

    #[test]
    fn other_characters_are_rejected() {
        assert_eq!(rule("(0812) 3456 7890"), "characters");
        assert_eq!(rule("0812.3456.7890"), "characters");
        assert_eq!(rule("0812345678x"), "characters");
        assert_eq!(rule("++6281234567890"), "characters");
    }

    #[test]
    fn too_short_or_too_long_numbers_are_rejected() {
        assert_eq!(rule("08123456"), "length");
        assert_eq!(rule("+628123456789012"), "length");
        assert_eq!(rule(&"0".repeat(100)), "length");
    }
}
