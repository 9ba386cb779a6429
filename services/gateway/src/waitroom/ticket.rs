//! Tickets as their holders carry them: opaque, signed, bound to one wave.
//! `hex(version ‖ wave ‖ ticket id ‖ HMAC-SHA256(key, those)[..16])`, 74
//! hex digits. The id is random, so a ticket reveals nothing about its
//! place; the tag makes it unforgeable and stops it being moved to another
//! wave. The key is `waitroom.ticket_key`, the same on every replica.

use hmac::{Hmac, Mac};
use lonjak_domain::Wave;
use sha2::Sha256;
use uuid::Uuid;

type HmacSha256 = Hmac<Sha256>;

const VERSION: u8 = 1;
const TAG_LEN: usize = 16;
const BODY_LEN: usize = 1 + 4 + 16;

/// Signs and checks tickets, and keys clients. Never logged.
#[derive(Clone)]
pub struct TicketKey([u8; 32]);

impl std::fmt::Debug for TicketKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TicketKey(…)")
    }
}

/// Why a presented ticket was refused. Deliberately no detail beyond this:
/// a forger learns nothing from the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    #[error("not a ticket")]
    Malformed,
    #[error("ticket signature does not match")]
    BadSignature,
    #[error("ticket is for another wave")]
    OtherWave,
}

impl TicketKey {
    pub fn new(key: [u8; 32]) -> Self {
        Self(key)
    }

    pub(super) fn mac(&self, domain: &[u8]) -> HmacSha256 {
        // A 32-byte key is always a valid HMAC key.
        let mut mac = <HmacSha256 as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(domain);
        mac
    }

    /// The ticket `id` of `wave`, as given to its holder.
    pub fn sign(&self, wave: Wave, id: Uuid) -> String {
        let body = body(wave, id);
        let mut mac = self.mac(b"lonjak-ticket\0");
        mac.update(&body);
        let tag = mac.finalize().into_bytes();
        let mut out = hex::encode(body);
        out.push_str(&hex::encode(&tag[..TAG_LEN]));
        out
    }

    /// The ticket id in `token`, if this key signed it for `wave`.
    pub fn verify(&self, wave: Wave, token: &str) -> Result<Uuid, TicketError> {
        if token.len() != 2 * (BODY_LEN + TAG_LEN) {
            return Err(TicketError::Malformed);
        }
        let raw = hex::decode(token).map_err(|_| TicketError::Malformed)?;
        let (body, tag) = raw.split_at(BODY_LEN);
        if body[0] != VERSION {
            return Err(TicketError::Malformed);
        }
        let mut mac = self.mac(b"lonjak-ticket\0");
        mac.update(body);
        // Constant-time comparison of the truncated tag.
        mac.verify_truncated_left(tag)
            .map_err(|_| TicketError::BadSignature)?;
        let signed_wave = u32::from_be_bytes([body[1], body[2], body[3], body[4]]);
        if signed_wave != wave.get() {
            return Err(TicketError::OtherWave);
        }
        let id = <[u8; 16]>::try_from(&body[5..]).map_err(|_| TicketError::Malformed)?;
        Ok(Uuid::from_bytes(id))
    }

    /// The wave `token` was signed for, if this key signed it.
    pub fn signed_wave(&self, token: &str) -> Option<Wave> {
        let wave = token
            .get(2..10)
            .and_then(|w| u32::from_str_radix(w, 16).ok())
            .and_then(|w| Wave::new(w).ok())?;
        self.verify(wave, token).ok().map(|_| wave)
    }

    /// The stored form of a client key: keyed, so the table holds no
    /// addresses, and per wave.
    pub fn client_hash(&self, wave: Wave, client: &str) -> [u8; 32] {
        let mut mac = self.mac(b"lonjak-client\0");
        mac.update(&wave.get().to_be_bytes());
        mac.update(client.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

fn body(wave: Wave, id: Uuid) -> [u8; BODY_LEN] {
    let mut body = [0u8; BODY_LEN];
    body[0] = VERSION;
    body[1..5].copy_from_slice(&wave.get().to_be_bytes());
    body[5..].copy_from_slice(id.as_bytes());
    body
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn key(byte: u8) -> TicketKey {
        TicketKey::new([byte; 32])
    }

    fn wave(n: u32) -> Wave {
        Wave::new(n).unwrap()
    }

    #[test]
    fn a_signed_ticket_verifies_for_its_wave_only() {
        let id = Uuid::new_v4();
        let token = key(7).sign(wave(3), id);
        assert_eq!(key(7).verify(wave(3), &token), Ok(id));
        assert_eq!(key(7).verify(wave(4), &token), Err(TicketError::OtherWave));
    }

    #[test]
    fn a_ticket_signed_with_another_key_is_refused() {
        let token = key(1).sign(wave(3), Uuid::new_v4());
        assert_eq!(
            key(2).verify(wave(3), &token),
            Err(TicketError::BadSignature)
        );
    }

    #[test]
    fn changing_the_wave_inside_a_ticket_breaks_its_signature() {
        let token = key(7).sign(wave(3), Uuid::new_v4());
        // Bytes 1..5 are the wave: rewrite it to wave 4.
        let forged = format!("{}{}{}", &token[..2], "00000004", &token[10..]);
        assert_eq!(
            key(7).verify(wave(4), &forged),
            Err(TicketError::BadSignature)
        );
    }

    #[test]
    fn the_signed_wave_is_read_from_a_genuine_ticket_only() {
        let token = key(7).sign(wave(3), Uuid::new_v4());
        assert_eq!(key(7).signed_wave(&token), Some(wave(3)));
        assert_eq!(key(8).signed_wave(&token), None);
        assert_eq!(key(7).signed_wave("zz"), None);
    }

    #[test]
    fn client_keys_differ_by_wave_and_client() {
        let k = key(9);
        assert_ne!(
            k.client_hash(wave(1), "10.0.0.1"),
            k.client_hash(wave(2), "10.0.0.1")
        );
        assert_ne!(
            k.client_hash(wave(1), "10.0.0.1"),
            k.client_hash(wave(1), "10.0.0.2")
        );
        assert_eq!(
            k.client_hash(wave(1), "10.0.0.1"),
            k.client_hash(wave(1), "10.0.0.1")
        );
    }

    proptest! {
        #[test]
        fn any_altered_ticket_is_refused(pos in 0usize..74, digit in 0u8..16) {
            let token = key(5).sign(wave(8), Uuid::from_u128(42));
            let replacement = char::from_digit(u32::from(digit), 16).unwrap();
            let mut altered: Vec<char> = token.chars().collect();
            prop_assume!(altered[pos] != replacement);
            altered[pos] = replacement;
            let altered: String = altered.into_iter().collect();
            prop_assert!(key(5).verify(wave(8), &altered).is_err());
        }

        #[test]
        fn any_text_is_refused_or_verified_without_panicking(text in ".{0,100}") {
            let _ = key(5).verify(wave(8), &text);
        }
    }
}
