//! Recipient keys: the public key the gateway seals to, the private keys
//! the workers open with, and the key id that names one in a message.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hpke::{Deserializable, Kem as _, Serializable};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::applicant::{ReceiverContext, SenderWindow};

/// DHKEM(X25519, HKDF-SHA256), RFC 9180 §7.1.
pub(crate) type Kem = hpke::kem::X25519HkdfSha256;
type PublicKey = <Kem as hpke::Kem>::PublicKey;
type PrivateKey = <Kem as hpke::Kem>::PrivateKey;

/// A rejected key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    #[error("a sealing key is 32 bytes written as unpadded base64url (43 characters)")]
    Format,
}

/// Names a recipient key in a sealed message: the first 4 bytes of
/// `SHA-256("lonjak.seal-key\0" ‖ public key)`, as 8 hex digits. Derived,
/// never configured, so two keys cannot be given the same name by mistake.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyId([u8; 4]);

impl KeyId {
    fn of(public: &PublicKey) -> Self {
        let digest = Sha256::new()
            .chain_update(b"lonjak.seal-key\0")
            .chain_update(public.to_bytes())
            .finalize();
        Self([digest[0], digest[1], digest[2], digest[3]])
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex_lower(&self.0))
    }
}

impl std::fmt::Debug for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyId({self})")
    }
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_32(text: &str) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let bytes = Zeroizing::new(
        URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| KeyError::Format)?,
    );
    if bytes.len() != 32 {
        return Err(KeyError::Format);
    }
    Ok(bytes)
}

/// The public key registrations are sealed to (the gateway's `seal.public_key`).
/// Clones share the sender's current context ([`crate::applicant`]).
#[derive(Clone)]
pub struct SealPublicKey {
    pub(crate) key: PublicKey,
    id: KeyId,
    pub(crate) window: Arc<Mutex<Option<Arc<SenderWindow>>>>,
}

impl SealPublicKey {
    /// Parses the unpadded base64url form `lonjak-ops keys seal-keypair` prints.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = decode_32(text)?;
        let key = PublicKey::from_bytes(&bytes).map_err(|_| KeyError::Format)?;
        Ok(Self::from_key(key))
    }

    fn from_key(key: PublicKey) -> Self {
        let id = KeyId::of(&key);
        Self {
            key,
            id,
            window: Arc::default(),
        }
    }

    pub fn key_id(&self) -> KeyId {
        self.id
    }

    pub fn to_base64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.to_bytes())
    }
}

impl std::fmt::Debug for SealPublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealPublicKey({})", self.id)
    }
}

impl<'de> Deserialize<'de> for SealPublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

/// A private key that opens what was sealed to its public key. It is wiped
/// from memory when dropped (x25519-dalek's `zeroize`) and never printed.
#[derive(Clone)]
pub struct SealPrivateKey {
    pub(crate) key: PrivateKey,
    public: SealPublicKey,
}

impl SealPrivateKey {
    /// A fresh key pair from the operating system's generator.
    pub fn generate() -> Self {
        let (key, public) = Kem::gen_keypair(&mut rand::rng());
        Self {
            key,
            public: SealPublicKey::from_key(public),
        }
    }

    /// Parses the unpadded base64url form `lonjak-ops keys seal-keypair` prints.
    pub fn from_base64(text: &str) -> Result<Self, KeyError> {
        let bytes = decode_32(text)?;
        let key = PrivateKey::from_bytes(&bytes).map_err(|_| KeyError::Format)?;
        let public = SealPublicKey::from_key(Kem::sk_to_pk(&key));
        Ok(Self { key, public })
    }

    /// The private key as base64url, for `seal-keypair` only: the caller
    /// puts it straight into a secret store.
    pub fn to_base64(&self) -> SecretString {
        let bytes = Zeroizing::new(self.key.to_bytes().to_vec());
        SecretString::from(URL_SAFE_NO_PAD.encode(&*bytes))
    }

    pub fn public(&self) -> &SealPublicKey {
        &self.public
    }

    pub fn key_id(&self) -> KeyId {
        self.public.id
    }
}

impl std::fmt::Debug for SealPrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealPrivateKey({}, <redacted>)", self.public.id)
    }
}

/// Read through [`SecretString`], so the text form is wiped too.
impl<'de> Deserialize<'de> for SealPrivateKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = SecretString::deserialize(deserializer)?;
        Self::from_base64(text.expose_secret()).map_err(serde::de::Error::custom)
    }
}

/// Opened sender contexts by (key id, encapsulated key).
pub(crate) type ContextCache = HashMap<(String, String), Arc<ReceiverContext>>;

/// The private keys a worker opens with: the current one and, during a
/// rotation, the previous one, found by the key id a message names. Clones
/// share the cache of opened sender contexts.
#[derive(Clone)]
pub struct OpeningKeys {
    keys: Vec<SealPrivateKey>,
    pub(crate) contexts: Arc<Mutex<ContextCache>>,
}

impl OpeningKeys {
    /// The ring of `keys`, current first.
    pub fn new(keys: Vec<SealPrivateKey>) -> Self {
        Self {
            keys,
            contexts: Arc::default(),
        }
    }

    pub(crate) fn find(&self, key_id: &str) -> Option<&SealPrivateKey> {
        self.keys.iter().find(|k| k.key_id().to_string() == key_id)
    }

    /// The ids of the keys held, current first (logged at start).
    pub fn key_ids(&self) -> Vec<KeyId> {
        self.keys.iter().map(SealPrivateKey::key_id).collect()
    }
}

impl std::fmt::Debug for OpeningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("OpeningKeys").field(&self.keys).finish()
    }
}

/// The local pipeline's private key (`deploy/local/env.sh`, compose, the
/// k8s dev overlay, tests): 32 known bytes, never for a real deployment.
pub const DEVELOPMENT_PRIVATE_KEY: &str = "bG9uamFrLWxvY2FsLXNlYWwta2V5LW5vdC1zZWNyZXQ";
/// Its public key.
pub const DEVELOPMENT_PUBLIC_KEY: &str = "L2Hd8oPnVFm1va9MwxlzPkyJR8vJNBKmUqKB1Snt6zU";
