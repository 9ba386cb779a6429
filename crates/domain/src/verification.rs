//! The registries' answers and the verification decision drawn from them.
//!
//! The structs are the JSON contract of the (simulated) registry APIs:
//! Dukcapil `POST /dukcapil/v1/verify` answers an [`IdentityCheck`], Dapodik
//! `GET /dapodik/v1/enrolment/{nik}` an [`EducationCheck`], DTKS
//! `GET /dtks/v1/recipient/{nik}` a [`WelfareCheck`].

use serde::{Deserialize, Serialize};
use time::Date;

use crate::RejectionReason;

/// Dukcapil's answer: does the NIK exist, and do the stated name and birth
/// date match the civil registry.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityCheck {
    pub found: bool,
    pub name_match: bool,
    pub birth_date_match: bool,
    /// The birth date on record, `YYYY-MM-DD`.
    #[serde(default, with = "iso_date_option")]
    pub registered_birth_date: Option<Date>,
    #[serde(default)]
    pub occupation: Option<Occupation>,
}

impl std::fmt::Debug for IdentityCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityCheck")
            .field("found", &self.found)
            .field("name_match", &self.name_match)
            .field("birth_date_match", &self.birth_date_match)
            .field(
                "registered_birth_date",
                &crate::request::presence(&self.registered_birth_date),
            )
            .field("occupation", &self.occupation)
            .finish()
    }
}

/// Occupation on the civil record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Occupation {
    Unemployed,
    PrivateEmployee,
    Entrepreneur,
    Student,
    Housekeeper,
    CivilServant,
    PoliceMilitary,
    StateEnterpriseDirector,
    VillageHead,
    Legislator,
    Other,
}

impl Occupation {
    /// Occupations the programme excludes: state officials and employees.
    pub fn is_ineligible(self) -> bool {
        matches!(
            self,
            Self::CivilServant
                | Self::PoliceMilitary
                | Self::StateEnterpriseDirector
                | Self::VillageHead
                | Self::Legislator
        )
    }
}

/// Dapodik's answer: is the NIK enrolled in formal education.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EducationCheck {
    pub enrolled: bool,
    #[serde(default)]
    pub institution_type: Option<String>,
}

/// DTKS's answer: does the NIK already receive social aid, and which.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WelfareCheck {
    pub recipient: bool,
    #[serde(default)]
    pub programme: Option<String>,
}

/// Programme name recorded for a DTKS recipient whose programme is not named.
pub const UNNAMED_SOCIAL_AID_PROGRAMME: &str = "dtks";

/// The outcome of verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Eligible. A social-aid recipient is not rejected but ranked lower
    /// later; the programme is carried along for that.
    Verified {
        social_aid_programme: Option<String>,
    },
    Rejected(RejectionReason),
}

/// The rejection Dukcapil's answer alone decides, if any. Rules, first match
/// wins:
///
/// 1. Dukcapil does not know the NIK → `IdentityNotFound`;
/// 2. the name or birth date does not match the record → `IdentityMismatch`;
/// 3. the recorded occupation is ineligible → `IneligibleOccupation`.
///
/// What the applicant declared about education is not acted on (Dapodik
/// decides, [`decide`]), and age is judged on the wave's closing day by the
/// eligibility rules (`crate::eligibility::ineligibility`), not here on the
/// submission day: someone who turns 18 before the wave closes is eligible.
///
/// `None` means the education and welfare registries decide the rest.
pub fn decide_on_identity(identity: &IdentityCheck) -> Option<RejectionReason> {
    if !identity.found {
        return Some(RejectionReason::IdentityNotFound);
    }
    if !identity.name_match || !identity.birth_date_match {
        return Some(RejectionReason::IdentityMismatch);
    }
    if identity.occupation.is_some_and(Occupation::is_ineligible) {
        return Some(RejectionReason::IneligibleOccupation);
    }
    None
}

/// Decides a registration from the registries' answers: the rules of
/// [`decide_on_identity`], then
///
/// 6. Dapodik has them enrolled → `InEducation`;
/// 7. otherwise verified, carrying the DTKS programme if they receive aid.
pub fn decide(
    identity: &IdentityCheck,
    education: &EducationCheck,
    welfare: &WelfareCheck,
) -> Decision {
    if let Some(reason) = decide_on_identity(identity) {
        return Decision::Rejected(reason);
    }
    if education.enrolled {
        return Decision::Rejected(RejectionReason::InEducation);
    }
    Decision::Verified {
        social_aid_programme: welfare.recipient.then(|| {
            welfare
                .programme
                .clone()
                .unwrap_or_else(|| UNNAMED_SOCIAL_AID_PROGRAMME.to_owned())
        }),
    }
}

/// The registries lonjak consults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registry {
    /// Civil registry: identity, name, birth date, occupation.
    Dukcapil,
    /// Education data: enrolment in school or university.
    Dapodik,
    /// Social-welfare data: current social-aid recipients.
    Dtks,
}

impl Registry {
    /// Every registry, in call order.
    pub const ALL: [Registry; 3] = [Registry::Dukcapil, Registry::Dapodik, Registry::Dtks];

    /// Lower-case name, used in configuration, metrics and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dukcapil => "dukcapil",
            Self::Dapodik => "dapodik",
            Self::Dtks => "dtks",
        }
    }
}

impl std::fmt::Display for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How one registry call ended, as recorded for audits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckOutcome {
    /// The registry answered; the answer is the check's detail.
    Answered,
    /// Not called: an earlier answer already decided the registration.
    Skipped,
}

impl CheckOutcome {
    /// Lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Answered => "answered",
            Self::Skipped => "skipped",
        }
    }
}

/// `Option<Date>` as `"YYYY-MM-DD"` or `null`.
mod iso_date_option {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Date;
    use time::format_description::BorrowedFormatItem;
    use time::macros::format_description;

    const FORMAT: &[BorrowedFormatItem<'static>] = format_description!("[year]-[month]-[day]");

    pub fn serialize<S: Serializer>(date: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
        match date {
            None => s.serialize_none(),
            Some(date) => {
                let text = date.format(FORMAT).map_err(serde::ser::Error::custom)?;
                s.serialize_some(&text)
            }
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Date>, D::Error> {
        Option::<std::borrow::Cow<'de, str>>::deserialize(d)?
            .map(|text| Date::parse(&text, FORMAT).map_err(serde::de::Error::custom))
            .transpose()
    }
}

#[cfg(test)]
#[path = "verification_tests.rs"]
mod tests;
