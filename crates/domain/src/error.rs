//! Validation errors: one [`FieldError`] per broken rule, collected into
//! [`ValidationErrors`] so a caller can report every bad field at once.

use std::borrow::Cow;

use serde::Serialize;

use crate::Message;

/// One rule broken by one input field.
///
/// `field` is the wire name of the field (`nik`, `full_name`, ...), `rule` a
/// short snake_case name of the rule (`required`, `format`, `province`, ...)
/// that clients can match on; `message` says the rule to a person, in
/// English and in Indonesian (the English text names the wire field, the
/// Indonesian one the field's label on the form, see [`label_id`]).
/// Messages never repeat the offending value, so errors are safe to log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {}", .message.en())]
pub struct FieldError {
    pub field: &'static str,
    pub rule: &'static str,
    pub message: Message,
}

impl FieldError {
    /// Builds an error for `field` breaking `rule`, said in English (`en`)
    /// and in Indonesian (`id`): a rule cannot be added without both.
    pub fn new(
        field: &'static str,
        rule: &'static str,
        en: impl Into<Cow<'static, str>>,
        id: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self {
            field,
            rule,
            message: Message::new(en, id),
        }
    }

    /// The error for a missing field.
    pub fn required(field: &'static str) -> Self {
        Self::new(
            field,
            "required",
            format!("{field} is required"),
            format!("{} wajib diisi", label_id(field)),
        )
    }
}

/// A wire field's label in Indonesian, as the applicants' form names it, to
/// begin the Indonesian messages of rules shared by several fields. An
/// unknown name is returned as it is.
pub fn label_id(field: &str) -> &str {
    match field {
        "nik" => "NIK",
        "kk_number" => "Nomor KK",
        "full_name" => "Nama lengkap",
        "birth_date" => "Tanggal lahir",
        "email" => "Email",
        "phone" => "Nomor HP",
        "employment_status" => "Status pekerjaan",
        "in_education" => "Keterangan sekolah atau kuliah",
        "wave" => "Gelombang",
        "language" => "Bahasa",
        other => other,
    }
}

/// A non-empty list of field errors, in field order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ValidationErrors(Vec<FieldError>);

impl ValidationErrors {
    /// Wraps `errors`; `None` when the list is empty (nothing was invalid).
    pub fn from_vec(errors: Vec<FieldError>) -> Option<Self> {
        if errors.is_empty() {
            None
        } else {
            Some(Self(errors))
        }
    }

    /// The errors, never empty.
    pub fn errors(&self) -> &[FieldError] {
        &self.0
    }

    /// Whether any error concerns `field`.
    pub fn has_field(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }

    /// The first error for `field` and `rule`, if any.
    pub fn find(&self, field: &str, rule: &str) -> Option<&FieldError> {
        self.0.iter().find(|e| e.field == field && e.rule == rule)
    }
}

impl From<FieldError> for ValidationErrors {
    fn from(error: FieldError) -> Self {
        Self(vec![error])
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid registration: ")?;
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                write!(f, "; ")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

impl IntoIterator for ValidationErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<'a> IntoIterator for &'a ValidationErrors {
    type Item = &'a FieldError;
    type IntoIter = std::slice::Iter<'a, FieldError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_list_is_not_a_validation_error() {
        assert_eq!(ValidationErrors::from_vec(Vec::new()), None);
    }

    #[test]
    fn display_lists_every_field_in_order() {
        let errors = ValidationErrors::from_vec(vec![
            FieldError::required("nik"),
            FieldError::new(
                "email",
                "format",
                "email must contain one @",
                "Email harus berisi satu tanda @",
            ),
        ])
        .expect("non-empty");
        assert_eq!(
            errors.to_string(),
            "invalid registration: nik: nik is required; email: email must contain one @"
        );
        assert_eq!(errors.errors().len(), 2);
        assert!(errors.has_field("email"));
        assert!(errors.find("nik", "required").is_some());
    }

    #[test]
    fn errors_serialise_as_a_list_of_field_rule_message_in_each_language() {
        let errors = ValidationErrors::from(FieldError::required("wave"));
        let json = serde_json::to_value(&errors).expect("serialise");
        assert_eq!(
            json,
            serde_json::json!([{
                "field": "wave",
                "rule": "required",
                "message": {"en": "wave is required", "id": "Gelombang wajib diisi"},
            }])
        );
    }

    #[test]
    fn every_registration_field_has_an_indonesian_label() {
        for field in crate::registration::FIELD_ORDER {
            assert_ne!(label_id(field), field, "{field}");
        }
        assert_eq!(label_id("registration"), "registration");
    }
}
