//! Which address a request is charged to.

use std::net::IpAddr;

/// The client address: the direct peer, unless the peer is a trusted proxy,
/// in which case the right-most `X-Forwarded-For` entry that is not itself a
/// trusted proxy. Entries left of that are client-controlled and ignored, so
/// a client cannot pick its own rate-limit key by forging the header.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let Some(header) = forwarded_for else {
        return Some(peer);
    };
    let mut client = peer;
    for entry in header.rsplit(',') {
        match entry.trim().parse::<IpAddr>() {
            Ok(addr) if trusted.contains(&addr) => client = addr,
            Ok(addr) => return Some(addr),
            // A garbled hop: stop at the last address we could trust.
            Err(_) => return Some(client),
        }
    }
    Some(client)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_forwards() {
        let got = client_ip(
            Some(ip("203.0.113.9")),
            Some("198.51.100.1"),
            &[ip("10.0.0.1")],
        );
        assert_eq!(got, Some(ip("203.0.113.9")));
    }

    #[test]
    fn trusted_peer_forwards_the_rightmost_untrusted_address() {
        let trusted = [ip("10.0.0.1"), ip("10.0.0.2")];
        let got = client_ip(
            Some(ip("10.0.0.1")),
            Some("1.1.1.1, 198.51.100.7, 10.0.0.2"),
            &trusted,
        );
        assert_eq!(got, Some(ip("198.51.100.7")));
    }

    #[test]
    fn trusted_peer_without_header_is_charged_itself() {
        let got = client_ip(Some(ip("10.0.0.1")), None, &[ip("10.0.0.1")]);
        assert_eq!(got, Some(ip("10.0.0.1")));
    }

    #[test]
    fn garbage_in_the_header_stops_at_the_last_trusted_hop() {
        let got = client_ip(Some(ip("10.0.0.1")), Some("not-an-ip"), &[ip("10.0.0.1")]);
        assert_eq!(got, Some(ip("10.0.0.1")));
    }
}
