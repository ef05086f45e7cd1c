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
//! Time is local time, as Go formats it; the zone offset is looked up once
//! per quarter hour.

use std::io::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::sys::localtime;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Room left at the front of the buffer for an octet count (`LEN `).
pub const PREFIX_ROOM: usize = 12;

/// A wall-clock instant broken down in local time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub micros: u32,
    /// Seconds east of UTC.
    pub offset: i32,
}

impl LocalTime {
    /// `unix_secs` + `micros` seen `offset` seconds east of UTC.
    pub fn at(unix_secs: i64, micros: u32, offset: i32) -> LocalTime {
        let local = unix_secs.saturating_add(i64::from(offset));
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        LocalTime {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs / 60 % 60,
            second: secs % 60,
            micros,
            offset,
        }
    }
}

/// Reads the clock and caches the zone offset for a quarter hour (zone
/// changes fall on such boundaries).
#[derive(Debug, Default)]
pub struct Clock {
    bucket: Option<i64>,
    offset: i32,
}

impl Clock {
    pub fn now(&mut self) -> LocalTime {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        let secs = i64::try_from(since.as_secs()).unwrap_or(i64::MAX);
        let bucket = secs / 900;
        if self.bucket != Some(bucket) {
            self.bucket = Some(bucket);
            self.offset = localtime::utc_offset(secs);
        }
        LocalTime::at(secs, since.subsec_micros(), self.offset)
    }
}

/// Year, month (1-12), day (1-31) of a day count since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Go's `time.Stamp`: `Jan _2 15:04:05`.
pub fn write_stamp(out: &mut Vec<u8>, t: &LocalTime) {
    let month = MONTHS
        .get(t.month.saturating_sub(1) as usize)
        .unwrap_or(&"???");
    // Writing into a Vec cannot fail.
    let _ = write!(
        out,
        "{month} {:>2} {:02}:{:02}:{:02}",
        t.day, t.hour, t.minute, t.second
    );
}

/// Go's `time.RFC3339` (`micros: false`) or RFC 5424's timestamp with
/// microseconds (`micros: true`).
pub fn write_rfc3339(out: &mut Vec<u8>, t: &LocalTime, micros: bool) {
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        t.year, t.month, t.day, t.hour, t.minute, t.second
    );
    if micros {
        let _ = write!(out, ".{:06}", t.micros);
    }
    if t.offset == 0 {
        out.push(b'Z');
    } else {
        let sign = if t.offset < 0 { '-' } else { '+' };
        let abs = t.offset.unsigned_abs() / 60;
        let _ = write!(out, "{sign}{:02}:{:02}", abs / 60, abs % 60);
    }
}

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
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_783), (2024, 3, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
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
