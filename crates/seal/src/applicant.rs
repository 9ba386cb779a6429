//! Sealing a registration's applicant at the gateway and opening it in a
//! worker: HPKE (RFC 9180) base mode, DHKEM(X25519, HKDF-SHA256),
//! HKDF-SHA256, used through its secret export (§5.3), then
//! ChaCha20-Poly1305 under the exported key.
//!
//! One X25519 encapsulation serves every registration a gateway seals in
//! [`WINDOW`]: each registration gets its own key, exported from that
//! context with its clear envelope and 16 random bytes as the exporter
//! context, so a registration costs one HMAC and one AEAD instead of two
//! scalar multiplications. The verifier opens each context once (one key
//! agreement per gateway replica and window) and keeps it in a bounded
//! cache. What a gateway compromise gains from the context's secret in its
//! memory: the window's registrations, which passed through it in clear.

use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead as _, KeyInit as _, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hpke::{Deserializable, OpModeR, OpModeS, Serializable};
use lonjak_domain::events::RegistrationSubmitted;
use lonjak_domain::{Registration, RegistrationId, RegistrationRequest, SealedApplicant, Wave};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::keys::Kem;
use crate::{OpeningKeys, SealPrivateKey, SealPublicKey};

type Kdf = hpke::kdf::HkdfSha256;
/// The context is used for its exporter only.
type ExportOnly = hpke::aead::ExportOnlyAead;
type EncappedKey = <Kem as hpke::Kem>::EncappedKey;
pub(crate) type ReceiverContext = hpke::aead::AeadCtxR<ExportOnly, Kdf, Kem>;

/// HPKE `info`: what the key schedule is for, and its version.
const INFO: &[u8] = b"lonjak registration.submitted applicant v1";
/// How long one sender context (one encapsulation) serves a gateway.
pub const WINDOW: Duration = Duration::from_secs(10);
/// Opened contexts a worker keeps (one per gateway replica and window).
const MAX_CONTEXTS: usize = 4_096;
const SALT_BYTES: usize = 16;

/// A sender context and its encapsulated key, shared while it is fresh.
pub(crate) struct SenderWindow {
    enc: String,
    context: hpke::aead::AeadCtxS<ExportOnly, Kdf, Kem>,
    started: Instant,
}

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
    let window = current_window(key)?;
    let aad = aad(registration_id, wave, submitted_at);
    let salt: [u8; SALT_BYTES] = rand::random();
    let message_key = message_key(&aad, &salt, |context, out| {
        window.context.export(context, out)
    })
    .ok_or(SealError::Hpke)?;
    let ct = ChaCha20Poly1305::new((&*message_key).into())
        .encrypt(
            &Nonce::default(),
            Payload {
                msg: &plaintext,
                aad: &aad,
            },
        )
        .map_err(|_| SealError::Hpke)?;
    Ok(RegistrationSubmitted {
        registration_id,
        wave,
        submitted_at,
        applicant: SealedApplicant {
            key_id: key.key_id().to_string(),
            enc: window.enc.clone(),
            salt: URL_SAFE_NO_PAD.encode(salt),
            ct: URL_SAFE_NO_PAD.encode(ct),
        },
    })
}

/// The sender context of `key` now: the shared one while it is fresh, else
/// a new encapsulation (once per [`WINDOW`]).
fn current_window(key: &SealPublicKey) -> Result<Arc<SenderWindow>, SealError> {
    let mut slot = key.window.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(window) = slot.as_ref().filter(|w| w.started.elapsed() < WINDOW) {
        return Ok(window.clone());
    }
    let (enc, context) = hpke::setup_sender::<ExportOnly, Kdf, Kem, _>(
        &OpModeS::Base,
        &key.key,
        INFO,
        &mut rand::rng(),
    )
    .map_err(|_| SealError::Hpke)?;
    let window = Arc::new(SenderWindow {
        enc: URL_SAFE_NO_PAD.encode(enc.to_bytes()),
        context,
        started: Instant::now(),
    });
    *slot = Some(window.clone());
    Ok(window)
}

/// One registration's key: exported with its clear envelope and salt, so
/// that no two registrations share a key (the nonce can then be fixed).
fn message_key(
    aad: &[u8],
    salt: &[u8],
    export: impl FnOnce(&[u8], &mut [u8]) -> Result<(), hpke::HpkeError>,
) -> Option<Zeroizing<[u8; 32]>> {
    let mut context = Vec::with_capacity(aad.len() + salt.len() + 24);
    context.extend_from_slice(b"lonjak.applicant-key\0");
    context.extend_from_slice(aad);
    context.extend_from_slice(salt);
    let mut key = Zeroizing::new([0u8; 32]);
    export(&context, &mut *key).ok()?;
    Some(key)
}

/// Opens the applicant of `event` with the ring's key its `key_id` names,
/// checking it against the event's clear envelope.
pub fn open_submitted(
    keys: &OpeningKeys,
    event: &RegistrationSubmitted,
) -> Result<RegistrationRequest, OpenError> {
    let sealed = &event.applicant;
    let key = keys.find(&sealed.key_id).ok_or(OpenError::UnknownKey)?;
    let decode = |text: &str| {
        URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| OpenError::Malformed)
    };
    let salt = decode(&sealed.salt)?;
    if salt.len() != SALT_BYTES {
        return Err(OpenError::Malformed);
    }
    let ct = decode(&sealed.ct)?;
    let context = receiver_context(keys, key, sealed)?;
    let aad = aad(event.registration_id, event.wave, event.submitted_at);
    let message_key =
        message_key(&aad, &salt, |c, out| context.export(c, out)).ok_or(OpenError::Refused)?;
    let plaintext = Zeroizing::new(
        ChaCha20Poly1305::new((&*message_key).into())
            .decrypt(
                &Nonce::default(),
                Payload {
                    msg: &ct,
                    aad: &aad,
                },
            )
            .map_err(|_| OpenError::Refused)?,
    );
    serde_json::from_slice(&plaintext).map_err(|_| OpenError::NotAnApplicant)
}

/// The opened context of `sealed`'s encapsulated key: from the cache, or
/// one key agreement. A bogus encapsulated key opens to a context whose
/// keys authenticate nothing; the cache is bounded, so such keys cannot
/// grow it.
fn receiver_context(
    keys: &OpeningKeys,
    key: &SealPrivateKey,
    sealed: &SealedApplicant,
) -> Result<Arc<ReceiverContext>, OpenError> {
    let slot = (sealed.key_id.clone(), sealed.enc.clone());
    let cached = keys
        .contexts
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&slot)
        .cloned();
    if let Some(context) = cached {
        return Ok(context);
    }
    let enc = URL_SAFE_NO_PAD
        .decode(&sealed.enc)
        .map_err(|_| OpenError::Malformed)?;
    let enc = EncappedKey::from_bytes(&enc).map_err(|_| OpenError::Malformed)?;
    let context = Arc::new(
        hpke::setup_receiver::<ExportOnly, Kdf, Kem>(&OpModeR::Base, &key.key, &enc, INFO)
            .map_err(|_| OpenError::Refused)?,
    );
    let mut contexts = keys.contexts.lock().unwrap_or_else(PoisonError::into_inner);
    if contexts.len() >= MAX_CONTEXTS {
        contexts.clear();
    }
    contexts.insert(slot, context.clone());
    Ok(context)
}

#[cfg(test)]
#[path = "applicant_tests.rs"]
mod tests;
