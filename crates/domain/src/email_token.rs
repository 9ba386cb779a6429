//! Email-verification links: a token that names the registration and an
//! expiry, signed with a deployment key over the address it was sent to.
//!
//! Token: lower-case hex of `registration id (16 bytes) ‖ expiry (unix
//! seconds, 8 bytes big-endian) ‖ MAC (16 bytes)`, 80 characters, where the
//! MAC is the first 16 bytes of
//! `HMAC-SHA256(key, "lonjak.email-verification\0" ‖ id ‖ expiry ‖ email hash)`,
//! the email hash being the address's keyed hash ([`EmailHash`]): the
//! gateway checks a link against the stored hash and never needs the
//! address itself in clear. Binding the address means a link stops working if the registration is
//! replaced by one with another address; it also means the token carries no
//! address at all, so a link shown to the wrong person reveals none.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer};
use sha2::Sha256;
use time::OffsetDateTime;

use crate::{EmailHash, RegistrationId};

type HmacSha256 = Hmac<Sha256>;

const MAC_BYTES: usize = 16;
const TOKEN_BYTES: usize = 16 + 8 + MAC_BYTES;
/// Minimum key length, as for the identity key.
pub const MIN_EMAIL_KEY_BYTES: usize = 32;

/// The secret key of verification links (`LONJAK_EMAIL_VERIFICATION__KEY`),
/// shared by the notifier (which signs) and the gateway (which checks).
#[derive(Clone)]
pub struct EmailVerificationKey(Vec<u8>);

impl EmailVerificationKey {
    /// Decodes a hex key of at least 32 bytes.
    pub fn from_hex(hex_key: &str) -> Result<Self, TokenError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| TokenError::BadKey)?;
        if bytes.len() < MIN_EMAIL_KEY_BYTES {
            return Err(TokenError::BadKey);
        }
        Ok(Self(bytes))
    }

    fn mac(&self, id: &RegistrationId, expiry: [u8; 8], address: &EmailHash) -> HmacSha256 {
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(b"lonjak.email-verification\0");
        mac.update(id.as_bytes());
        mac.update(&expiry);
        mac.update(address.as_bytes());
        mac
    }
}

impl std::fmt::Debug for EmailVerificationKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EmailVerificationKey(<redacted>)")
    }
}

impl<'de> Deserialize<'de> for EmailVerificationKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let hex_key = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        Self::from_hex(&hex_key).map_err(serde::de::Error::custom)
    }
}

/// Why a token was refused. The labels are safe to log and to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// Not a token of ours (wrong length, not hex).
    #[error("the token is malformed")]
    Malformed,
    /// Well-formed, but the signature does not match what is stored.
    #[error("the token's signature does not match")]
    Tampered,
    /// Genuine, but past its expiry.
    #[error("the token has expired")]
    Expired,
    /// The key is not hex or shorter than 32 bytes.
    #[error("the email verification key must be at least {MIN_EMAIL_KEY_BYTES} bytes of hex")]
    BadKey,
}

/// A parsed (not yet checked) verification token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailToken {
    registration_id: RegistrationId,
    expiry: [u8; 8],
    mac: [u8; MAC_BYTES],
}

impl EmailToken {
    /// Signs a token for `id` and the address hashed as `address`, valid
    /// until `expires_at`.
    pub fn issue(
        key: &EmailVerificationKey,
        id: &RegistrationId,
        address: &EmailHash,
        expires_at: OffsetDateTime,
    ) -> String {
        let expiry = expires_at.unix_timestamp().max(0).to_be_bytes();
        let mac = key.mac(id, expiry, address).finalize().into_bytes();
        let mut bytes = Vec::with_capacity(TOKEN_BYTES);
        bytes.extend_from_slice(id.as_bytes());
        bytes.extend_from_slice(&expiry);
        bytes.extend_from_slice(&mac[..MAC_BYTES]);
        hex::encode(bytes)
    }

    /// Parses the text of a token; says nothing yet about whether it is genuine.
    pub fn parse(token: &str) -> Result<Self, TokenError> {
        if token.len() != TOKEN_BYTES * 2 {
            return Err(TokenError::Malformed);
        }
        let bytes = hex::decode(token).map_err(|_| TokenError::Malformed)?;
        let mut id = [0u8; 16];
        let mut expiry = [0u8; 8];
        let mut mac = [0u8; MAC_BYTES];
        id.copy_from_slice(&bytes[..16]);
        expiry.copy_from_slice(&bytes[16..24]);
        mac.copy_from_slice(&bytes[24..]);
        Ok(Self {
            registration_id: RegistrationId::from_bytes(id),
            expiry,
            mac,
        })
    }

    /// The registration it names (not to be trusted before [`Self::check`]).
    pub fn registration_id(&self) -> RegistrationId {
        self.registration_id
    }

    /// When it expires.
    pub fn expires_at(&self) -> OffsetDateTime {
        let secs = i64::from_be_bytes(self.expiry);
        OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// Checks the signature against the stored address hash (in constant
    /// time), then the expiry against `now`.
    pub fn check(
        &self,
        key: &EmailVerificationKey,
        address: &EmailHash,
        now: OffsetDateTime,
    ) -> Result<(), TokenError> {
        key.mac(&self.registration_id, self.expiry, address)
            .verify_truncated_left(&self.mac)
            .map_err(|_| TokenError::Tampered)?;
        if now >= self.expires_at() {
            return Err(TokenError::Expired);
        }
        Ok(())
    }
}

/// `email_verification.*`: the links in the notifier's emails and the
/// gateway's answers to them.
#[derive(Debug, Clone, Deserialize)]
pub struct EmailVerificationSettings {
    /// At least 32 bytes, as hex (`LONJAK_EMAIL_VERIFICATION__KEY`); no default.
    pub key: EmailVerificationKey,
    /// How long a link stays valid, in hours.
    #[serde(default = "default_ttl_hours")]
    pub ttl_hours: u32,
    /// The public base URL links point at (`{base}/v1/email-verifications/{token}`).
    #[serde(default = "default_link_base")]
    pub link_base_url: String,
    /// Links one registration may ask to be re-sent per day (WIB).
    #[serde(default = "default_resends")]
    pub resends_per_day: u32,
}

fn default_ttl_hours() -> u32 {
    48
}

fn default_link_base() -> String {
    "http://127.0.0.1:8080".to_owned()
}

fn default_resends() -> u32 {
    5
}

impl EmailVerificationSettings {
    /// How long a link stays valid.
    pub fn ttl(&self) -> time::Duration {
        time::Duration::hours(i64::from(self.ttl_hours))
    }

    /// The link carrying `token`.
    pub fn link(&self, token: &str) -> String {
        format!(
            "{}/v1/email-verifications/{token}",
            self.link_base_url.trim_end_matches('/')
        )
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn addr(email: &str) -> EmailHash {
        EmailHash::derive(
            &crate::IdentityKey::from_bytes(&[3; 32]).expect("key"),
            email,
        )
    }

    fn key(byte: u8) -> EmailVerificationKey {
        EmailVerificationKey::from_hex(&hex::encode([byte; 32])).expect("key")
    }

    const NOW: OffsetDateTime = datetime!(2020-04-11 03:00 UTC);

    fn id() -> RegistrationId {
        RegistrationId::from_bytes([7; 16])
    }

    #[test]
    fn a_genuine_token_checks_until_it_expires() {
        let token = EmailToken::issue(
            &key(1),
            &id(),
            &addr("siti@example.id"),
            NOW + time::Duration::hours(48),
        );
        assert_eq!(token.len(), 80);
        let parsed = EmailToken::parse(&token).expect("parse");
        assert_eq!(parsed.registration_id(), id());
        assert_eq!(parsed.check(&key(1), &addr("siti@example.id"), NOW), Ok(()));
        assert_eq!(
            parsed.check(
                &key(1),
                &addr("siti@example.id"),
                NOW + time::Duration::hours(48)
            ),
            Err(TokenError::Expired)
        );
    }

    #[test]
    fn another_key_address_or_flipped_digit_is_tampered() {
        let expires = NOW + time::Duration::hours(1);
        let token = EmailToken::issue(&key(1), &id(), &addr("siti@example.id"), expires);
        let parsed = EmailToken::parse(&token).expect("parse");
        assert_eq!(
            parsed.check(&key(2), &addr("siti@example.id"), NOW),
            Err(TokenError::Tampered)
        );
        assert_eq!(
            parsed.check(&key(1), &addr("budi@example.id"), NOW),
            Err(TokenError::Tampered)
        );
        // A later expiry written into the token breaks the signature.
        let mut forged = token.into_bytes();
        forged[40] = if forged[40] == b'f' { b'e' } else { b'f' };
        let forged = EmailToken::parse(std::str::from_utf8(&forged).expect("utf8")).expect("parse");
        assert_eq!(
            forged.check(&key(1), &addr("siti@example.id"), NOW),
            Err(TokenError::Tampered)
        );
    }

    #[test]
    fn text_that_is_not_a_token_is_malformed() {
        for text in ["", "abc", &"g".repeat(80), &"0".repeat(79), &"0".repeat(81)] {
            assert_eq!(
                EmailToken::parse(text),
                Err(TokenError::Malformed),
                "{text}"
            );
        }
        assert!(EmailVerificationKey::from_hex("00").is_err());
        assert!(format!("{:?}", key(1)).contains("redacted"));
    }
}
