//! The enricher the encoders' unit tests share: two known users, a group (ids
//! to names and back), and a
//! container id for the records of pid 4242.

use super::Enrich;
use crate::wire::MessageType;

/// `0` is `root`, `1000` is `alice`, every other uid unknown; group `10`
/// is `wheel` (names to ids the same way; and the directory's
/// `José García` is `2000`, a name records hex-encode); a record
/// naming `pid=4242` belongs to container `c0ffee`.
pub(crate) struct Names;

impl Enrich for Names {
    fn user_name(&self, uid: &[u8]) -> Option<&str> {
        match uid {
            b"0" => Some("root"),
            b"1000" => Some("alice"),
            _ => None,
        }
    }

    fn group_name(&self, gid: &[u8]) -> Option<&str> {
        (gid == b"10").then_some("wheel")
    }

    fn user_id(&self, name: &[u8]) -> Option<&str> {
        match name {
            b"root" => Some("0"),
            b"alice" => Some("1000"),
            _ if name == "José García".as_bytes() => Some("2000"),
            _ => None,
        }
    }

    fn group_id(&self, name: &[u8]) -> Option<&str> {
        (name == b"wheel").then_some("10")
    }

    fn container_id(&self, _t: MessageType, body: &[u8]) -> Option<&str> {
        memchr::memmem::find(body, b"pid=4242").map(|_| "c0ffee")
    }
}
