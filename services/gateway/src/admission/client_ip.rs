//! Which address a request is charged to.

use std::net::{IpAddr, Ipv6Addr};

use actix_web::http::header::HeaderMap;
use ipnet::IpNet;

/// Parses a trusted-proxy entry: a CIDR range, or one address (a /32 or /128).
pub fn parse_network(entry: &str) -> Option<IpNet> {
    let entry = entry.trim();
    if let Ok(net) = entry.parse::<IpNet>() {
        return Some(canonical_net(net));
    }
    entry
        .parse::<IpAddr>()
        .ok()
        .map(|ip| IpNet::from(ip.to_canonical()))
}

/// `::ffff:10.0.0.0/104` is the IPv4 range `10.0.0.0/8`: peers arrive in
/// canonical form, so the range must be in it too.
fn canonical_net(net: IpNet) -> IpNet {
    match net {
        IpNet::V6(v6) if v6.prefix_len() >= 96 => match v6.addr().to_ipv4_mapped() {
            Some(v4) => ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96)
                .map(IpNet::V4)
                .unwrap_or(net),
            None => net.trunc(),
        },
        other => other.trunc(),
    }
}

/// The client address: the direct peer, unless the peer is a trusted proxy,
/// in which case the right-most `X-Forwarded-For` entry that is not itself a
/// trusted proxy. Every header line counts, in order (a proxy may append a
/// line of its own rather than extend the first); entries left of the first
/// untrusted one are client-controlled and ignored, so a client cannot pick
/// its own rate-limit key by forging the header.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = peer?.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return Some(peer);
    }
    let mut lines = headers.get_all("x-forwarded-for").collect::<Vec<_>>();
    lines.reverse();
    let mut client = peer;
    for line in lines {
        // A header that is not even text is garbled: stop at the last trusted hop.
        let Ok(line) = line.to_str() else {
            return Some(client);
        };
        for entry in line.rsplit(',') {
            match parse_entry(entry) {
                Some(addr) if is_trusted(&addr) => client = addr,
                Some(addr) => return Some(addr),
                None => return Some(client),
            }
        }
    }
    Some(client)
}

/// One hop: an address, possibly with a port (`1.2.3.4:5`, `[2001:db8::1]:5`).
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    let ip = entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))?;
    Some(ip.to_canonical())
}

/// The rate-limit key of a client address: IPv4 as is, IPv6 by its /64,
/// since one subscriber is routinely handed a whole /64 and could otherwise
/// rotate through 2^64 keys.
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let bits = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName, HeaderValue};

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn nets(entries: &[&str]) -> Vec<IpNet> {
        entries.iter().map(|e| parse_network(e).unwrap()).collect()
    }

    fn xff(lines: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for line in lines {
            headers.append(
                HeaderName::from_static("x-forwarded-for"),
                HeaderValue::from_str(line).unwrap(),
            );
        }
        headers
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_it_forwards() {
        let got = client_ip(
            Some(ip("203.0.113.9")),
            &xff(&["198.51.100.1"]),
            &nets(&["10.0.0.1"]),
        );
        assert_eq!(got, Some(ip("203.0.113.9")));
    }

    #[test]
    fn trusted_peer_forwards_the_rightmost_untrusted_address() {
        let got = client_ip(
            Some(ip("10.0.0.1")),
            &xff(&["1.1.1.1, 198.51.100.7, 10.0.0.2"]),
            &nets(&["10.0.0.1", "10.0.0.2"]),
        );
        assert_eq!(got, Some(ip("198.51.100.7")));
    }

    #[test]
    fn every_header_line_counts_and_the_last_line_is_the_nearest_hop() {
        // The client forged the first line; the proxy appended its own.
        let got = client_ip(
            Some(ip("10.0.0.1")),
            &xff(&["6.6.6.6", "198.51.100.7"]),
            &nets(&["10.0.0.1"]),
        );
        assert_eq!(got, Some(ip("198.51.100.7")));
        // A trusted hop on the last line passes on to the line before it.
        let got = client_ip(
            Some(ip("10.0.0.1")),
            &xff(&["198.51.100.8", "10.0.0.2"]),
            &nets(&["10.0.0.1", "10.0.0.2"]),
        );
        assert_eq!(got, Some(ip("198.51.100.8")));
    }

    #[test]
    fn trusted_proxies_may_be_cidr_ranges() {
        let trusted = nets(&["10.0.0.0/8", "fd00::/8"]);
        let got = client_ip(
            Some(ip("10.42.7.3")),
            &xff(&["198.51.100.7, 10.9.9.9"]),
            &trusted,
        );
        assert_eq!(got, Some(ip("198.51.100.7")));
        let got = client_ip(Some(ip("fd00::1")), &xff(&["203.0.113.5"]), &trusted);
        assert_eq!(got, Some(ip("203.0.113.5")));
        let outside = client_ip(Some(ip("11.0.0.1")), &xff(&["203.0.113.5"]), &trusted);
        assert_eq!(outside, Some(ip("11.0.0.1")));
    }

    #[test]
    fn ipv4_mapped_addresses_are_canonicalised_everywhere() {
        let trusted = nets(&["::ffff:10.0.0.0/104"]);
        assert_eq!(trusted, nets(&["10.0.0.0/8"]));
        let got = client_ip(
            Some(ip("::ffff:10.1.2.3")),
            &xff(&["::ffff:198.51.100.7"]),
            &trusted,
        );
        assert_eq!(got, Some(ip("198.51.100.7")));
        assert_eq!(limit_key(ip("::ffff:198.51.100.7")), ip("198.51.100.7"));
    }

    #[test]
    fn entries_with_ports_are_understood() {
        let got = client_ip(
            Some(ip("10.0.0.1")),
            &xff(&["[2001:db8::5]:4711, 198.51.100.7:80"]),
            &nets(&["10.0.0.1"]),
        );
        assert_eq!(got, Some(ip("198.51.100.7")));
    }

    #[test]
    fn ipv6_clients_share_a_key_per_slash_64() {
        let a = limit_key(ip("2001:db8:1:2:aaaa::1"));
        let b = limit_key(ip("2001:db8:1:2:ffff:ffff:ffff:ffff"));
        let other = limit_key(ip("2001:db8:1:3::1"));
        assert_eq!(a, b);
        assert_eq!(a, ip("2001:db8:1:2::"));
        assert_ne!(a, other);
        assert_eq!(limit_key(ip("198.51.100.7")), ip("198.51.100.7"));
    }

    #[test]
    fn trusted_peer_without_header_is_charged_itself() {
        let got = client_ip(
            Some(ip("10.0.0.1")),
            &HeaderMap::new(),
            &nets(&["10.0.0.1"]),
        );
        assert_eq!(got, Some(ip("10.0.0.1")));
    }

    #[test]
    fn garbage_in_the_header_stops_at_the_last_trusted_hop() {
        let got = client_ip(
            Some(ip("10.0.0.1")),
            &xff(&["not-an-ip"]),
            &nets(&["10.0.0.1"]),
        );
        assert_eq!(got, Some(ip("10.0.0.1")));
    }

    #[test]
    fn bad_trusted_proxy_entries_are_refused() {
        assert!(parse_network("10.0.0.0/33").is_none());
        assert!(parse_network("proxy.local").is_none());
        assert_eq!(
            parse_network(" 10.1.2.3 "),
            Some("10.1.2.3/32".parse().unwrap())
        );
    }
}
