//! The wire form of an applicant sealed at the edge: what the broker carries
//! in place of the personal fields. Plain data; sealing and opening (HPKE,
//! RFC 9180) belong to `lonjak-seal`, which only the gateway (public key)
//! and the workers that read the fields (private keys) link.

use serde::{Deserialize, Serialize};

/// A [`crate::RegistrationRequest`] encrypted to a recipient public key. The
/// clear envelope around it (registration id, wave, submission time) is
/// bound to it as associated data: the body cannot be moved onto another
/// registration. `Debug` prints the key id and the lengths only.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedApplicant {
    /// Which recipient key it was sealed to (8 hex digits derived from the
    /// public key), so that the recipient key can rotate.
    pub key_id: String,
    /// The HPKE encapsulated key of the sender's context, base64url without
    /// padding (shared by the registrations one gateway seals in a few
    /// seconds: `lonjak-seal`).
    pub enc: String,
    /// 16 random bytes, base64url without padding: with the clear envelope,
    /// they make this registration's key, exported from the context.
    pub salt: String,
    /// The AEAD ciphertext and tag, base64url without padding.
    pub ct: String,
}

impl std::fmt::Debug for SealedApplicant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealedApplicant")
            .field("key_id", &self.key_id)
            .field("enc_len", &self.enc.len())
            .field("ct_len", &self.ct.len())
            .finish()
    }
}
