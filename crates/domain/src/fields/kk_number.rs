//! KK (Kartu Keluarga) number, the 16-digit family card number.

use super::{parse_sixteen_digits, redacted_debug};
use crate::FieldError;

/// A family card number: 16 digits starting with a province code.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct KkNumber(String);

redacted_debug!(KkNumber);

impl KkNumber {
    /// Parses a KK number; surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        parse_sixteen_digits("kk_number", input)?;
        Ok(Self(input.trim().to_owned()))
    }

    /// The 16 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(input: &str) -> &'static str {
        let error = KkNumber::parse(input).expect_err("should be invalid");
        assert_eq!(error.field, "kk_number");
        error.rule
    }

    #[test]
    fn a_valid_kk_number_parses() {
        let kk = KkNumber::parse(" 3174010101090002 ").expect("valid");
        assert_eq!(kk.as_str(), "3174010101090002");
    }

    #[test]
    fn each_broken_rule_is_named() {
        assert_eq!(rule("317401010109000"), "length");
        assert_eq!(rule("317401010109000x"), "digits");
        assert_eq!(rule("1074010101090002"), "province");
    }

    #[test]
    fn debug_does_not_print_the_number() {
        let kk = KkNumber::parse("3174010101090002").expect("valid");
        assert_eq!(format!("{kk:?}"), "KkNumber(<redacted>)");
    }
}
