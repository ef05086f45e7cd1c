//! `SOCKADDR` records: the `saddr=` bytes (the `struct sockaddr` a
//! syscall was given, as many bytes as its length said, hex-encoded by the
//! kernel) read as the address they are. Families: inet, inet6, unix
//! (path, abstract, unnamed), netlink, packet, vsock; any other family, or
//! bytes too short for theirs, is [`SockAddr::Other`] and callers keep the
//! hex.
//!
//! `sa_family` and the families' own host-order fields are in the byte
//! order of the machine that logged them. A family number always fits in
//! one byte, so a first byte 0 with a second byte that is not names a
//! big-endian writer (laurel's `bind-ipv4-bigendian` sample); otherwise
//! little-endian. Ports and IPv4/IPv6 addresses are network order.

use core::net::{Ipv4Addr, Ipv6Addr};

/// A decoded socket address, borrowing path bytes from its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SockAddr<'a> {
    /// AF_INET (2).
    Inet { addr: Ipv4Addr, port: u16 },
    /// AF_INET6 (10).
    Inet6 {
        addr: Ipv6Addr,
        port: u16,
        flowinfo: u32,
        scope_id: u32,
    },
    /// AF_UNIX (1) with a path: up to its first NUL.
    UnixPath(&'a [u8]),
    /// AF_UNIX in the abstract namespace: the name after the leading NUL
    /// (NULs at its end are the caller's padding and left out).
    UnixAbstract(&'a [u8]),
    /// AF_UNIX without a name (autobind, or only the family given).
    UnixUnnamed,
    /// AF_NETLINK (16): port id and multicast group mask.
    Netlink { pid: u32, groups: u32 },
    /// AF_PACKET (17): `struct sockaddr_ll`.
    Packet {
        /// Ethernet protocol number (network order in the struct).
        protocol: u16,
        ifindex: i32,
        hatype: u16,
        pkttype: u8,
        /// Hardware address, `halen` bytes (at most 8).
        hwaddr: &'a [u8],
    },
    /// AF_VSOCK (40).
    Vsock { cid: u32, port: u32 },
    /// A family not decoded here, or bytes too short for their family
    /// (`family` is `None` when there are not even two bytes).
    Other { family: Option<u16> },
}

pub const AF_UNIX: u16 = 1;
pub const AF_INET: u16 = 2;
pub const AF_INET6: u16 = 10;
pub const AF_NETLINK: u16 = 16;
pub const AF_PACKET: u16 = 17;
pub const AF_VSOCK: u16 = 40;

impl<'a> SockAddr<'a> {
    /// Reads decoded `saddr` bytes. Never fails: what it cannot read is
    /// [`SockAddr::Other`].
    pub fn parse(bytes: &'a [u8]) -> SockAddr<'a> {
        let (Some(&b0), Some(&b1)) = (bytes.first(), bytes.get(1)) else {
            return SockAddr::Other { family: None };
        };
        let big = b0 == 0 && b1 != 0;
        let host = Host { big };
        let family = host.u16([b0, b1]);
        let rest = bytes.get(2..).unwrap_or_default();
        let decoded = match family {
            AF_INET => inet(rest),
            AF_INET6 => inet6(rest, host),
            AF_UNIX => Some(unix(rest)),
            AF_NETLINK => netlink(rest, host),
            AF_PACKET => packet(rest, host),
            AF_VSOCK => vsock(rest, host),
            _ => None,
        };
        decoded.unwrap_or(SockAddr::Other {
            family: Some(family),
        })
    }

    /// The family's name as go-libaudit and Auditbeat write it
    /// (`ipv4`, `ipv6`, `unix`, `netlink`), and `packet`, `vsock`;
    /// `None` for [`SockAddr::Other`].
    pub fn family_name(&self) -> Option<&'static str> {
        Some(match self {
            SockAddr::Inet { .. } => "ipv4",
            SockAddr::Inet6 { .. } => "ipv6",
            SockAddr::UnixPath(_) | SockAddr::UnixAbstract(_) | SockAddr::UnixUnnamed => "unix",
            SockAddr::Netlink { .. } => "netlink",
            SockAddr::Packet { .. } => "packet",
            SockAddr::Vsock { .. } => "vsock",
            SockAddr::Other { .. } => return None,
        })
    }
}

/// Reads host-order integers in the writer's byte order.
#[derive(Clone, Copy)]
struct Host {
    big: bool,
}

impl Host {
    fn u16(self, b: [u8; 2]) -> u16 {
        if self.big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        }
    }

    fn u32(self, b: [u8; 4]) -> u32 {
        if self.big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }
}

fn array<const N: usize>(bytes: &[u8], at: usize) -> Option<[u8; N]> {
    bytes
        .get(at..at.checked_add(N)?)
        .and_then(|b| <[u8; N]>::try_from(b).ok())
}

fn inet(rest: &[u8]) -> Option<SockAddr<'_>> {
    let port = u16::from_be_bytes(array(rest, 0)?);
    let addr = Ipv4Addr::from(array::<4>(rest, 2)?);
    Some(SockAddr::Inet { addr, port })
}

fn inet6(rest: &[u8], host: Host) -> Option<SockAddr<'_>> {
    let port = u16::from_be_bytes(array(rest, 0)?);
    let flowinfo = u32::from_be_bytes(array(rest, 2)?);
    let addr = Ipv6Addr::from(array::<16>(rest, 6)?);
    // Older callers pass the 24-byte RFC 2133 form without a scope id.
    let scope_id = array(rest, 22).map_or(0, |b| host.u32(b));
    Some(SockAddr::Inet6 {
        addr,
        port,
        flowinfo,
        scope_id,
    })
}

fn unix(path: &[u8]) -> SockAddr<'_> {
    match path.split_first() {
        None => SockAddr::UnixUnnamed,
        Some((0, name)) => {
            let end = name.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
            match name.get(..end) {
                Some(name) if !name.is_empty() => SockAddr::UnixAbstract(name),
                _ => SockAddr::UnixUnnamed,
            }
        }
        Some(_) => {
            let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
            SockAddr::UnixPath(path.get(..end).unwrap_or(path))
        }
    }
}

fn netlink(rest: &[u8], host: Host) -> Option<SockAddr<'_>> {
    let pid = host.u32(array(rest, 2)?);
    let groups = host.u32(array(rest, 6)?);
    Some(SockAddr::Netlink { pid, groups })
}

fn packet(rest: &[u8], host: Host) -> Option<SockAddr<'_>> {
    let protocol = u16::from_be_bytes(array(rest, 0)?);
    let ifindex = i32::from_ne_bytes(host.u32(array(rest, 2)?).to_ne_bytes());
    let hatype = host.u16(array(rest, 6)?);
    let [pkttype, halen] = array(rest, 8)?;
    let len = usize::from(halen.min(8));
    let hwaddr = rest.get(10..).unwrap_or_default();
    let hwaddr = hwaddr.get(..len).unwrap_or(hwaddr);
    Some(SockAddr::Packet {
        protocol,
        ifindex,
        hatype,
        pkttype,
        hwaddr,
    })
}

fn vsock(rest: &[u8], host: Host) -> Option<SockAddr<'_>> {
    let port = host.u32(array(rest, 2)?);
    let cid = host.u32(array(rest, 6)?);
    Some(SockAddr::Vsock { cid, port })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::record::decode_hex;

    fn parse_hex<'b>(hex: &str, buf: &'b mut [u8; 128]) -> SockAddr<'b> {
        let n = decode_hex(hex.as_bytes(), buf).unwrap();
        SockAddr::parse(&buf[..n])
    }

    /// The `saddr` values of the shared corpus' live capture (kernel 6.18)
    /// with what auditd's ENRICHED interpretation says of them.
    #[test]
    fn live_capture_addresses() {
        let mut buf = [0u8; 128];
        let a = parse_hex("0200DB5F7F0000010000000000000000", &mut buf);
        assert_eq!(
            a,
            SockAddr::Inet {
                addr: Ipv4Addr::new(127, 0, 0, 1),
                port: 56159
            }
        );
        assert_eq!(a.family_name(), Some("ipv4"));
        let a = parse_hex(
            "0A00ED41000000000000000000000000000000000000000100000000",
            &mut buf,
        );
        assert_eq!(
            a,
            SockAddr::Inet6 {
                addr: Ipv6Addr::LOCALHOST,
                port: 60737,
                flowinfo: 0,
                scope_id: 0
            }
        );
        let a = parse_hex("100000000000000000000000", &mut buf);
        assert_eq!(a, SockAddr::Netlink { pid: 0, groups: 0 });
        let a = parse_hex("01002F6465762F6C6F670000000000", &mut buf);
        assert_eq!(a, SockAddr::UnixPath(b"/dev/log"));
        // nscd passes its whole stack buffer: the path ends at the NUL.
        let a = parse_hex(
            "01002F7661722F72756E2F6E7363642F736F636B65740000E07977ABFE7F",
            &mut buf,
        );
        assert_eq!(a, SockAddr::UnixPath(b"/var/run/nscd/socket"));
    }

    #[test]
    fn big_endian_writer() {
        // laurel's record-bind-ipv4-bigendian: 0.0.0.0 port 55555.
        let mut buf = [0u8; 128];
        let a = parse_hex("0002D903000000000000000000000000", &mut buf);
        assert_eq!(
            a,
            SockAddr::Inet {
                addr: Ipv4Addr::UNSPECIFIED,
                port: 55555
            }
        );
    }

    #[test]
    fn unix_forms() {
        assert_eq!(SockAddr::parse(b"\x01\x00"), SockAddr::UnixUnnamed);
        assert_eq!(
            SockAddr::parse(b"\x01\x00\x00name\x00\x00"),
            SockAddr::UnixAbstract(b"name")
        );
        assert_eq!(
            SockAddr::parse(b"\x01\x00\x00a\x00b"),
            SockAddr::UnixAbstract(b"a\x00b")
        );
        assert_eq!(SockAddr::parse(b"\x01\x00\x00\x00"), SockAddr::UnixUnnamed);
        assert_eq!(SockAddr::parse(b"\x01\x00/x"), SockAddr::UnixPath(b"/x"));
    }

    #[test]
    fn packet_and_vsock() {
        // AF_PACKET, ETH_P_ALL (0x0003), ifindex 2, ARPHRD_ETHER, MAC.
        let ll =
            b"\x11\x00\x00\x03\x02\x00\x00\x00\x01\x00\x00\x06\xaa\xbb\xcc\xdd\xee\xff\x00\x00";
        assert_eq!(
            SockAddr::parse(ll),
            SockAddr::Packet {
                protocol: 3,
                ifindex: 2,
                hatype: 1,
                pkttype: 0,
                hwaddr: b"\xaa\xbb\xcc\xdd\xee\xff"
            }
        );
        let vm = b"\x28\x00\x00\x00\x39\x05\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00";
        assert_eq!(SockAddr::parse(vm), SockAddr::Vsock { cid: 3, port: 1337 });
    }

    #[test]
    fn short_or_unknown_is_other() {
        assert_eq!(SockAddr::parse(b""), SockAddr::Other { family: None });
        assert_eq!(SockAddr::parse(b"\x02"), SockAddr::Other { family: None });
        assert_eq!(
            SockAddr::parse(b"\x02\x00\x00\x50\x7f"),
            SockAddr::Other { family: Some(2) }
        );
        assert_eq!(
            SockAddr::parse(b"\x26\x00abcdef"),
            SockAddr::Other { family: Some(38) }
        );
        assert_eq!(SockAddr::Other { family: None }.family_name(), None);
        // No input panics, whatever its length.
        let junk = [0xffu8; 40];
        for len in 0..junk.len() {
            for fam in [1u8, 2, 10, 16, 17, 40] {
                let mut b = junk;
                b[0] = fam;
                b[1] = 0;
                let _ = SockAddr::parse(&b[..len]);
            }
        }
    }
}
