//! Encryption at rest of the personal identifiers that must be kept in clear
//! form somewhere (NIK, KK number): AES-256-GCM with a random 96-bit nonce
//! prepended to the ciphertext. The registration id and a field label are
//! bound in as associated data, so a ciphertext copied to another row or
//! column fails to decrypt instead of silently meaning something else.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};

use crate::StoreError;

const NONCE_LEN: usize = 12;
const KEY_LEN: usize = 32;

/// The 32-byte key that encrypts personal data at rest. From configuration;
/// `Debug` never shows it.
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
        let bytes = hex::decode(hex.trim())
            .map_err(|_| StoreError::Config("data key is not valid hexadecimal".to_owned()))?;
        Self::from_bytes(&bytes)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&self.0))
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// Which column a ciphertext belongs to; part of the associated data.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field {
    Nik,
    KkNumber,
}

impl Field {
    fn label(self) -> &'static [u8] {
        match self {
            Field::Nik => b"lonjak.registrations.nik",
            Field::KkNumber => b"lonjak.registrations.kk_number",
        }
    }
}

fn associated_data(field: Field, registration_id: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(64);
    aad.extend_from_slice(field.label());
    aad.push(0);
    aad.extend_from_slice(registration_id.as_bytes());
    aad
}

/// `nonce ‖ ciphertext ‖ tag` of `plaintext`.
pub(crate) fn seal(
    key: &DataKey,
    field: Field,
    registration_id: &str,
    plaintext: &str,
) -> Result<Vec<u8>, StoreError> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let aad = associated_data(field, registration_id);
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
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// The plaintext of a value produced by [`seal`] with the same key, field and id.
pub(crate) fn open(
    key: &DataKey,
    field: Field,
    registration_id: &str,
    sealed: &[u8],
) -> Result<String, StoreError> {
    if sealed.len() < NONCE_LEN {
        return Err(StoreError::Crypto);
    }
    let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
    let aad = associated_data(field, registration_id);
    let plain = key
        .cipher()
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: &aad,
            },
        )
        .map_err(|_| StoreError::Crypto)?;
    String::from_utf8(plain).map_err(|_| StoreError::Crypto)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> DataKey {
        DataKey::from_bytes(&[byte; 32]).expect("32 bytes")
    }

    #[test]
    fn sealed_value_opens_back_to_the_plaintext() {
        let sealed = seal(&key(7), Field::Nik, "ab", "3171234567890123").expect("seal");
        assert_eq!(
            open(&key(7), Field::Nik, "ab", &sealed).expect("open"),
            "3171234567890123"
        );
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let a = seal(&key(7), Field::Nik, "ab", "3171234567890123").expect("seal");
        let b = seal(&key(7), Field::Nik, "ab", "3171234567890123").expect("seal");
        assert_ne!(a, b);
    }

    #[test]
    fn ciphertext_moved_to_another_row_or_field_does_not_open() {
        let sealed = seal(&key(7), Field::Nik, "ab", "3171234567890123").expect("seal");
        assert!(open(&key(7), Field::Nik, "cd", &sealed).is_err());
        assert!(open(&key(7), Field::KkNumber, "ab", &sealed).is_err());
    }

    #[test]
    fn wrong_key_does_not_open() {
        let sealed = seal(&key(7), Field::Nik, "ab", "3171234567890123").expect("seal");
        assert!(open(&key(8), Field::Nik, "ab", &sealed).is_err());
    }

    #[test]
    fn key_must_be_exactly_32_bytes() {
        assert!(DataKey::from_bytes(&[0; 31]).is_err());
        assert!(DataKey::from_bytes(&[0; 33]).is_err());
        assert!(DataKey::from_hex(&"ab".repeat(32)).is_ok());
        assert!(DataKey::from_hex("zz").is_err());
    }

    #[test]
    fn debug_never_shows_the_key() {
        let shown = format!("{:?}", DataKey::from_hex(&"ab".repeat(32)).expect("hex"));
        assert!(!shown.to_lowercase().contains("ab"), "{shown}");
    }
}
