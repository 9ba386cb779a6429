//! Keyed hashes of the contact details, the look-up keys that let the
//! support desk and the email-verification link find a registration by
//! address or number without the clear value being stored or compared.
//!
//! `HMAC-SHA256(identity key, "lonjak.email\0" ‖ address)` and
//! `HMAC-SHA256(identity key, "lonjak.phone\0" ‖ E.164 number)`, over the
//! values as parsed (lower-cased address, `+62…` number). They share the
//! identity key with the NIK hash: rotating that key re-derives every hash
//! (docs/operations.md).

use crate::IdentityKey;

/// Keyed hash of a normalised email address.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct EmailHash([u8; 32]);

impl EmailHash {
    pub fn derive(key: &IdentityKey, email: &str) -> Self {
        Self(key.mac(&[b"lonjak.email\0", email.as_bytes()]))
    }

    /// Rebuilds a hash from its bytes (e.g. read back from the database).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Keyed hash of a normalised phone number.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PhoneHash([u8; 32]);

impl PhoneHash {
    pub fn derive(key: &IdentityKey, phone: &str) -> Self {
        Self(key.mac(&[b"lonjak.phone\0", phone.as_bytes()]))
    }

    /// Rebuilds a hash from its bytes (e.g. read back from the database).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

// Hashes print only a prefix: enough to tell two apart in a failing test.
impl std::fmt::Debug for EmailHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EmailHash({}…)", hex::encode(&self.0[..4]))
    }
}

impl std::fmt::Debug for PhoneHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PhoneHash({}…)", hex::encode(&self.0[..4]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> IdentityKey {
        IdentityKey::from_bytes(&[byte; 32]).expect("32 bytes")
    }

    #[test]
    fn hashes_are_keyed_and_separated_by_purpose() {
        let a = EmailHash::derive(&key(1), "siti@example.id");
        assert_eq!(a, EmailHash::derive(&key(1), "siti@example.id"));
        assert_ne!(a, EmailHash::derive(&key(2), "siti@example.id"));
        assert_ne!(a, EmailHash::derive(&key(1), "budi@example.id"));
        let email_of_number = EmailHash::derive(&key(1), "+6281234567890");
        let phone = PhoneHash::derive(&key(1), "+6281234567890");
        assert_ne!(email_of_number.as_bytes(), phone.as_bytes());
    }
}
