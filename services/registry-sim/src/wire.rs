//! JSON bodies of the simulated registry APIs (the contract the verifier's
//! clients speak). Dates are `YYYY-MM-DD`.

use serde::{Deserialize, Serialize};
use time::Date;
use time::format_description::FormatItem;
use time::macros::format_description;

use crate::answers::{Answers, InstitutionType, Occupation, Programme};

const DATE: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// Formats a date as `YYYY-MM-DD`.
pub(crate) fn format_date(date: Date) -> String {
    // Formatting a calendar date with a fixed description only fails for
    // years beyond four digits, which the NIK cannot encode.
    date.format(DATE).unwrap_or_default()
}

/// Parses a `YYYY-MM-DD` date.
pub(crate) fn parse_date(raw: &str) -> Option<Date> {
    Date::parse(raw, DATE).ok()
}

/// `POST /dukcapil/v1/verify` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DukcapilRequest {
    /// Sixteen-digit NIK.
    pub nik: String,
    /// Name as submitted by the applicant.
    pub full_name: String,
    /// Birth date as submitted, `YYYY-MM-DD`.
    pub birth_date: String,
}

/// `POST /dukcapil/v1/verify` answer; when `found` is false every other field
/// is false or null.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DukcapilResponse {
    /// The NIK is on record.
    pub found: bool,
    /// The submitted name matches the record.
    pub name_match: bool,
    /// The submitted birth date equals `registered_birth_date`.
    pub birth_date_match: bool,
    /// Birth date on record, `YYYY-MM-DD`.
    pub registered_birth_date: Option<String>,
    /// Occupation on record.
    pub occupation: Option<Occupation>,
}

impl DukcapilResponse {
    pub(crate) fn new(answers: &Answers, submitted_birth_date: Date) -> Self {
        match &answers.identity {
            Some(identity) => Self {
                found: true,
                name_match: identity.name_match,
                birth_date_match: identity.birth_date == submitted_birth_date,
                registered_birth_date: Some(format_date(identity.birth_date)),
                occupation: Some(identity.occupation),
            },
            None => Self {
                found: false,
                name_match: false,
                birth_date_match: false,
                registered_birth_date: None,
                occupation: None,
            },
        }
    }
}

/// `GET /dapodik/v1/enrolment/{nik}` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DapodikResponse {
    /// Currently enrolled in education.
    pub enrolled: bool,
    /// Where, when enrolled.
    pub institution_type: Option<InstitutionType>,
}

impl From<&Answers> for DapodikResponse {
    fn from(answers: &Answers) -> Self {
        Self {
            enrolled: answers.enrolment.is_some(),
            institution_type: answers.enrolment,
        }
    }
}

/// `GET /dtks/v1/recipient/{nik}` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DtksResponse {
    /// Currently receiving social aid.
    pub recipient: bool,
    /// Which programme, when a recipient.
    pub programme: Option<Programme>,
}

impl From<&Answers> for DtksResponse {
    fn from(answers: &Answers) -> Self {
        Self {
            recipient: answers.aid.is_some(),
            programme: answers.aid,
        }
    }
}
