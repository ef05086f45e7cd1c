//! What the event acted on: `file.*` from the PATH record the summary
//! names, `source`/`destination` and `network.direction` from a SOCKADDR
//! (or a user record's `addr`).

use super::facts::{present, Facts, ObjectFile};
use super::members::Members;
use super::norm::{Direction, Norm};
use crate::encode::cursor::{Cursor, Full};
use crate::encode::Enrich;
use crate::record::sockaddr::SockAddr;

/// `file.*` from the PATH record the summary names (its values found
/// with the facts).
pub(super) fn write_file(
    cursor: &mut Cursor<'_>,
    file: &ObjectFile<'_>,
    enrich: &impl Enrich,
) -> Result<(), Full> {
    let ObjectFile {
        name,
        rdev,
        inode,
        mode,
        ouid,
        ogid,
    } = *file;
    let mut f = Members::open(cursor)?;
    f.value("path", b"name", name)?;
    f.value("device", b"rdev", rdev)?;
    f.value("inode", b"inode", inode)?;
    if let Some(mode) = present(mode) {
        // The permission bits, as four octal digits (`0100755` → `0755`).
        let text = mode.text();
        let perm = text.get(text.len().saturating_sub(4)..).unwrap_or(text);
        f.key("mode")?.push_string(perm)?;
    }
    f.value("uid", b"ouid", ouid)?;
    f.value("gid", b"ogid", ogid)?;
    // ECS `file.owner` / `file.group`: the names of the owner's ids.
    if let Some(owner) = present(ouid).and_then(|v| enrich.user_name(v.text())) {
        f.str("owner", owner)?;
    }
    if let Some(group) = present(ogid).and_then(|v| enrich.group_name(v.text())) {
        f.str("group", group)?;
    }
    f.close()
}

pub(super) fn write_network(
    doc: &mut Members<'_, '_>,
    (facts, sock): (&Facts<'_>, Option<SockAddr<'_>>),
    norm: &Norm,
) -> Result<(), Full> {
    let inet = match sock {
        Some(SockAddr::Inet { addr, port }) => Some((core::net::IpAddr::V4(addr), port)),
        Some(SockAddr::Inet6 { addr, port, .. }) => Some((core::net::IpAddr::V6(addr), port)),
        _ => None,
    };
    if let (Some((ip, port)), Some(direction)) = (inet, norm.direction) {
        let side = if direction == Direction::Egress {
            "destination"
        } else {
            "source"
        };
        let mut s = Members::open(doc.key(side)?)?;
        s.key("ip")?.push_display(&ip)?;
        s.number("port", u64::from(port))?;
        s.close()?;
        return write_direction(doc, direction);
    }
    // A user-space record's remote address (sshd's `addr=`).
    if !facts.is_syscall {
        if let Some(addr) = present(facts.get(b"addr")) {
            let ip: Option<core::net::IpAddr> = core::str::from_utf8(addr.text())
                .ok()
                .and_then(|t| t.parse().ok());
            if let Some(ip) = ip {
                let mut s = Members::open(doc.key("source")?)?;
                s.key("ip")?.push_display(&ip)?;
                s.close()?;
                return write_direction(doc, Direction::Ingress);
            }
        }
    }
    Ok(())
}

pub(super) fn write_direction(doc: &mut Members<'_, '_>, direction: Direction) -> Result<(), Full> {
    let name = match direction {
        Direction::Egress => "egress",
        Direction::Ingress => "ingress",
        Direction::Local => return Ok(()),
    };
    let mut n = Members::open(doc.key("network")?)?;
    n.str("direction", name)?;
    n.close()
}
