//! The `seal.*` settings section: the public key on the gateway, the
//! private keys on the workers that open (and nowhere else).

use serde::Deserialize;

use crate::{OpeningKeys, SealPrivateKey, SealPublicKey};

/// `seal.*` on the gateway: only the public key.
#[derive(Debug, Clone, Deserialize)]
pub struct SealingSettings {
    /// The workers' current public key, unpadded base64url
    /// (`LONJAK_SEAL__PUBLIC_KEY`).
    pub public_key: SealPublicKey,
}

/// `seal.*` on a worker that reads applicants' fields.
#[derive(Debug, Clone, Deserialize)]
pub struct OpeningSettings {
    /// The current private key (`LONJAK_SEAL__PRIVATE_KEY`), a secret.
    pub private_key: SealPrivateKey,
    /// The one before it, kept while messages sealed to it may still be
    /// queued, retried or dead-lettered (`LONJAK_SEAL__PREVIOUS_PRIVATE_KEY`).
    #[serde(default)]
    pub previous_private_key: Option<SealPrivateKey>,
}

impl OpeningSettings {
    pub fn ring(&self) -> OpeningKeys {
        let mut keys = vec![self.private_key.clone()];
        keys.extend(self.previous_private_key.clone());
        OpeningKeys::new(keys)
    }
}
