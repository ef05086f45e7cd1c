//! A SOCKADDR record in the ECS document, as go-libaudit's `auparse`
//! reads its `saddr` and Auditbeat's `audit_linux.go` maps it:
//!
//! - `auditd.data.socket` (Auditbeat's `socket.*` from aucoalesce's
//!   `socket_*` data keys; every value a string): `family` — `ipv4`,
//!   `ipv6`, `unix`, `netlink`, any other family its number (`"17"`
//!   packet, `"40"` vsock) — then `addr`, `port` and, when not 0, `flow`
//!   (IPv6's flowinfo) of an inet address; `path` of a unix one (`""`
//!   when unnamed); `saddr`, the record's hex as written, of any other
//!   family. Bytes too short for an inet family give nothing, as
//!   go-libaudit refuses them.
//! - the summary's socket object: the address and port, or the path.
//! - `destination` (connect, sendto, sendmsg: `network.direction:
//!   egress`) or `source` (accept, accept4, recvfrom, recvmsg:
//!   `ingress`) with `ip` and `port` (a string, as Auditbeat writes it),
//!   or `path`: every family written above gives the direction, only an
//!   address or a unix name gives the side's object; bind and listen
//!   (the local address) give neither.
//!
//! Kept different on purpose (README, "ECS differences"): an abstract
//! unix name is `@name` wherever the path goes (go-libaudit cuts the
//! path at its first NUL, which is the abstract namespace's mark, and
//! writes `""`, losing the name); the family of a big-endian writer is
//! read in its order (go-libaudit reads every family little-endian, so
//! its `ipv4` is `"512"` there); a flowinfo above 2^31 is written
//! (go-libaudit's 32-bit signed parse refuses the whole record).

use core::net::{IpAddr, Ipv6Addr};

use super::members::Members;
use super::norm::Direction;
use crate::encode::cursor::{Cursor, Full};
use crate::record::sockaddr::{SockAddr, AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_VSOCK};

/// A SOCKADDR's decoded address beside the record's hex it came from.
#[derive(Clone, Copy)]
pub(super) struct Socket<'a> {
    pub(super) addr: SockAddr<'a>,
    pub(super) hex: &'a [u8],
}

/// `family`'s value: a name, or the number of a family go-libaudit
/// does not name.
enum Family {
    Name(&'static str),
    Number(u16),
}

/// A unix address's name.
#[derive(Clone, Copy)]
enum Unix<'a> {
    Path(&'a [u8]),
    /// The name after the abstract namespace's leading NUL.
    Abstract(&'a [u8]),
    Unnamed,
}

/// What go-libaudit reads beside the family.
enum Parts<'a> {
    Inet {
        ip: IpAddr,
        port: u16,
        flow: u32,
    },
    Unix(Unix<'a>),
    /// Only the record's hex (`saddr`).
    Raw,
}

impl<'a> Socket<'a> {
    /// The family and its parts; `None` where go-libaudit refuses the
    /// bytes (shorter than the family's two, or than an inet address).
    fn read(&self) -> Option<(Family, Parts<'a>)> {
        let unix = |name| Some((Family::Name("unix"), Parts::Unix(name)));
        let raw = |family| Some((family, Parts::Raw));
        match self.addr {
            SockAddr::Inet { addr, port } => Some((
                Family::Name("ipv4"),
                Parts::Inet {
                    ip: IpAddr::V4(addr),
                    port,
                    flow: 0,
                },
            )),
            SockAddr::Inet6 {
                addr,
                port,
                flowinfo,
                ..
            } => Some((
                Family::Name("ipv6"),
                Parts::Inet {
                    ip: ip6(addr),
                    port,
                    flow: flowinfo,
                },
            )),
            SockAddr::UnixPath(path) => unix(Unix::Path(path)),
            SockAddr::UnixAbstract(name) => unix(Unix::Abstract(name)),
            SockAddr::UnixUnnamed => unix(Unix::Unnamed),
            SockAddr::Netlink { .. }
            | SockAddr::Other {
                family: Some(AF_NETLINK),
            } => raw(Family::Name("netlink")),
            SockAddr::Packet { .. } => raw(Family::Number(AF_PACKET)),
            SockAddr::Vsock { .. } => raw(Family::Number(AF_VSOCK)),
            SockAddr::Other {
                family: None | Some(AF_INET | AF_INET6),
            } => None,
            SockAddr::Other {
                family: Some(family),
            } => raw(Family::Number(family)),
        }
    }
}

/// An IPv6 socket address as go-libaudit's `net.IP` prints it: an
/// IPv4-mapped one (`::ffff:10.0.0.1`, a dual-stack socket reaching an
/// IPv4 host) as the IPv4 address.
fn ip6(addr: Ipv6Addr) -> IpAddr {
    addr.to_ipv4_mapped().map_or(IpAddr::V6(addr), IpAddr::V4)
}

/// A unix name as a JSON string: the path, `@name`, or `""`.
fn write_unix(c: &mut Cursor<'_>, name: Unix<'_>) -> Result<(), Full> {
    match name {
        Unix::Path(path) => c.push_string(path),
        Unix::Abstract(name) => {
            c.push(b"\"@")?;
            c.push_escaped(name)?;
            c.push(b"\"")
        }
        Unix::Unnamed => c.push(b"\"\""),
    }
}

/// `auditd.data.socket`; nothing when the records' own fields have a
/// `socket` key (`given`: no key twice in an object).
pub(super) fn write_socket_data(
    d: &mut Members<'_, '_>,
    sock: Option<Socket<'_>>,
    given: &dyn Fn(&[u8]) -> bool,
) -> Result<(), Full> {
    let Some((sock, (family, parts))) = sock.and_then(|s| Some((s, s.read()?))) else {
        return Ok(());
    };
    if given(b"socket") {
        return Ok(());
    }
    let mut s = Members::open(d.key("socket")?)?;
    match family {
        Family::Name(name) => s.str("family", name)?,
        Family::Number(number) => s.key("family")?.push_display(&number)?,
    }
    match parts {
        Parts::Inet { ip, port, flow } => {
            s.key("addr")?.push_display(&ip)?;
            s.key("port")?.push_display(&port)?;
            if flow != 0 {
                s.key("flow")?.push_display(&flow)?;
            }
        }
        Parts::Unix(name) => write_unix(s.key("path")?, name)?,
        Parts::Raw => s.key("saddr")?.push_string(sock.hex)?,
    }
    s.close()
}

/// The summary's socket object (aucoalesce's `setSocketObject`): the
/// address as `primary` and the port as `secondary`, or the unix name
/// (an unnamed one's `""` left out, as Auditbeat leaves empty values).
pub(super) fn write_socket_object(
    o: &mut Members<'_, '_>,
    sock: Option<Socket<'_>>,
) -> Result<(), Full> {
    match sock.and_then(|s| s.read()) {
        Some((_, Parts::Inet { ip, port, .. })) => {
            o.key("primary")?.push_display(&ip)?;
            o.key("secondary")?.push_display(&port)
        }
        Some((_, Parts::Unix(name @ (Unix::Path(_) | Unix::Abstract(_))))) => {
            write_unix(o.key("primary")?, name)
        }
        _ => Ok(()),
    }
}

/// `destination` or `source` and `network.direction` of a socket
/// syscall with a SOCKADDR; whether it wrote them.
pub(super) fn write_socket_side(
    doc: &mut Members<'_, '_>,
    sock: Option<Socket<'_>>,
    direction: Option<Direction>,
) -> Result<bool, Full> {
    let (Some((_, parts)), Some(direction)) = (sock.and_then(|s| s.read()), direction) else {
        return Ok(false);
    };
    let side = match direction {
        Direction::Egress => "destination",
        Direction::Ingress => "source",
    };
    match parts {
        Parts::Inet { ip, port, .. } => {
            let mut a = Members::open(doc.key(side)?)?;
            a.key("ip")?.push_display(&ip)?;
            a.key("port")?.push_display(&port)?;
            a.close()?;
        }
        Parts::Unix(name @ (Unix::Path(_) | Unix::Abstract(_))) => {
            let mut a = Members::open(doc.key(side)?)?;
            write_unix(a.key("path")?, name)?;
            a.close()?;
        }
        Parts::Unix(Unix::Unnamed) | Parts::Raw => {}
    }
    write_direction(doc, direction)?;
    Ok(true)
}

pub(super) fn write_direction(doc: &mut Members<'_, '_>, direction: Direction) -> Result<(), Full> {
    let name = match direction {
        Direction::Egress => "egress",
        Direction::Ingress => "ingress",
    };
    let mut n = Members::open(doc.key("network")?)?;
    n.str("direction", name)?;
    n.close()
}
