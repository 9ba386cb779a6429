//! Encryption at rest of every personal field (NIK, KK number, name, email,
//! phone, birth date): AES-256-GCM under one version of the [`KeyRing`].
//!
//! A ciphertext is `version (1 byte) ‖ nonce (12 bytes) ‖ ciphertext ‖ tag`.
//! The version names the key that sealed it, so keys can be rotated: writes
//! use the ring's current version, reads any version the ring holds. The
//! field label, the registration id and the version are bound in as
//! associated data, so a ciphertext copied to another row or column, or
//! relabelled with another version, fails to decrypt instead of silently
//! meaning something else.
//!
//! Rows written before versioned keys (`registrations.key_version IS NULL`)
//! hold NIK and KK as `nonce ‖ ciphertext ‖ tag` under key version 1, with
//! the field label and id as associated data ([`open_legacy`]); `lonjak-ops
//! keys rotate` rewrites them.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use zeroize::{Zeroize, Zeroizing};

use crate::StoreError;
pub use crate::keyring::KeyRing;

const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;

/// One 32-byte key that encrypts personal data at rest. From configuration;
/// `Debug` never shows it, and its bytes are wiped when it is dropped.
#[derive(Clone)]
pub struct DataKey([u8; KEY_LEN]);

impl DataKey {
    /// A key from exactly 32 raw bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, StoreError> {
        let key: [u8; KEY_LEN] = bytes.try_into().map_err(|_| {
            StoreError::Config(format!(
                "data key must be exactly {KEY_LEN} bytes, got {}",
                bytes.len()
            ))
        })?;
        Ok(Self(key))
    }

    /// A key from 64 hexadecimal characters (surrounding whitespace ignored).
    pub fn from_hex(hex: &str) -> Result<Self, StoreError> {
        let bytes = Zeroizing::new(
            hex::decode(hex.trim())
                .map_err(|_| StoreError::Config("data key is not valid hexadecimal".to_owned()))?,
        );
        Self::from_bytes(&bytes)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0))
    }
}

impl Drop for DataKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// Which column a ciphertext belongs to; part of the associated data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Field {
    Nik,
    KkNumber,
    FullName,
    Email,
    Phone,
    BirthDate,
}

impl Field {
    fn label(self) -> &'static [u8] {
        match self {
            Field::Nik => b"lonjak.registrations.nik",
            Field::KkNumber => b"lonjak.registrations.kk_number",
            Field::FullName => b"lonjak.registrations.full_name",
            Field::Email => b"lonjak.registrations.email",
            Field::Phone => b"lonjak.registrations.phone",
            Field::BirthDate => b"lonjak.registrations.birth_date",
        }
    }
}

fn associated_data(field: Field, registration_id: &str, version: Option<u8>) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64);
    aad.extend_from_slice(field.label());
    aad.push(0);
    aad.extend_from_slice(registration_id.as_bytes());
    if let Some(version) = version {
        aad.push(0);
        aad.push(version);
    }
    aad
}

/// `version ‖ nonce ‖ ciphertext ‖ tag` of `plaintext`, under the ring's
/// current key.
pub(crate) fn seal(
    ring: &KeyRing,
    field: Field,
    registration_id: &str,
    plaintext: &str,
) -> Result<Vec<u8>, StoreError> {
    let version = ring.current_version();
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let aad = associated_data(field, registration_id, Some(version));
    let sealed = ring
        .current()
        .cipher()
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext.as_bytes(),
                aad: &aad,
            },
        )
        .map_err(|_| StoreError::Crypto)?;
    let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
    out.push(version);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// The key version a value produced by [`seal`] was sealed under.
#[cfg(test)]
pub(crate) fn version_of(sealed: &[u8]) -> Option<u8> {
    sealed.first().copied()
}

/// The plaintext of a value produced by [`seal`] under any version the ring
/// holds, for the same field and id.
pub(crate) fn open(
    ring: &KeyRing,
    field: Field,
    registration_id: &str,
    sealed: &[u8],
) -> Result<String, StoreError> {
    let Some((&version, rest)) = sealed.split_first() else {
        return Err(StoreError::Crypto);
    };
    let key = ring.get(version).ok_or_else(|| {
        StoreError::Config(format!(
            "data key version {version} is not configured (database.previous_data_keys)"
        ))
    })?;
    decrypt(
        key,
        &associated_data(field, registration_id, Some(version)),
        rest,
    )
}

/// The plaintext of a NIK or KK ciphertext written before versioned keys:
/// no header, key version 1.
pub(crate) fn open_legacy(
    ring: &KeyRing,
    field: Field,
    registration_id: &str,
    sealed: &[u8],
) -> Result<String, StoreError> {
    let key = ring.get(1).ok_or_else(|| {
        StoreError::Config("rows from before versioned keys need data key version 1".to_owned())
    })?;
    decrypt(key, &associated_data(field, registration_id, None), sealed)
}

/// What the store wrote before versioned keys (`nonce ‖ ciphertext ‖ tag`,
/// no version anywhere): for tests of reading and rotating such rows.
#[cfg(any(test, feature = "testing"))]
pub(crate) fn seal_legacy(
    key: &DataKey,
    field: Field,
    registration_id: &str,
    plaintext: &str,
) -> Result<Vec<u8>, StoreError> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let aad = associated_data(field, registration_id, None);
    let sealed = key
        .cipher()
        .encrypt(
            &nonce,
            Payload {
                msg: plaintext.as_bytes(),
                aad: &aad,
            },
        )
        .map_err(|_| StoreError::Crypto)?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn decrypt(key: &DataKey, aad: &[u8], sealed: &[u8]) -> Result<String, StoreError> {
    if sealed.len() < NONCE_LEN {
        return Err(StoreError::Crypto);
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let plain = key
        .cipher()
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad,
            },
        )
        .map_err(|_| StoreError::Crypto)?;
    String::from_utf8(plain).map_err(|_| StoreError::Crypto)
}

#[cfg(test)]
#[path = "crypto_tests.rs"]
mod tests;
