//! Identifiers derived from personal data with a keyed hash, so that ids are
//! stable across retries and the NIK itself need not be stored or logged.
//!
//! All derivations are HMAC-SHA256 under the deployment's [`IdentityKey`] with
//! a domain-separation prefix per purpose (see the crate README).

use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::Sha256;

use crate::{KkNumber, Nik, Registration, Wave};

type HmacSha256 = Hmac<Sha256>;

/// Minimum key length: the HMAC-SHA256 output size, so the key is never the
/// weak link.
pub const MIN_IDENTITY_KEY_BYTES: usize = 32;

/// The secret key of every identity derivation. Configuration
/// (`LONJAK_IDENTITY__KEY`), shared by every service of one deployment.
#[derive(Clone)]
pub struct IdentityKey(Vec<u8>);

/// A rejected identity key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityKeyError {
    #[error("the identity key must be at least {MIN_IDENTITY_KEY_BYTES} bytes, got {len}")]
    TooShort { len: usize },
    #[error("the identity key is not valid hexadecimal")]
    NotHex,
}

impl IdentityKey {
    /// Uses `bytes` as the key; at least 32 bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IdentityKeyError> {
        if bytes.len() < MIN_IDENTITY_KEY_BYTES {
            return Err(IdentityKeyError::TooShort { len: bytes.len() });
        }
        Ok(Self(bytes.to_vec()))
    }

    /// Decodes a hex-encoded key (at least 64 hex digits).
    pub fn from_hex(hex_key: &str) -> Result<Self, IdentityKeyError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| IdentityKeyError::NotHex)?;
        Self::from_bytes(&bytes)
    }

    /// HMAC-SHA256 of the concatenated `parts`.
    pub(crate) fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().into()
    }
}

/// Read from configuration as hex, so a key that exists is a valid key.
impl<'de> Deserialize<'de> for IdentityKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let hex_key = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::from_hex(&hex_key).map_err(serde::de::Error::custom)
    }
}

/// `identity.*`: the deployment-wide keys of ids and keyed hashes.
#[derive(Debug, Clone, Deserialize)]
pub struct IdentitySettings {
    /// Derives registration ids (`LONJAK_IDENTITY__KEY`), at least 32 bytes
    /// as hex. The gateway holds it: it derives each id at intake.
    pub key: IdentityKey,
    /// Derives the stored look-up hashes (NIK, KK, email, phone,
    /// submission) in the workers (`LONJAK_IDENTITY__LOOKUP_KEY`), never
    /// given to the gateway, so that the gateway's key does not invert
    /// them. Without it, `key` derives them too (as before it existed).
    #[serde(default)]
    pub lookup_key: Option<IdentityKey>,
}

impl IdentitySettings {
    /// The key of the stored look-up hashes: `lookup_key`, else `key`.
    pub fn lookup_key(&self) -> &IdentityKey {
        self.lookup_key.as_ref().unwrap_or(&self.key)
    }
}

impl std::fmt::Debug for IdentityKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdentityKey(<redacted>)")
    }
}

/// A rejected registration id string.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationIdError {
    #[error("a registration id is 32 lower-case hexadecimal characters")]
    Format,
}

/// The id of one person's registration in one wave, 16 bytes written as 32
/// lower-case hex characters:
///
/// * bytes 0–11: the first 12 bytes of
///   `HMAC-SHA256(key, "lonjak.registration-id\0" ‖ NIK ‖ "\0" ‖ wave)`, wave in decimal;
/// * bytes 12–15: the first 4 bytes of
///   `HMAC-SHA256(key, "lonjak.registration-tag\0" ‖ bytes 0–11)`.
///
/// The tag lets a service holding the key tell an id it issued (say, one still
/// waiting in the queue) from a made-up one without any storage
/// ([`RegistrationId::is_issued_by`]); 96 bits keep ids of millions of
/// applicants collision-free.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RegistrationId([u8; 16]);

impl RegistrationId {
    /// Derives the id of `nik`'s registration in `wave`.
    pub fn derive(key: &IdentityKey, nik: &Nik, wave: Wave) -> Self {
        let wave = wave.get().to_string();
        let mac = key.mac(&[
            b"lonjak.registration-id\0",
            nik.as_str().as_bytes(),
            b"\0",
            wave.as_bytes(),
        ]);
        let mut id = [0u8; 16];
        id[..12].copy_from_slice(&mac[..12]);
        id[12..].copy_from_slice(&Self::tag(key, &mac[..12]));
        Self(id)
    }

    fn tag(key: &IdentityKey, body: &[u8]) -> [u8; 4] {
        let mac = key.mac(&[b"lonjak.registration-tag\0", body]);
        [mac[0], mac[1], mac[2], mac[3]]
    }

    /// Whether this id was derived with `key`: its tag matches its body. An
    /// id that passes was issued by this deployment (or guessed with odds of
    /// one in 2³²).
    pub fn is_issued_by(&self, key: &IdentityKey) -> bool {
        Self::tag(key, &self.0[..12]) == self.0[12..]
    }

    /// Parses the 32-character lower-case hex form.
    pub fn parse(input: &str) -> Result<Self, RegistrationIdError> {
        let ok = input.len() == 32
            && input
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if !ok {
            return Err(RegistrationIdError::Format);
        }
        let mut id = [0u8; 16];
        hex::decode_to_slice(input, &mut id).map_err(|_| RegistrationIdError::Format)?;
        Ok(Self(id))
    }

    /// Rebuilds an id from its bytes (e.g. read back from the database).
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The same 16 bytes as a UUID, for storage in a `uuid` column.
    pub fn to_uuid(self) -> uuid::Uuid {
        uuid::Uuid::from_bytes(self.0)
    }

    /// The id stored as a UUID.
    pub fn from_uuid(uuid: uuid::Uuid) -> Self {
        Self(uuid.into_bytes())
    }
}

impl std::fmt::Display for RegistrationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

// The id is a keyed hash, not personal data, so Debug shows it: it is what
// logs and test failures need to correlate.
impl std::fmt::Debug for RegistrationId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RegistrationId({self})")
    }
}

impl std::str::FromStr for RegistrationId {
    type Err = RegistrationIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Serialize for RegistrationId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for RegistrationId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Keyed hash of a NIK, `HMAC-SHA256(key, "lonjak.nik\0" ‖ NIK)`: the
/// database's look-up and uniqueness key in place of the NIK.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct NikHash([u8; 32]);

impl NikHash {
    pub fn derive(key: &IdentityKey, nik: &Nik) -> Self {
        Self(key.mac(&[b"lonjak.nik\0", nik.as_str().as_bytes()]))
    }

    /// Rebuilds a hash from its bytes (e.g. read back from the database).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Keyed hash of a KK number, `HMAC-SHA256(key, "lonjak.kk\0" ‖ KK)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KkHash([u8; 32]);

impl KkHash {
    pub fn derive(key: &IdentityKey, kk: &KkNumber) -> Self {
        Self(key.mac(&[b"lonjak.kk\0", kk.as_str().as_bytes()]))
    }

    /// Rebuilds a hash from its bytes (e.g. read back from the database).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Keyed hash of everything a submission states (every normalised field and
/// the wave): two submissions with the same hash say the same thing, so a
/// re-submission is recognised without keeping or comparing clear data.
/// `HMAC-SHA256(key, "lonjak.submission\0" ‖ field ‖ "\x1f" ‖ field …)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubmissionHash([u8; 32]);

impl SubmissionHash {
    pub fn derive(key: &IdentityKey, reg: &Registration) -> Self {
        let birth_date = reg.birth_date().to_iso_string();
        let wave = reg.wave().get().to_string();
        let in_education: &[u8] = if reg.in_education() { b"1" } else { b"0" };
        let fields: [&[u8]; 9] = [
            reg.nik().as_str().as_bytes(),
            reg.kk_number().as_str().as_bytes(),
            reg.full_name().as_str().as_bytes(),
            birth_date.as_bytes(),
            reg.email().as_str().as_bytes(),
            reg.phone().as_str().as_bytes(),
            reg.employment_status().as_str().as_bytes(),
            in_education,
            wave.as_bytes(),
        ];
        let mut parts: Vec<&[u8]> = vec![b"lonjak.submission\0"];
        for (i, field) in fields.iter().enumerate() {
            if i > 0 {
                // A unit separator no parsed field can contain.
                parts.push(b"\x1f");
            }
            parts.push(field);
        }
        Self(key.mac(&parts))
    }

    /// Rebuilds a hash from its bytes (e.g. read back from the database).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for SubmissionHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SubmissionHash({}…)", hex::encode(&self.0[..4]))
    }
}

// Hashes print only a prefix: enough to tell two apart in a failing test.
impl std::fmt::Debug for NikHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "NikHash({}…)", hex::encode(&self.0[..4]))
    }
}

impl std::fmt::Debug for KkHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KkHash({}…)", hex::encode(&self.0[..4]))
    }
}

#[cfg(test)]
#[path = "identity_tests.rs"]
mod tests;
