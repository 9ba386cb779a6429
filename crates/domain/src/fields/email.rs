//! E-mail address.

use super::{check_input_size, redacted_debug};
use crate::FieldError;

const FIELD: &str = "email";
const MAX_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;
const MAX_LABEL_LEN: usize = 63;

/// A plausible e-mail address: at most 254 characters, one `@`, a local part
/// of 1 to 64 characters of `atext` and dots (RFC 5322, unquoted), and a
/// domain of at least two DNS labels, lower-cased. The local part keeps its
/// case: only the receiving server may interpret it.
///
/// Whether the address works is established later, by a verification link.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

redacted_debug!(Email);

impl Email {
    /// Parses an address; surrounding whitespace is ignored.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let input = input.trim();
        check_input_size(FIELD, input, MAX_LEN).map_err(|_| {
            FieldError::new(
                FIELD,
                "length",
                format!("email must be at most {MAX_LEN} characters"),
                format!("Email paling banyak {MAX_LEN} karakter"),
            )
        })?;
        let mut parts = input.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(FieldError::new(
                FIELD,
                "format",
                "email must contain exactly one @",
                "Email harus berisi tepat satu tanda @",
            ));
        };
        if local.is_empty() || local.len() > MAX_LOCAL_LEN {
            return Err(FieldError::new(
                FIELD,
                "local_part",
                format!("the part of email before the @ must be 1 to {MAX_LOCAL_LEN} characters"),
                format!("Bagian email sebelum tanda @ harus 1 sampai {MAX_LOCAL_LEN} karakter"),
            ));
        }
        if !is_dot_atom(local) {
            return Err(FieldError::new(
                FIELD,
                "local_part",
                "the part of email before the @ contains characters that are not allowed",
                "Bagian email sebelum tanda @ berisi karakter yang tidak diperbolehkan",
            ));
        }
        if !is_domain(domain) {
            return Err(FieldError::new(
                FIELD,
                "domain",
                "the part of email after the @ must be a domain name such as example.id",
                "Bagian email setelah tanda @ harus nama domain, misalnya example.id",
            ));
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// RFC 5322 dot-atom: runs of `atext` separated by single dots.
fn is_dot_atom(s: &str) -> bool {
    s.split('.').all(|atom| {
        !atom.is_empty()
            && atom
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&b))
    })
}

/// At least two labels of letters, digits and inner hyphens; the last label
/// (top-level domain) is not all digits, which rules out bare IP addresses.
fn is_domain(s: &str) -> bool {
    let labels: Vec<&str> = s.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=MAX_LABEL_LEN).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
        && labels
            .last()
            .is_some_and(|tld| !tld.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &str) -> String {
        Email::parse(input).expect("valid").as_str().to_owned()
    }

    fn rule(input: &str) -> &'static str {
        Email::parse(input).expect_err("should be invalid").rule
    }

    #[test]
    fn the_domain_is_lower_cased_and_the_local_part_kept() {
        assert_eq!(
            parse(" Siti.Rahayu+prakerja@Mail.Example.CO.ID "),
            "Siti.Rahayu+prakerja@mail.example.co.id"
        );
        assert_eq!(parse("a@b.id"), "a@b.id");
        assert_eq!(parse("o'neil@x-y.id"), "o'neil@x-y.id");
    }

    #[test]
    fn anything_but_exactly_one_at_sign_is_rejected() {
        assert_eq!(rule("siti.example.id"), "format");
        assert_eq!(rule("siti@@example.id"), "format");
        assert_eq!(rule("si@ti@example.id"), "format");
    }

    #[test]
    fn bad_local_parts_are_rejected() {
        assert_eq!(rule("@example.id"), "local_part");
        assert_eq!(
            rule(&format!("{}@example.id", "a".repeat(65))),
            "local_part"
        );
        assert_eq!(rule("si ti@example.id"), "local_part");
        assert_eq!(rule(".siti@example.id"), "local_part");
        assert_eq!(rule("siti.@example.id"), "local_part");
        assert_eq!(rule("si..ti@example.id"), "local_part");
        assert_eq!(rule("sïti@example.id"), "local_part");
    }

    #[test]
    fn bad_domains_are_rejected() {
        for input in [
            "siti@localhost",
            "siti@",
            "siti@example..id",
            "siti@-example.id",
            "siti@example-.id",
            "siti@exa_mple.id",
            "siti@10.0.0.1",
            "siti@example.id.",
        ] {
            assert_eq!(rule(input), "domain", "{input}");
        }
        assert_eq!(rule(&format!("siti@{}.id", "a".repeat(64))), "domain");
    }

    #[test]
    fn addresses_over_254_characters_are_rejected() {
        let long = format!("siti@{}.id", vec!["a".repeat(60); 5].join("."));
        assert!(long.len() > 254);
        assert_eq!(rule(&long), "length");
        assert_eq!(rule(&"a".repeat(1_000_000)), "length");
    }
}
