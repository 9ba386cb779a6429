//! Which client address each request claims (sent as `X-Forwarded-For`
//! through a gateway that trusts 127.0.0.1 as its proxy), so the keyed
//! per-client limiter sees a crowd rather than one address.
//!
//! Addresses come from 198.18.0.0/15, the range reserved for benchmarks:
//! ordinary applicants from 198.18.0.0/16, a few "hot" clients (scripts
//! hammering the form) from 198.19.0.0/16.

use std::net::Ipv4Addr;

const APPLICANTS_BASE: u32 = u32::from_be_bytes([198, 18, 0, 0]);
const HOT_BASE: u32 = u32::from_be_bytes([198, 19, 0, 0]);
/// Addresses in each /16.
pub const MAX_CLIENTS: u32 = 1 << 16;

/// How requests are spread over client addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientMix {
    /// Ordinary addresses, used round-robin; 0 sends no header at all.
    pub clients: u32,
    /// Hot addresses, and the share of requests (per 10,000) they send.
    pub hot_clients: u32,
    pub hot_per_10k: u32,
}

impl ClientMix {
    /// The address request `i` claims, or `None` to send no header.
    #[must_use]
    pub fn address(&self, i: u64) -> Option<Ipv4Addr> {
        if self.clients == 0 {
            return None;
        }
        // A multiplicative hash spreads the hot share evenly over time.
        let bucket = (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) % 10_000;
        let (base, n) = if self.hot_clients > 0 && bucket < u64::from(self.hot_per_10k) {
            (HOT_BASE, self.hot_clients)
        } else {
            (APPLICANTS_BASE, self.clients)
        };
        let offset = u32::try_from(i % u64::from(n.min(MAX_CLIENTS))).unwrap_or(0);
        Some(Ipv4Addr::from(base + offset))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn no_clients_means_no_header() {
        let mix = ClientMix {
            clients: 0,
            hot_clients: 5,
            hot_per_10k: 100,
        };
        assert_eq!(mix.address(1), None);
    }

    #[test]
    fn ordinary_requests_cycle_through_the_applicant_range() {
        let mix = ClientMix {
            clients: 1_000,
            hot_clients: 0,
            hot_per_10k: 0,
        };
        let seen: HashSet<_> = (0..10_000).filter_map(|i| mix.address(i)).collect();
        assert_eq!(seen.len(), 1_000);
        assert!(seen.iter().all(|a| a.octets()[..2] == [198, 18]));
    }

    #[test]
    fn hot_clients_send_about_their_share() {
        let mix = ClientMix {
            clients: 50_000,
            hot_clients: 10,
            hot_per_10k: 100,
        };
        let hot: Vec<_> = (0..100_000)
            .filter_map(|i| mix.address(i))
            .filter(|a| a.octets()[..2] == [198, 19])
            .collect();
        assert!((900..1_100).contains(&hot.len()), "{} hot", hot.len());
        assert_eq!(hot.iter().collect::<HashSet<_>>().len(), 10);
    }
}
