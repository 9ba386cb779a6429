//! Turning the `applicant` of a submitted event back into a [`Registration`].
//!
//! The gateway already validated it, so a failure here means a message this
//! build cannot honour (dead-lettered), with one exception: an applicant who
//! is under 18 on the submission date is a valid registration to reject, not
//! a broken message.

use lonjak_domain::events::RegistrationSubmitted;
use lonjak_domain::{IdentityKey, MIN_AGE_YEARS, Registration, RegistrationId, RejectionReason};

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
    let today = submitted.submitted_on();
    let (registration, under_age) =
        match Registration::parse(&submitted.applicant, today, submitted.wave) {
            Ok(registration) => (registration, false),
            Err(errors)
                if errors
                    .errors()
                    .iter()
                    .all(|e| e.field == "birth_date" && e.rule == "min_age") =>
            {
                // Every other rule holds. Parse again as of a day at least 18
                // years later, which the age rule passes, to get the value.
                let adult_day = today
                    .checked_add(time::Duration::days(365 * i64::from(MIN_AGE_YEARS) + 5))
                    .ok_or(INVALID_APPLICANT)?;
                let registration =
                    Registration::parse(&submitted.applicant, adult_day, submitted.wave)
                        .map_err(|_| INVALID_APPLICANT)?;
                (registration, true)
            }
            Err(_) => return Err(INVALID_APPLICANT),
        };
    let derived = RegistrationId::derive(key, registration.nik(), registration.wave());
    if registration.wave() != submitted.wave || derived != submitted.registration_id {
        return Err(ID_MISMATCH);
    }
    Ok(Applicant {
        registration,
        under_age,
    })
}
