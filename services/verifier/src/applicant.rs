//! Turning the sealed `applicant` of a submitted event back into a
//! [`Registration`]: opened with the key it names, checked against its clear
//! envelope, parsed.
//!
//! The gateway already validated it, so a failure here means a message this
//! build cannot honour (sealed to a key not held, altered, moved from another
//! registration, not an applicant): it is dead-lettered with the reason. Age is not judged here: the
//! verifier judges it on the registry's birth date, after the identity check.

use lonjak_domain::events::RegistrationSubmitted;
use lonjak_domain::{IdentityKey, Registration, RegistrationId};
use lonjak_seal::{OpenError, OpeningKeys, open_submitted};

/// Dead-letter reason for an applicant that does not parse.
pub const INVALID_APPLICANT: &str = "invalid applicant";
/// Dead-letter reason for an id that is not the one derived from the NIK and
/// wave (the gateway and this worker disagree on the identity key).
pub const ID_MISMATCH: &str = "registration id mismatch";

/// Opens and parses the applicant of `submitted` and checks that the
/// event's id is the one its NIK and wave derive.
pub fn parse_applicant(
    submitted: &RegistrationSubmitted,
    opening_keys: &OpeningKeys,
    key: &IdentityKey,
) -> Result<Registration, &'static str> {
    let applicant = open_submitted(opening_keys, submitted).map_err(OpenError::reason)?;
    let registration =
        Registration::parse_submitted(&applicant, submitted.wave).map_err(|_| INVALID_APPLICANT)?;
    let derived = RegistrationId::derive(key, registration.nik(), registration.wave());
    if registration.wave() != submitted.wave || derived != submitted.registration_id {
        return Err(ID_MISMATCH);
    }
    Ok(registration)
}
