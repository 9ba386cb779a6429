//! The optional challenge at joining, against bots that would take many
//! places. A [`ChallengeProvider`] issues a challenge and verifies the
//! answer; the built-in one is a proof of work ([`ProofOfWork`]), and a real
//! challenge provider (a captcha service, a login) can replace it.
//!
//! Proof of work: the server issues a signed, expiring challenge bound to
//! the wave and the client key; the client finds a nonce such that
//! `SHA-256(challenge ‖ ":" ‖ nonce)` starts with `difficulty_bits` zero
//! bits (2^bits hashes on average) and joins with both. Verifying is one
//! HMAC and one SHA-256. A solution replayed by the same client joins the
//! same place again (one ticket per client key); another client cannot use
//! it, since the signature covers the client key.

use futures::future::BoxFuture;
use lonjak_domain::Wave;
use serde::Serialize;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::TicketKey;

/// The request headers that carry the answer.
pub const CHALLENGE_HEADER: &str = "waitroom-challenge";
pub const SOLUTION_HEADER: &str = "waitroom-solution";

/// The built-in challenge's algorithm, as the client is told.
pub const POW_ALGORITHM: &str = "sha256-leading-zero-bits";

const VERSION: u8 = 1;
const TAG_LEN: usize = 16;
// version ‖ wave ‖ expiry (ms since the epoch) ‖ difficulty ‖ random
const BODY_LEN: usize = 1 + 4 + 8 + 1 + 16;

/// What a client must solve before joining.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Challenge {
    /// How to solve it: `sha256-leading-zero-bits` for the built-in proof
    /// of work.
    pub algorithm: &'static str,
    /// The signed challenge: send it back in `Waitroom-Challenge`.
    pub challenge: String,
    /// Find a decimal `nonce` such that SHA-256 of the UTF-8 text
    /// `challenge:nonce` starts with this many zero bits; send it in
    /// `Waitroom-Solution`.
    pub difficulty_bits: u8,
    #[schema(value_type = String, format = DateTime)]
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// A client's answer, from the join request's headers.
#[derive(Debug, Clone, Copy)]
pub struct Answer<'a> {
    pub challenge: &'a str,
    pub solution: &'a str,
}

/// Why an answer was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    #[error("no challenge answered")]
    Missing,
    /// Not issued by this service, or for another wave or client.
    #[error("challenge not issued to this client for this wave")]
    Invalid,
    #[error("challenge expired")]
    Expired,
    #[error("solution does not solve the challenge")]
    Wrong,
}

/// The hook: whatever decides that a joining client is worth a place.
pub trait ChallengeProvider: Send + Sync {
    /// The challenge for `client` (its keyed hash, see
    /// [`TicketKey::client_hash`]) joining `wave`; `None` when joining needs
    /// no challenge.
    fn issue(&self, wave: Wave, client: &[u8; 32]) -> Option<Challenge>;

    /// Checks an answer (`None`: the request carried none). Asynchronous so
    /// that a provider may ask a remote service.
    fn verify<'a>(
        &'a self,
        wave: Wave,
        client: &'a [u8; 32],
        answer: Option<Answer<'a>>,
    ) -> BoxFuture<'a, Result<(), ChallengeError>>;
}

/// The built-in proof of work. Difficulty 0: no challenge.
pub struct ProofOfWork {
    key: TicketKey,
    bits: u8,
    ttl: time::Duration,
}

impl ProofOfWork {
    pub fn new(key: TicketKey, difficulty_bits: u8, ttl: std::time::Duration) -> Self {
        Self {
            key,
            bits: difficulty_bits.min(64),
            ttl: time::Duration::try_from(ttl).unwrap_or(time::Duration::MINUTE),
        }
    }

    /// A challenge issued at `now` (tests issue them in the past).
    pub fn issue_at(&self, wave: Wave, client: &[u8; 32], now: OffsetDateTime) -> Challenge {
        let expires_at = now + self.ttl;
        let expires_ms = u64::try_from(expires_at.unix_timestamp_nanos() / 1_000_000).unwrap_or(0);
        let mut body = [0u8; BODY_LEN];
        body[0] = VERSION;
        body[1..5].copy_from_slice(&wave.get().to_be_bytes());
        body[5..13].copy_from_slice(&expires_ms.to_be_bytes());
        body[13] = self.bits;
        body[14..].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
        let mut challenge = hex::encode(body);
        challenge.push_str(&hex::encode(self.tag(client, &body)));
        Challenge {
            algorithm: POW_ALGORITHM,
            challenge,
            difficulty_bits: self.bits,
            expires_at,
        }
    }

    fn tag(&self, client: &[u8; 32], body: &[u8]) -> [u8; TAG_LEN] {
        let mut mac = self.key.mac(b"lonjak-challenge\0");
        hmac::Mac::update(&mut mac, client);
        hmac::Mac::update(&mut mac, body);
        let full = hmac::Mac::finalize(mac).into_bytes();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&full[..TAG_LEN]);
        tag
    }

    /// Checks an answer at `now`: signature (this service, this client,
    /// this wave), expiry, then the work.
    pub fn check_at(
        &self,
        wave: Wave,
        client: &[u8; 32],
        answer: Answer<'_>,
        now: OffsetDateTime,
    ) -> Result<(), ChallengeError> {
        let token = answer.challenge.trim();
        if token.len() != 2 * (BODY_LEN + TAG_LEN) {
            return Err(ChallengeError::Invalid);
        }
        let raw = hex::decode(token).map_err(|_| ChallengeError::Invalid)?;
        let (body, tag) = raw.split_at(BODY_LEN);
        let mut mac = self.key.mac(b"lonjak-challenge\0");
        hmac::Mac::update(&mut mac, client);
        hmac::Mac::update(&mut mac, body);
        // Constant-time comparison of the truncated tag.
        hmac::Mac::verify_truncated_left(mac, tag).map_err(|_| ChallengeError::Invalid)?;
        if body[0] != VERSION || body[1..5] != wave.get().to_be_bytes() {
            return Err(ChallengeError::Invalid);
        }
        let mut expires = [0u8; 8];
        expires.copy_from_slice(&body[5..13]);
        let now_ms = u64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(u64::MAX);
        if now_ms >= u64::from_be_bytes(expires) {
            return Err(ChallengeError::Expired);
        }
        let nonce = answer.solution.trim();
        if nonce.is_empty() || nonce.len() > 20 || !nonce.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ChallengeError::Wrong);
        }
        if leading_zero_bits(token, nonce) < u32::from(body[13]) {
            return Err(ChallengeError::Wrong);
        }
        Ok(())
    }
}

impl ChallengeProvider for ProofOfWork {
    fn issue(&self, wave: Wave, client: &[u8; 32]) -> Option<Challenge> {
        (self.bits > 0).then(|| self.issue_at(wave, client, OffsetDateTime::now_utc()))
    }

    fn verify<'a>(
        &'a self,
        wave: Wave,
        client: &'a [u8; 32],
        answer: Option<Answer<'a>>,
    ) -> BoxFuture<'a, Result<(), ChallengeError>> {
        let result = match answer {
            _ if self.bits == 0 => Ok(()),
            None => Err(ChallengeError::Missing),
            Some(answer) => self.check_at(wave, client, answer, OffsetDateTime::now_utc()),
        };
        Box::pin(std::future::ready(result))
    }
}

/// Leading zero bits of `SHA-256(challenge ‖ ":" ‖ nonce)`.
pub fn leading_zero_bits(challenge: &str, nonce: &str) -> u32 {
    let digest = Sha256::new()
        .chain_update(challenge.as_bytes())
        .chain_update(b":")
        .chain_update(nonce.as_bytes())
        .finalize();
    let mut bits = 0;
    for byte in digest {
        bits += byte.leading_zeros();
        if byte != 0 {
            break;
        }
    }
    bits
}

/// Solves a challenge the way a client does: counts up from 0. Returns the
/// nonce and how many hashes it took. For tests, load clients and the cost
/// benchmark.
pub fn solve(challenge: &str, difficulty_bits: u8) -> (String, u64) {
    let mut nonce: u64 = 0;
    loop {
        let text = nonce.to_string();
        if leading_zero_bits(challenge, &text) >= u32::from(difficulty_bits) {
            return (text, nonce + 1);
        }
        nonce += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pow(bits: u8) -> ProofOfWork {
        ProofOfWork::new(
            TicketKey::new([3; 32]),
            bits,
            std::time::Duration::from_secs(60),
        )
    }

    fn wave(n: u32) -> Wave {
        Wave::new(n).unwrap()
    }

    const ALICE: [u8; 32] = [1; 32];
    const BOB: [u8; 32] = [2; 32];

    fn answer<'a>(c: &'a Challenge, solution: &'a str) -> Answer<'a> {
        Answer {
            challenge: &c.challenge,
            solution,
        }
    }

    #[test]
    fn a_solved_challenge_passes_for_its_client_and_wave_only() {
        let p = pow(8);
        let now = OffsetDateTime::now_utc();
        let c = p.issue_at(wave(2), &ALICE, now);
        let (nonce, _) = solve(&c.challenge, c.difficulty_bits);
        let a = answer(&c, &nonce);
        assert_eq!(p.check_at(wave(2), &ALICE, a, now), Ok(()));
        assert_eq!(
            p.check_at(wave(2), &BOB, a, now),
            Err(ChallengeError::Invalid)
        );
        assert_eq!(
            p.check_at(wave(3), &ALICE, a, now),
            Err(ChallengeError::Invalid)
        );
    }

    #[test]
    fn a_nonce_without_the_zero_bits_is_wrong() {
        let p = pow(12);
        let now = OffsetDateTime::now_utc();
        let c = p.issue_at(wave(2), &ALICE, now);
        let (nonce, _) = solve(&c.challenge, 12);
        // The first nonce that does not solve it.
        let bad = (0u64..)
            .map(|n| n.to_string())
            .find(|n| leading_zero_bits(&c.challenge, n) < 12)
            .unwrap();
        assert_ne!(bad, nonce);
        for solution in [bad.as_str(), "", "12a", "-1", "123456789012345678901"] {
            assert_eq!(
                p.check_at(wave(2), &ALICE, answer(&c, solution), now),
                Err(ChallengeError::Wrong),
                "{solution}"
            );
        }
    }

    #[test]
    fn a_challenge_expires() {
        let p = pow(4);
        let issued = OffsetDateTime::now_utc();
        let c = p.issue_at(wave(2), &ALICE, issued);
        let (nonce, _) = solve(&c.challenge, 4);
        let later = issued + time::Duration::seconds(61);
        assert_eq!(
            p.check_at(wave(2), &ALICE, answer(&c, &nonce), later),
            Err(ChallengeError::Expired)
        );
    }

    #[test]
    fn an_altered_challenge_is_invalid() {
        let p = pow(4);
        let now = OffsetDateTime::now_utc();
        let c = p.issue_at(wave(2), &ALICE, now);
        // Lowering the difficulty inside the challenge (byte 13) breaks it.
        let mut altered = c.clone();
        altered.challenge.replace_range(26..28, "00");
        let (nonce, _) = solve(&altered.challenge, 0);
        assert_eq!(
            p.check_at(wave(2), &ALICE, answer(&altered, &nonce), now),
            Err(ChallengeError::Invalid)
        );
    }

    #[tokio::test]
    async fn difficulty_zero_asks_nothing() {
        let p = pow(0);
        assert_eq!(p.issue(wave(2), &ALICE), None);
        assert_eq!(p.verify(wave(2), &ALICE, None).await, Ok(()));
        assert_eq!(
            pow(8).verify(wave(2), &ALICE, None).await,
            Err(ChallengeError::Missing)
        );
    }

    #[test]
    fn leading_zero_bits_counts_across_bytes() {
        // SHA-256("abc:0") etc. are fixed: check the count against the hex.
        for nonce in 0..200u64 {
            let nonce = nonce.to_string();
            let hex = hex::encode(
                Sha256::new()
                    .chain_update(b"abc:")
                    .chain_update(nonce.as_bytes())
                    .finalize(),
            );
            let expected: u32 = {
                let mut bits = 0;
                for c in hex.chars() {
                    let d = c.to_digit(16).unwrap();
                    if d == 0 {
                        bits += 4;
                    } else {
                        bits += d.leading_zeros() - 28;
                        break;
                    }
                }
                bits
            };
            assert_eq!(leading_zero_bits("abc", &nonce), expected, "{nonce}");
        }
    }
}
