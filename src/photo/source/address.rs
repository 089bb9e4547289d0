//! Which network addresses a photo URL may reach. Photo URLs come from the operator's database,
//! so a URL (or a redirect, or a DNS answer) pointing inside the network we run in is refused by
//! default: loopback, private, link-local, carrier-grade NAT, unspecified, multicast, reserved and
//! the cloud metadata endpoints. A tenant that keeps its photos on an internal host names those
//! networks in `photo_hosts_allow`; nothing else opens the door.
//!
//! The check runs on the address we connect to (see `resolver`), never on the host name, so a
//! name that resolves to a private address, or changes its answer between two lookups, is caught.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;

/// The allow list of one tenant (CIDR networks; a bare address is a /32 or /128).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddressPolicy {
    allow: Vec<IpNet>,
}

impl AddressPolicy {
    /// Parses `photo_hosts_allow`; every entry that is not a network or an address is named.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut allow = Vec::new();
        let mut bad = Vec::new();
        for e in entries {
            let e = e.trim();
            match e.parse::<IpNet>() {
                Ok(n) => allow.push(n.trunc()),
                Err(_) => match e.parse::<IpAddr>() {
                    Ok(ip) => allow.push(IpNet::from(ip)),
                    Err(_) => bad.push(format!("{e:?}")),
                },
            }
        }
        if bad.is_empty() {
            Ok(Self { allow })
        } else {
            Err(format!(
                "not a CIDR network or address: {} (e.g. \"10.0.0.0/8\", \"127.0.0.1/32\")",
                bad.join(", ")
            ))
        }
    }

    /// `Err(rule)` when photos may not be fetched from `ip`; the rule names the address class.
    pub fn check(&self, ip: IpAddr) -> Result<(), &'static str> {
        let ip = canonical(ip);
        let Some(rule) = blocked(ip) else {
            return Ok(());
        };
        if self.allow.iter().any(|n| n.contains(&ip)) {
            return Ok(());
        }
        Err(rule)
    }
}

/// IPv4 written as IPv6 (`::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`) is judged as the IPv4 it
/// reaches, so `::ffff:127.0.0.1` is loopback.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            let s = v6.segments();
            if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return IpAddr::V4(Ipv4Addr::new(a, b, c, d));
            }
            IpAddr::V6(v6)
        }
        v4 => v4,
    }
}

/// The class of a non-public address, or `None` for a public one.
fn blocked(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => blocked_v4(v4),
        IpAddr::V6(v6) => blocked_v6(v6),
    }
}

fn blocked_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    Some(match o {
        [169, 254, 169, 254] | [100, 100, 100, 200] => "metadata address",
        [127, ..] => "loopback address",
        [10, ..] | [192, 168, ..] => "private address",
        [172, b, ..] if (16..32).contains(&b) => "private address",
        [169, 254, ..] => "link-local address",
        [100, b, ..] if (64..128).contains(&b) => "carrier-grade NAT address",
        [0, ..] => "unspecified address",
        [a, ..] if (224..240).contains(&a) => "multicast address",
        [a, ..] if a >= 240 => "reserved address",
        [192, 0, 0, _] | [198, 18 | 19, ..] => "reserved address",
        _ => return None,
    })
}

fn blocked_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    // fd00:ec2::254: the EC2 metadata endpoint on IPv6.
    if s == [0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x254] {
        return Some("metadata address");
    }
    Some(match s[0] {
        _ if ip.is_loopback() => "loopback address",
        _ if ip.is_unspecified() => "unspecified address",
        x if x & 0xfe00 == 0xfc00 => "private address",
        x if x & 0xffc0 == 0xfe80 => "link-local address",
        // Deprecated site-local: private in practice.
        x if x & 0xffc0 == 0xfec0 => "private address",
        x if x & 0xff00 == 0xff00 => "multicast address",
        // IPv4-compatible (::a.b.c.d) and the rest of ::/8 are not routed.
        0 => "reserved address",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(p: &AddressPolicy, ip: &str) -> Option<&'static str> {
        p.check(ip.parse().expect("address")).err()
    }

    #[test]
    fn internal_addresses_are_refused_by_default_with_their_class() {
        let p = AddressPolicy::default();
        for (ip, rule) in [
            ("127.0.0.1", "loopback address"),
            ("127.8.9.10", "loopback address"),
            ("10.1.2.3", "private address"),
            ("172.16.0.1", "private address"),
            ("172.31.255.255", "private address"),
            ("192.168.1.1", "private address"),
            ("169.254.169.254", "metadata address"),
            ("169.254.1.1", "link-local address"),
            ("100.64.0.1", "carrier-grade NAT address"),
            ("0.0.0.0", "unspecified address"),
            ("224.0.0.1", "multicast address"),
            ("255.255.255.255", "reserved address"),
            ("::1", "loopback address"),
            ("::", "unspecified address"),
            ("fd00:ec2::254", "metadata address"),
            ("fd12::1", "private address"),
            ("fe80::1", "link-local address"),
            ("ff02::1", "multicast address"),
            ("::ffff:127.0.0.1", "loopback address"),
            ("::ffff:169.254.169.254", "metadata address"),
            ("64:ff9b::10.0.0.1", "private address"),
        ] {
            assert_eq!(refused(&p, ip), Some(rule), "{ip}");
        }
        for ip in [
            "8.8.8.8",
            "172.32.0.1",
            "100.128.0.1",
            "2400:3200::1",
            "::ffff:1.1.1.1",
        ] {
            assert_eq!(refused(&p, ip), None, "{ip}");
        }
    }

    #[test]
    fn allowed_networks_open_only_themselves() {
        let p = AddressPolicy::parse(&["10.0.0.0/8".into(), "127.0.0.1".into(), "fd00::/8".into()])
            .expect("parses");
        assert_eq!(refused(&p, "10.200.0.1"), None);
        assert_eq!(refused(&p, "127.0.0.1"), None);
        assert_eq!(refused(&p, "::ffff:127.0.0.1"), None);
        assert_eq!(refused(&p, "fd00:ec2::254"), None);
        assert_eq!(refused(&p, "127.0.0.2"), Some("loopback address"));
        assert_eq!(refused(&p, "192.168.0.1"), Some("private address"));
        assert_eq!(refused(&p, "169.254.169.254"), Some("metadata address"));
    }

    #[test]
    fn a_bad_allow_entry_is_named() {
        let e =
            AddressPolicy::parse(&["10.0.0.0/8".into(), "intranet".into(), "10.0.0.0/33".into()])
                .unwrap_err();
        assert!(
            e.contains("\"intranet\"") && e.contains("\"10.0.0.0/33\""),
            "{e}"
        );
    }
}
