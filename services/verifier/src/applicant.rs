//! Turning the `applicant` of a submitted event back into a [`Registration`].
//!
//! The gateway already validated it, so a failure here means a message this
//! build cannot honour (dead-lettered), with one exception: an applicant who
//! is under 18 on the submission date is a valid registration to reject, not
//! a broken message.

use lonjak_domain::events::RegistrationSubmitted;
use lonjak_domain::{IdentityKey, Registration, RegistrationId, RejectionReason};

/// Dead-letter reason for an applicant that does not parse.
pub const INVALID_APPLICANT: &str = "invalid applicant";
/// Dead-letter reason for an id that is not the one derived from the NIK and
/// wave (the gateway and this worker disagree on the identity key).
pub const ID_MISMATCH: &str = "registration id mismatch";

/// A parsed applicant and whether it is rejected before any registry call.
#[derive(Clone)]
pub struct Applicant {
    pub registration: Registration,
    under_age: bool,
}

impl Applicant {
    /// A rejection that needs no registry: under 18 on the submission date,
    /// or enrolled in education by the applicant's own statement.
    pub fn forced_rejection(&self) -> Option<RejectionReason> {
        if self.under_age {
            Some(RejectionReason::Under18)
        } else if self.registration.in_education() {
            Some(RejectionReason::InEducation)
        } else {
            None
        }
    }
}

/// Parses the applicant as of the submission date, and checks that the
/// event's id is the one its NIK and wave derive.
pub fn parse_applicant(
    submitted: &RegistrationSubmitted,
    key: &IdentityKey,
) -> Result<Applicant, &'static str> {
    let registration = Registration::parse_submitted(&submitted.applicant, submitted.wave)
        .map_err(|_| INVALID_APPLICANT)?;
    let under_age = !registration.is_adult_on(submitted.submitted_on());
    let derived = RegistrationId::derive(key, registration.nik(), registration.wave());
    if registration.wave() != submitted.wave || derived != submitted.registration_id {
        return Err(ID_MISMATCH);
    }
    Ok(Applicant {
        registration,
        under_age,
    })
}
