//! Full name as written on the identity card.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::{MAX_INPUT_BYTES, check_input_size, redacted_debug};
use crate::FieldError;

const FIELD: &str = "full_name";
const MIN_CHARS: usize = 2;
const MAX_CHARS: usize = 100;

/// A person's name: NFC-normalised, trimmed, inner whitespace collapsed to
/// single spaces, 2 to 100 characters of letters (any script), combining
/// marks, spaces and `.` `'` `-` `,`, with at least one letter.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FullName(String);

redacted_debug!(FullName);

impl FullName {
    /// Parses and normalises a name.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        check_input_size(FIELD, input, MAX_INPUT_BYTES)?;
        // Control characters are refused rather than collapsed: a tab or a
        // newline in a name is a sign of pasted garbage, not of a name.
        if input.chars().any(char::is_control) {
            return Err(FieldError::new(
                FIELD,
                "characters",
                "full_name must not contain control characters",
                "Nama lengkap tidak boleh berisi karakter kontrol seperti tab atau baris baru",
            ));
        }
        // NFC first: it may turn one whitespace character into another, and
        // collapsing afterwards keeps the result stable under re-parsing.
        let normalised: String = input.nfc().collect();
        let name = normalised.split_whitespace().collect::<Vec<_>>().join(" ");
        let len = name.chars().count();
        if !(MIN_CHARS..=MAX_CHARS).contains(&len) {
            return Err(FieldError::new(
                FIELD,
                "length",
                format!("full_name must be {MIN_CHARS} to {MAX_CHARS} characters long"),
                format!("Nama lengkap harus {MIN_CHARS} sampai {MAX_CHARS} karakter"),
            ));
        }
        if !name.chars().all(is_allowed) {
            return Err(FieldError::new(
                FIELD,
                "characters",
                "full_name may contain only letters, spaces and . ' - ,",
                "Nama lengkap hanya boleh berisi huruf, spasi, dan tanda . ' - ,",
            ));
        }
        if !name.chars().any(char::is_alphabetic) {
            return Err(FieldError::new(
                FIELD,
                "letters",
                "full_name must contain at least one letter",
                "Nama lengkap harus berisi paling sedikit satu huruf",
            ));
        }
        Ok(Self(name))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_allowed(c: char) -> bool {
    c.is_alphabetic() || is_combining_mark(c) || matches!(c, ' ' | '.' | '\'' | '-' | ',')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> String {
        FullName::parse(input).expect("valid").as_str().to_owned()
    }

    fn rule(input: &str) -> &'static str {
        FullName::parse(input).expect_err("should be invalid").rule
    }

    #[test]
    fn names_in_any_script_with_punctuation_are_accepted() {
        assert_eq!(parse("Siti Rahayu"), "Siti Rahayu");
        assert_eq!(
            parse("Dr. I Gusti Ngurah Putu, S.Kom"),
            "Dr. I Gusti Ngurah Putu, S.Kom"
        );
        assert_eq!(parse("O'Neil-Wijaya"), "O'Neil-Wijaya");
        assert_eq!(parse("ꦱꦶꦠꦶ"), "ꦱꦶꦠꦶ"); // Javanese script, with vowel signs
        assert_eq!(parse("김민준"), "김민준");
        assert_eq!(parse("Al"), "Al");
    }

    #[test]
    fn whitespace_is_trimmed_and_collapsed() {
        assert_eq!(
            parse("  Siti    Rahayu \u{3000}Putri "),
            "Siti Rahayu Putri"
        );
    }

    #[test]
    fn names_are_nfc_normalised() {
        assert_eq!(parse("Jose\u{301}"), "Jos\u{e9}");
    }

    #[test]
    fn length_is_counted_in_characters_after_normalisation() {
        assert_eq!(rule("A"), "length");
        assert_eq!(rule("   A   "), "length");
        assert_eq!(rule(""), "length");
        assert_eq!(parse(&"é".repeat(100)).chars().count(), 100);
        assert_eq!(rule(&"a".repeat(101)), "length");
        assert_eq!(rule(&"a".repeat(100_000)), "length");
    }

    #[test]
    fn digits_symbols_and_control_characters_are_rejected() {
        assert_eq!(rule("Siti R4hayu"), "characters");
        assert_eq!(rule("Siti <script>"), "characters");
        assert_eq!(rule("Siti\tRahayu"), "characters");
        assert_eq!(rule("Siti\u{0}Rahayu"), "characters");
        assert_eq!(rule("Siti 😀"), "characters");
    }

    #[test]
    fn punctuation_alone_is_not_a_name() {
        assert_eq!(rule("..."), "letters");
        assert_eq!(rule("- -"), "letters");
    }
}
