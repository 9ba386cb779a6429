//! Sealing a registration's applicant at the gateway and opening it in a
//! worker: HPKE base mode (RFC 9180), DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256, ChaCha20-Poly1305. One X25519 key agreement per
//! registration on each side.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use lonjak_domain::events::RegistrationSubmitted;
use lonjak_domain::{Registration, RegistrationId, RegistrationRequest, SealedApplicant, Wave};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::keys::Kem;
use crate::{OpeningKeys, SealPublicKey};

type Kdf = hpke::kdf::HkdfSha256;
type Aead = hpke::aead::ChaCha20Poly1305;
type EncappedKey = <Kem as hpke::Kem>::EncappedKey;

/// HPKE `info`: what the key schedule is for, and its version.
const INFO: &[u8] = b"lonjak registration.submitted applicant v1";

/// Why a registration could not be sealed (it cannot happen with a valid
/// public key; kept as an error, not a panic, on the intake path).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    #[error("the applicant could not be encoded")]
    Encode(#[source] serde_json::Error),
    #[error("HPKE sealing failed")]
    Hpke,
}

/// Why a sealed applicant was refused. Each is a message this worker cannot
/// honour as it stands: it is dead-lettered with [`OpenError::reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Sealed to a key this worker does not hold (rotated out, or not yet in).
    #[error("sealed to a key this worker does not hold")]
    UnknownKey,
    /// Not base64, or the encapsulated key has the wrong length.
    #[error("the sealed applicant is malformed")]
    Malformed,
    /// Authentication failed: the body or its clear envelope was altered, or
    /// the body was moved from another registration.
    #[error("the sealed applicant does not authenticate against its envelope")]
    Refused,
    /// It opened, but is not an applicant.
    #[error("the opened applicant is not a registration")]
    NotAnApplicant,
}

impl OpenError {
    /// Short label for the dead-letter header and metrics.
    pub fn reason(self) -> &'static str {
        match self {
            Self::UnknownKey => "sealed to an unknown key",
            Self::Malformed => "sealed applicant malformed",
            Self::Refused => "sealed applicant refused",
            Self::NotAnApplicant => "sealed applicant not a registration",
        }
    }
}

/// The associated data: the clear envelope the body belongs to. A body
/// moved onto another id, wave or submission time does not open.
fn aad(id: RegistrationId, wave: Wave, submitted_at: OffsetDateTime) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64);
    aad.extend_from_slice(b"lonjak.applicant\0");
    aad.extend_from_slice(id.as_bytes());
    aad.extend_from_slice(&wave.get().to_be_bytes());
    aad.extend_from_slice(&submitted_at.unix_timestamp_nanos().to_be_bytes());
    aad
}

/// The `registration.submitted` event of `registration`, its applicant
/// sealed to `key` and bound to `registration_id`, its wave and `submitted_at`.
pub fn seal_submitted(
    key: &SealPublicKey,
    registration_id: RegistrationId,
    registration: &Registration,
    submitted_at: OffsetDateTime,
) -> Result<RegistrationSubmitted, SealError> {
    seal_request(
        key,
        registration_id,
        registration.wave(),
        submitted_at,
        &registration.to_request(),
    )
}

/// [`seal_submitted`] of a wire-form applicant, as given (tools and tests
/// that publish what the gateway would not accept).
pub fn seal_request(
    key: &SealPublicKey,
    registration_id: RegistrationId,
    wave: Wave,
    submitted_at: OffsetDateTime,
    request: &RegistrationRequest,
) -> Result<RegistrationSubmitted, SealError> {
    let plaintext = Zeroizing::new(serde_json::to_vec(request).map_err(SealError::Encode)?);
    let (enc, ct) = hpke::single_shot_seal::<Aead, Kdf, Kem, _>(
        &OpModeS::Base,
        &key.key,
        INFO,
        &plaintext,
        &aad(registration_id, wave, submitted_at),
        &mut rand::rng(),
    )
    .map_err(|_| SealError::Hpke)?;
    Ok(RegistrationSubmitted {
        registration_id,
        wave,
        submitted_at,
        applicant: SealedApplicant {
            key_id: key.key_id().to_string(),
            enc: URL_SAFE_NO_PAD.encode(enc.to_bytes()),
            ct: URL_SAFE_NO_PAD.encode(ct),
        },
    })
}

/// Opens the applicant of `event` with the ring's key its `key_id` names,
/// checking it against the event's clear envelope.
pub fn open_submitted(
    keys: &OpeningKeys,
    event: &RegistrationSubmitted,
) -> Result<RegistrationRequest, OpenError> {
    let sealed = &event.applicant;
    let key = keys.find(&sealed.key_id).ok_or(OpenError::UnknownKey)?;
    let enc = URL_SAFE_NO_PAD
        .decode(&sealed.enc)
        .map_err(|_| OpenError::Malformed)?;
    let enc = EncappedKey::from_bytes(&enc).map_err(|_| OpenError::Malformed)?;
    let ct = URL_SAFE_NO_PAD
        .decode(&sealed.ct)
        .map_err(|_| OpenError::Malformed)?;
    let plaintext = Zeroizing::new(
        hpke::single_shot_open::<Aead, Kdf, Kem>(
            &OpModeR::Base,
            &key.key,
            &enc,
            INFO,
            &ct,
            &aad(event.registration_id, event.wave, event.submitted_at),
        )
        .map_err(|_| OpenError::Refused)?,
    );
    serde_json::from_slice(&plaintext).map_err(|_| OpenError::NotAnApplicant)
}

#[cfg(test)]
#[path = "applicant_tests.rs"]
mod tests;
