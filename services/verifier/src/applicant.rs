//! Turning the `applicant` of a submitted event back into a [`Registration`].
//!
//! The gateway already validated it, so a failure here means a message this
//! build cannot honour: it is dead-lettered. Age is not judged here: the
//! verifier judges it on the registry's birth date, after the identity check.

use lonjak_domain::events::RegistrationSubmitted;
use lonjak_domain::{IdentityKey, Registration, RegistrationId};

/// Dead-letter reason for an applicant that does not parse.
pub const INVALID_APPLICANT: &str = "invalid applicant";
/// Dead-letter reason for an id that is not the one derived from the NIK and
/// wave (the gateway and this worker disagree on the identity key).
pub const ID_MISMATCH: &str = "registration id mismatch";

/// Parses the applicant of `submitted` and checks that the event's id is the
/// one its NIK and wave derive.
pub fn parse_applicant(
    submitted: &RegistrationSubmitted,
    key: &IdentityKey,
) -> Result<Registration, &'static str> {
    let registration = Registration::parse_submitted(&submitted.applicant, submitted.wave)
        .map_err(|_| INVALID_APPLICANT)?;
    let derived = RegistrationId::derive(key, registration.nik(), registration.wave());
    if registration.wave() != submitted.wave || derived != submitted.registration_id {
        return Err(ID_MISMATCH);
    }
    Ok(registration)
}
