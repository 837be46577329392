//! Which addresses a link preview may reach: public ones only, unless the
//! person allowed a network (pure, and the DNS resolver that applies it at
//! the moment of connecting, so a name cannot be re-pointed in between).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use ipnet::IpNet;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether `ip` is an address on the public internet: not loopback, private,
/// link-local, shared (CGNAT), multicast, documentation, benchmarking,
/// reserved or unspecified, nor an IPv6 form of one of those.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(a == 0
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || (a == 100 && (b & 0xc0) == 64)
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b & 0xfe) == 18)
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embeds_v4 = s[..6] == [0; 6] // ::a.b.c.d (deprecated), ::, ::1
        || (s[0] == 0x64 && s[1] == 0xff9b) // NAT64
        || s[0] == 0x2002; // 6to4
    !(embeds_v4
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || (s[0] == 0x2001 && s[1] < 0x200)) // Teredo and other IETF protocol assignments
}

/// Whether a preview may connect to `ip`: public, or in a network the person
/// allowed.
pub fn may_reach(ip: IpAddr, allowed: &[IpNet]) -> bool {
    is_public(ip) || allowed.iter().any(|net| net.contains(&ip))
}

/// What the resolver answers for a name whose every address is refused.
#[derive(Debug)]
pub struct Refused {
    /// The name.
    pub host: String,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is not on the public internet", self.host)
    }
}

impl std::error::Error for Refused {}

/// The system's resolver, keeping only the addresses [`may_reach`] allows.
pub struct GuardedResolver {
    pub allowed: Arc<[IpNet]>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let allowed = self.allowed.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let kept: Vec<SocketAddr> = found.into_iter().filter(|a| may_reach(a.ip(), &allowed)).collect();
            if kept.is_empty() {
                return Err(Box::new(Refused { host }) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(kept.into_iter()) as Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn test_only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "127.9.9.9",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::127.0.0.1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "64:ff9b::a00:1",
            "2002:a00:1::",
            "2001::1",
        ] {
            assert!(!is_public(ip(private)), "{private}");
        }
        for public in ["1.1.1.1", "8.8.8.8", "93.184.216.34", "100.128.0.1", "2606:4700::1111", "::ffff:1.1.1.1"] {
            assert!(is_public(ip(public)), "{public}");
        }
    }

    #[test]
    fn test_an_allowed_network_is_reachable_and_nothing_else_is() {
        let allowed: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap(), "10.8.0.0/16".parse().unwrap()];
        assert!(may_reach(ip("127.0.0.1"), &allowed));
        assert!(may_reach(ip("10.8.3.4"), &allowed));
        assert!(!may_reach(ip("127.0.0.2"), &allowed));
        assert!(!may_reach(ip("10.9.0.1"), &allowed));
        assert!(may_reach(ip("1.1.1.1"), &[]));
    }
}
