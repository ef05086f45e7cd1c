//! Syslog message bytes, byte for byte as Go's `log/syslog` writes them
//! (RFC 3164 as go-audit sends it) or as RFC 5424 asks, into a reused
//! `Vec` that never grows once it holds the largest event.
//!
//! - local (unixgram, unix): `<PRI>Mmm _d hh:mm:ss TAG[PID]: MSG\n`
//!   (Go's `time.Stamp`, no host name);
//! - network (udp, tcp): `<PRI>YYYY-MM-DDThh:mm:ss±hh:mm HOST TAG[PID]: MSG\n`
//!   (Go's `time.RFC3339`, `Z` for UTC);
//! - RFC 5424: `<PRI>1 YYYY-MM-DDThh:mm:ss.uuuuuu±hh:mm HOST APP PID - - MSG`
//!   without the newline; on a stream it is octet-counted (`LEN MSG`).
//!
//! Time is local time, as Go formats it ([`crate::local_time`]).

use std::io::Write as _;

use crate::local_time::{write_rfc3339, write_stamp, LocalTime};

/// Room left at the front of the buffer for an octet count (`LEN `).
pub const PREFIX_ROOM: usize = 12;

/// What stays the same for every message: computed once at start.
#[derive(Clone, Debug)]
pub struct Header {
    pub priority: u8,
    pub tag: String,
    pub hostname: String,
    pub pid: u32,
    /// RFC 5424's APP-NAME: the tag in printable ASCII, at most 48 bytes.
    pub app_name: String,
}

impl Header {
    pub fn new(priority: u8, tag: &str, hostname: &str, pid: u32) -> Header {
        Header {
            priority,
            tag: tag.to_owned(),
            hostname: sd_name(hostname, 255),
            pid,
            app_name: sd_name(tag, 48),
        }
    }
}

/// RFC 5424 header fields are printable US-ASCII without spaces; `-` when
/// empty.
fn sd_name(text: &str, max: usize) -> String {
    let name: String = text
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .take(max)
        .collect();
    if name.is_empty() {
        "-".to_owned()
    } else {
        name
    }
}

/// Which form to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Form {
    /// Go's local form (unixgram, unix).
    Rfc3164Local,
    /// Go's network form (udp, tcp).
    Rfc3164Network,
    /// Go's network form octet-counted, as RFC 5425 frames every message
    /// over TLS.
    Rfc3164OctetCounted,
    /// RFC 5424; `octet_counted` on streams.
    Rfc5424 { octet_counted: bool },
}

/// Writes the whole message for `line` (one JSON event, usually ending in
/// `\n`) into `out`, which is cleared first, and returns where the bytes to
/// send start (after unused prefix room).
pub fn message(out: &mut Vec<u8>, form: Form, h: &Header, t: &LocalTime, line: &[u8]) -> usize {
    out.clear();
    out.resize(PREFIX_ROOM, b' ');
    let _ = write!(out, "<{}>", h.priority);
    match form {
        Form::Rfc3164Local => {
            write_stamp(out, t);
            let _ = write!(out, " {}[{}]: ", h.tag, h.pid);
        }
        Form::Rfc3164Network | Form::Rfc3164OctetCounted => {
            write_rfc3339(out, t, false);
            let _ = write!(out, " {} {}[{}]: ", h.hostname, h.tag, h.pid);
        }
        Form::Rfc5424 { .. } => {
            out.extend_from_slice(b"1 ");
            write_rfc3339(out, t, true);
            let _ = write!(out, " {} {} {} - - ", h.hostname, h.app_name, h.pid);
        }
    }
    match form {
        Form::Rfc3164Local | Form::Rfc3164Network => {
            // Go's Writer appends a newline unless the message has one.
            out.extend_from_slice(line);
            if !line.ends_with(b"\n") {
                out.push(b'\n');
            }
            PREFIX_ROOM
        }
        Form::Rfc3164OctetCounted
        | Form::Rfc5424 {
            octet_counted: true,
        } => {
            out.extend_from_slice(line.strip_suffix(b"\n").unwrap_or(line));
            octet_count(out)
        }
        Form::Rfc5424 {
            octet_counted: false,
        } => {
            out.extend_from_slice(line.strip_suffix(b"\n").unwrap_or(line));
            PREFIX_ROOM
        }
    }
}

/// Puts the length of the message after [`PREFIX_ROOM`] and a space in
/// front of it (RFC 6587's octet counting) and returns where that starts.
fn octet_count(out: &mut [u8]) -> usize {
    let len = out.len().saturating_sub(PREFIX_ROOM);
    let mut digits = [0u8; PREFIX_ROOM];
    let mut cursor = std::io::Cursor::new(&mut digits[..]);
    let _ = write!(cursor, "{len} ");
    let n = cursor.position() as usize;
    // `len` has at most 20 digits, but PREFIX_ROOM holds 11 with
    // the space: a message of 10 GB or more cannot be framed.
    let start = PREFIX_ROOM.saturating_sub(n);
    if let (Some(dst), Some(src)) = (out.get_mut(start..PREFIX_ROOM), digits.get(..n)) {
        if dst.len() == src.len() {
            dst.copy_from_slice(src);
        }
    }
    start
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn h() -> Header {
        Header::new(132, "go-audit", "box", 42)
    }

    #[test]
    fn go_local_form() {
        // 2024-03-05 07:08:09 UTC
        let t = LocalTime::at(1_709_622_489, 0, 0);
        let mut out = Vec::new();
        let start = message(&mut out, Form::Rfc3164Local, &h(), &t, b"{\"a\":1}\n");
        assert_eq!(
            &out[start..],
            b"<132>Mar  5 07:08:09 go-audit[42]: {\"a\":1}\n"
        );
    }

    #[test]
    fn go_network_form_with_zone() {
        let t = LocalTime::at(1_709_622_489, 0, 3600 + 1800);
        let mut out = Vec::new();
        let start = message(&mut out, Form::Rfc3164Network, &h(), &t, b"{}");
        assert_eq!(
            &out[start..],
            b"<132>2024-03-05T08:38:09+01:30 box go-audit[42]: {}\n"
        );
        let t = LocalTime::at(1_709_622_489, 0, 0);
        let start = message(&mut out, Form::Rfc3164Network, &h(), &t, b"{}\n");
        assert_eq!(
            &out[start..],
            b"<132>2024-03-05T07:08:09Z box go-audit[42]: {}\n"
        );
        let t = LocalTime::at(1_709_622_489, 0, -5 * 3600);
        message(&mut out, Form::Rfc3164Network, &h(), &t, b"{}\n");
        assert!(out.windows(6).any(|w| w == b"-05:00"));
    }

    #[test]
    fn rfc3164_octet_counted_is_gos_network_form_framed_by_length() {
        let t = LocalTime::at(1_709_622_489, 1234, 3600);
        let mut newline = Vec::new();
        let plain = message(&mut newline, Form::Rfc3164Network, &h(), &t, b"{}\n");
        let body = newline.get(plain..newline.len() - 1).unwrap().to_vec();
        let mut out = Vec::new();
        let start = message(&mut out, Form::Rfc3164OctetCounted, &h(), &t, b"{}\n");
        let mut framed = format!("{} ", body.len()).into_bytes();
        framed.extend_from_slice(&body);
        assert_eq!(&out[start..], &framed[..]);
    }

    #[test]
    fn rfc5424_datagram_and_octet_counted() {
        let t = LocalTime::at(1_709_622_489, 1234, 0);
        let mut out = Vec::new();
        let header = Header::new(14, "my tag", "box", 42);
        let form = Form::Rfc5424 {
            octet_counted: false,
        };
        let start = message(&mut out, form, &header, &t, b"{}\n");
        let expected = b"<14>1 2024-03-05T07:08:09.001234Z box my_tag 42 - - {}";
        assert_eq!(&out[start..], expected);
        let form = Form::Rfc5424 {
            octet_counted: true,
        };
        let start = message(&mut out, form, &header, &t, b"{}\n");
        let mut framed = format!("{} ", expected.len()).into_bytes();
        framed.extend_from_slice(expected);
        assert_eq!(&out[start..], &framed[..]);
    }

    #[test]
    fn empty_tag_is_a_dash_in_5424() {
        assert_eq!(Header::new(1, "", "", 1).app_name, "-");
    }
}
