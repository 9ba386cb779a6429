//! The wire form of a registration: the JSON body of `POST /v1/registrations`
//! and the `applicant` inside a `registration.submitted` event.

use serde::{Deserialize, Serialize};

/// Raw, unvalidated registration input. Every field is optional so that a
/// missing field is reported as a `required` error rather than a JSON error;
/// unknown fields are ignored. Turn it into a [`crate::Registration`] with
/// [`crate::Registration::parse`].
///
/// `Debug` prints only which fields are present: the values are personal data.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct RegistrationRequest {
    pub nik: Option<String>,
    pub kk_number: Option<String>,
    pub full_name: Option<String>,
    pub birth_date: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub employment_status: Option<String>,
    pub in_education: Option<bool>,
    pub wave: Option<i64>,
    /// `id` (the default) or `en`: the language the applicant is written to
    /// in. Left out of the JSON when absent, so an Indonesian applicant's
    /// event reads as it did before the field existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
}

/// Debug placeholder for an optional personal-data field.
pub(crate) fn presence<T>(value: &Option<T>) -> &'static str {
    if value.is_some() {
        "<redacted>"
    } else {
        "None"
    }
}

impl std::fmt::Debug for RegistrationRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Employment status, the education flag and the wave are not
        // identifying, and they help when reading a failing test.
        f.debug_struct("RegistrationRequest")
            .field("nik", &presence(&self.nik))
            .field("kk_number", &presence(&self.kk_number))
            .field("full_name", &presence(&self.full_name))
            .field("birth_date", &presence(&self.birth_date))
            .field("email", &presence(&self.email))
            .field("phone", &presence(&self.phone))
            .field("employment_status", &self.employment_status)
            .field("in_education", &self.in_education)
            .field("wave", &self.wave)
            .field("language", &self.language)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_does_not_contain_personal_data() {
        let req = RegistrationRequest {
            nik: Some("3174015708900001".into()),
            kk_number: Some("3174010101090002".into()),
            full_name: Some("Siti Rahayu".into()),
            birth_date: Some("1990-08-17".into()),
            email: Some("siti@example.id".into()),
            phone: Some("+6281234567890".into()),
            employment_status: Some("laid_off".into()),
            in_education: Some(false),
            wave: None,
            language: None,
        };
        let debug = format!("{req:?}");
        for secret in [
            "3174015708900001",
            "3174010101090002",
            "Siti",
            "1990",
            "siti@",
            "812345",
        ] {
            assert!(!debug.contains(secret), "{secret} leaked in {debug}");
        }
        assert!(debug.contains("laid_off"));
    }

    #[test]
    fn unknown_json_fields_are_ignored_and_missing_ones_are_none() {
        let req: RegistrationRequest =
            serde_json::from_str(r#"{"nik": "1", "favourite_colour": "blue"}"#).expect("parse");
        assert_eq!(req.nik.as_deref(), Some("1"));
        assert_eq!(req.wave, None);
    }
}
