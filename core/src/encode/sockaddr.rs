//! A decoded `saddr` ([`SockAddr`]) as a JSON object, with go-libaudit's
//! member names where it has them: `{"family":"ipv4","addr":"127.0.0.1",
//! "port":80}`; `ipv6` adds `flowinfo` and `scope_id` when not 0; `unix`
//! has `path` (`"abstract":true` for the abstract namespace, no `path`
//! when unnamed); `netlink` `pid` and `groups`; `packet` `protocol`,
//! `ifindex`, `hatype`, `pkttype` and the hardware `addr`
//! (`aa:bb:…`); `vsock` `cid` and `port`. [`SockAddr::Other`] has no
//! object: the hex stays in the record's fields.

use core::fmt;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

use super::common::Text;
use super::text::Lossy;
use crate::record::decode_hex;
use crate::record::sockaddr::SockAddr;

/// The longest `struct sockaddr` (`sockaddr_storage`); longer hex is
/// decoded only this far.
pub const SOCKADDR_MAX: usize = 128;

/// Decodes the hex `saddr` value into `buf` (at most [`SOCKADDR_MAX`]
/// bytes of it) and reads it; `None` when the text is not hex or the
/// family is not one [`SockAddr`] decodes.
pub fn decode<'b>(hex: &[u8], buf: &'b mut [u8; SOCKADDR_MAX]) -> Option<SockAddr<'b>> {
    decode_any(hex, buf).filter(|addr| addr.family_name().is_some())
}

/// [`decode`], any family: [`SockAddr::Other`] too (the ECS shape names
/// families it does not decode); `None` only when the text is not hex.
pub fn decode_any<'b>(hex: &[u8], buf: &'b mut [u8; SOCKADDR_MAX]) -> Option<SockAddr<'b>> {
    let even = hex.len().min(2 * SOCKADDR_MAX) & !1;
    let n = decode_hex(hex.get(..even)?, buf).ok()?;
    Some(SockAddr::parse(buf.get(..n)?))
}

/// Serializes a [`SockAddr`] as the module describes.
pub struct SockAddrObject<'a>(pub SockAddr<'a>);

impl Serialize for SockAddrObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(family) = self.0.family_name() {
            map.serialize_entry("family", family)?;
        }
        match self.0 {
            SockAddr::Inet { addr, port } => {
                map.serialize_entry("addr", &Display(addr))?;
                map.serialize_entry("port", &port)?;
            }
            SockAddr::Inet6 {
                addr,
                port,
                flowinfo,
                scope_id,
            } => {
                map.serialize_entry("addr", &Display(addr))?;
                map.serialize_entry("port", &port)?;
                if flowinfo != 0 {
                    map.serialize_entry("flowinfo", &flowinfo)?;
                }
                if scope_id != 0 {
                    map.serialize_entry("scope_id", &scope_id)?;
                }
            }
            SockAddr::UnixPath(path) => {
                map.serialize_entry("path", &Text(Lossy::new(path)))?;
            }
            SockAddr::UnixAbstract(name) => {
                map.serialize_entry("path", &Text(Lossy::new(name)))?;
                map.serialize_entry("abstract", &true)?;
            }
            SockAddr::Netlink { pid, groups } => {
                map.serialize_entry("pid", &pid)?;
                map.serialize_entry("groups", &groups)?;
            }
            SockAddr::Packet {
                protocol,
                ifindex,
                hatype,
                pkttype,
                hwaddr,
            } => {
                map.serialize_entry("protocol", &protocol)?;
                map.serialize_entry("ifindex", &ifindex)?;
                map.serialize_entry("hatype", &hatype)?;
                map.serialize_entry("pkttype", &pkttype)?;
                map.serialize_entry("addr", &Display(Mac(hwaddr)))?;
            }
            SockAddr::Vsock { cid, port } => {
                map.serialize_entry("cid", &cid)?;
                map.serialize_entry("port", &port)?;
            }
            SockAddr::UnixUnnamed | SockAddr::Other { .. } => {}
        }
        map.end()
    }
}

/// A `Display` value as a JSON string (nothing in these needs escaping).
struct Display<T>(T);

impl<T: fmt::Display> Serialize for Display<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

/// A hardware address as colon-separated lower-case hex bytes.
struct Mac<'a>(&'a [u8]);

impl fmt::Display for Mac<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    extern crate std;

    fn json(hex: &str) -> Option<serde_json::Value> {
        let mut buf = [0u8; SOCKADDR_MAX];
        let addr = decode(hex.as_bytes(), &mut buf)?;
        let mut out = [0u8; 512];
        let n = serde_json_core::to_slice(&SockAddrObject(addr), &mut out).unwrap();
        Some(serde_json::from_slice(&out[..n]).unwrap())
    }

    /// What auditd's ENRICHED interpretation of the same live-capture
    /// values says (`saddr_fam=inet laddr=127.0.0.1 lport=9`, …).
    #[test]
    fn live_capture_values_read_as_auditd_reads_them() {
        let v = json("020000097F0000010000000000000000").unwrap();
        assert_eq!(
            v,
            serde_json::json!({"family":"ipv4","addr":"127.0.0.1","port":9})
        );
        let v = json("0A00ED41000000000000000000000000000000000000000100000000").unwrap();
        assert_eq!(
            v,
            serde_json::json!({"family":"ipv6","addr":"::1","port":60737})
        );
        let v = json("100000000000000000000000").unwrap();
        assert_eq!(
            v,
            serde_json::json!({"family":"netlink","pid":0,"groups":0})
        );
        let v = json("01002F72756E2F646275732F73797374656D5F6275735F736F636B657400").unwrap();
        assert_eq!(
            v,
            serde_json::json!({"family":"unix","path":"/run/dbus/system_bus_socket"})
        );
    }

    #[test]
    fn other_forms() {
        let v = json("0100006E616D65").unwrap();
        assert_eq!(
            v,
            serde_json::json!({"family":"unix","path":"name","abstract":true})
        );
        assert_eq!(json("0100").unwrap(), serde_json::json!({"family":"unix"}));
        let v = json("110000030200000001000006AABBCCDDEEFF0000").unwrap();
        assert_eq!(
            v,
            serde_json::json!({"family":"packet","protocol":3,"ifindex":2,"hatype":1,
                "pkttype":0,"addr":"aa:bb:cc:dd:ee:ff"})
        );
        let v = json("280000003905000003000000").unwrap();
        assert_eq!(v, serde_json::json!({"family":"vsock","cid":3,"port":1337}));
        // Invalid UTF-8 in a path: U+FFFD.
        let v = json("01002FFF00").unwrap();
        assert_eq!(v, serde_json::json!({"family":"unix","path":"/\u{fffd}"}));
        // Unknown family, short bytes, not hex: nothing (the hex stays).
        assert_eq!(json("2600AABB"), None);
        assert_eq!(json("0200"), None);
        assert_eq!(json("zz"), None);
        // Longer than a sockaddr_storage: read as far as one goes.
        let long = std::format!("01002F78{}", "41".repeat(300));
        assert_eq!(json(&long).unwrap()["family"], "unix");
    }
}
