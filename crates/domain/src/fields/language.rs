//! The language an applicant is written to in: Indonesian unless they chose
//! English.

use serde::{Deserialize, Serialize};

use crate::FieldError;

/// A language lonjak writes to applicants in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Bahasa Indonesia, the default.
    #[default]
    Id,
    /// English.
    En,
}

impl Language {
    /// Every language, default first.
    pub const ALL: [Self; 2] = [Self::Id, Self::En];

    /// Parses an ISO 639-1 code (`id`, `en`); anything else breaks rule `one_of`.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        match input {
            "id" => Ok(Self::Id),
            "en" => Ok(Self::En),
            _ => Err(FieldError::new(
                "language",
                "one_of",
                "language must be one of: id, en",
                "Bahasa harus salah satu dari: id, en",
            )),
        }
    }

    /// The ISO 639-1 code, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Id => "id",
            Self::En => "en",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_others_name_the_rule() {
        for language in Language::ALL {
            assert_eq!(Language::parse(language.as_str()), Ok(language));
        }
        let error = Language::parse("fr").expect_err("refused");
        assert_eq!((error.field, error.rule), ("language", "one_of"));
        assert_eq!(Language::default(), Language::Id);
    }
}
