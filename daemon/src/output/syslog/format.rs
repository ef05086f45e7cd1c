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

use crate::local_time::{write_rfc3339, write_stamp, Fraction, LocalTime};

/// Room left at the front of the buffer for an octet count (`LEN `).
pub const PREFIX_ROOM: usize = 12;

/// What stays the same for every message (computed once at start), and
/// the header last written from it.
#[derive(Clone, Debug)]
pub struct Header {
    pub priority: u8,
    pub tag: String,
    pub hostname: String,
    pub pid: u32,
    /// RFC 5424's APP-NAME: the tag in printable ASCII, at most 48 bytes.
    pub app_name: String,
    /// The header bytes last written (`<PRI>` up to the message), and the
    /// form and second they were written for: reused while the clock
    /// stays in that second, as formatting the date and numbers costs
    /// more than copying the rest of the message.
    written: Vec<u8>,
    written_for: Option<(Form, LocalTime)>,
    /// Where RFC 5424's six microsecond digits are in `written`: the only
    /// part that changes within a second.
    micros_at: Option<usize>,
}

impl Header {
    pub fn new(priority: u8, tag: &str, hostname: &str, pid: u32) -> Header {
        Header {
            priority,
            tag: tag.to_owned(),
            hostname: sd_name(hostname, 255),
            pid,
            app_name: sd_name(tag, 48),
            written: Vec::new(),
            written_for: None,
            micros_at: None,
        }
    }

    /// Names the host `hostname` from the next header on (the one last
    /// written is written again).
    pub fn set_hostname(&mut self, hostname: &str) {
        let hostname = sd_name(hostname, 255);
        if hostname != self.hostname {
            self.hostname = hostname;
            self.written_for = None;
        }
    }

    /// The header of a message in `form` at `t`: the one last written
    /// when `t` falls in its second, with the microseconds set.
    fn at(&mut self, form: Form, t: &LocalTime) -> &[u8] {
        let second = LocalTime { micros: 0, ..*t };
        if self.written_for != Some((form, second)) {
            self.write(form, t);
            self.written_for = Some((form, second));
        }
        if let Some(digits) = self
            .micros_at
            .and_then(|at| self.written.get_mut(at..at.saturating_add(6)))
        {
            let mut micros = t.micros;
            for digit in digits.iter_mut().rev() {
                *digit = b'0' + (micros % 10) as u8;
                micros /= 10;
            }
        }
        &self.written
    }

    /// Formats the header of a message in `form` at `t` into `written`.
    fn write(&mut self, form: Form, t: &LocalTime) {
        let out = &mut self.written;
        out.clear();
        self.micros_at = None;
        let _ = write!(out, "<{}>", self.priority);
        match form {
            Form::Rfc3164Local => {
                write_stamp(out, t);
                let _ = write!(out, " {}[{}]: ", self.tag, self.pid);
            }
            Form::Rfc3164Network | Form::Rfc3164OctetCounted => {
                write_rfc3339(out, t, Fraction::None);
                let _ = write!(out, " {} {}[{}]: ", self.hostname, self.tag, self.pid);
            }
            Form::Rfc5424 { .. } => {
                out.extend_from_slice(b"1 ");
                // `YYYY-MM-DDThh:mm:ss.uuuuuu`: the digits after the dot.
                let date_at = out.len();
                write_rfc3339(out, t, Fraction::Micros);
                self.micros_at = out
                    .get(date_at..)
                    .and_then(|date| date.iter().position(|&b| b == b'.'))
                    .map(|dot| date_at + dot + 1);
                let _ = write!(
                    out,
                    " {} {} {} - - ",
                    self.hostname, self.app_name, self.pid
                );
            }
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
pub fn message(out: &mut Vec<u8>, form: Form, h: &mut Header, t: &LocalTime, line: &[u8]) -> usize {
    out.clear();
    out.resize(PREFIX_ROOM, b' ');
    out.extend_from_slice(h.at(form, t));
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
    // `LEN ` written backwards from the message's start. PREFIX_ROOM
    // holds 11 digits before the space: a message of 100 GB or more
    // cannot be framed (it is left unframed).
    let Some(room) = out.get_mut(..PREFIX_ROOM) else {
        return PREFIX_ROOM;
    };
    let (mut n, mut start) = (len, PREFIX_ROOM - 1);
    room[start] = b' ';
    loop {
        let Some(digit) = start.checked_sub(1).and_then(|at| room.get_mut(at)) else {
            return PREFIX_ROOM;
        };
        *digit = b'0' + (n % 10) as u8;
        start -= 1;
        n /= 10;
        if n == 0 {
            return start;
        }
    }
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
        let start = message(&mut out, Form::Rfc3164Local, &mut h(), &t, b"{\"a\":1}\n");
        assert_eq!(
            &out[start..],
            b"<132>Mar  5 07:08:09 go-audit[42]: {\"a\":1}\n"
        );
    }

    #[test]
    fn go_network_form_with_zone() {
        let t = LocalTime::at(1_709_622_489, 0, 3600 + 1800);
        let mut out = Vec::new();
        let start = message(&mut out, Form::Rfc3164Network, &mut h(), &t, b"{}");
        assert_eq!(
            &out[start..],
            b"<132>2024-03-05T08:38:09+01:30 box go-audit[42]: {}\n"
        );
        let t = LocalTime::at(1_709_622_489, 0, 0);
        let start = message(&mut out, Form::Rfc3164Network, &mut h(), &t, b"{}\n");
        assert_eq!(
            &out[start..],
            b"<132>2024-03-05T07:08:09Z box go-audit[42]: {}\n"
        );
        let t = LocalTime::at(1_709_622_489, 0, -5 * 3600);
        message(&mut out, Form::Rfc3164Network, &mut h(), &t, b"{}\n");
        assert!(out.windows(6).any(|w| w == b"-05:00"));
    }

    #[test]
    fn rfc3164_octet_counted_is_gos_network_form_framed_by_length() {
        let t = LocalTime::at(1_709_622_489, 1234, 3600);
        let mut newline = Vec::new();
        let plain = message(&mut newline, Form::Rfc3164Network, &mut h(), &t, b"{}\n");
        let body = newline.get(plain..newline.len() - 1).unwrap().to_vec();
        let mut out = Vec::new();
        let start = message(&mut out, Form::Rfc3164OctetCounted, &mut h(), &t, b"{}\n");
        let mut framed = format!("{} ", body.len()).into_bytes();
        framed.extend_from_slice(&body);
        assert_eq!(&out[start..], &framed[..]);
    }

    #[test]
    fn rfc5424_datagram_and_octet_counted() {
        let t = LocalTime::at(1_709_622_489, 1234, 0);
        let mut out = Vec::new();
        let mut header = Header::new(14, "my tag", "box", 42);
        let form = Form::Rfc5424 {
            octet_counted: false,
        };
        let start = message(&mut out, form, &mut header, &t, b"{}\n");
        let expected = b"<14>1 2024-03-05T07:08:09.001234Z box my_tag 42 - - {}";
        assert_eq!(&out[start..], expected);
        let form = Form::Rfc5424 {
            octet_counted: true,
        };
        let start = message(&mut out, form, &mut header, &t, b"{}\n");
        let mut framed = format!("{} ", expected.len()).into_bytes();
        framed.extend_from_slice(expected);
        assert_eq!(&out[start..], &framed[..]);
    }

    #[test]
    fn a_header_reused_within_its_second_is_the_one_written_afresh() {
        let forms = [
            Form::Rfc3164Local,
            Form::Rfc3164Network,
            Form::Rfc3164OctetCounted,
            Form::Rfc5424 {
                octet_counted: true,
            },
            Form::Rfc5424 {
                octet_counted: false,
            },
        ];
        // Within a second, across seconds, a minute, a zone change.
        let times = [
            (1_709_622_489, 0, 0),
            (1_709_622_489, 999_999, 0),
            (1_709_622_489, 7, 0),
            (1_709_622_490, 120_000, 0),
            (1_709_622_549, 5, 0),
            (1_709_622_549, 5, 3600),
            (1_709_622_549, 654_321, 3600),
        ];
        let mut kept = Header::new(13, "audit", "web-1", 7);
        for form in forms {
            for (secs, micros, offset) in times {
                let t = LocalTime::at(secs, micros, offset);
                let (mut reused, mut fresh) = (Vec::new(), Vec::new());
                let a = message(&mut reused, form, &mut kept, &t, b"{\"e\":1}\n");
                let mut new = Header::new(13, "audit", "web-1", 7);
                let b = message(&mut fresh, form, &mut new, &t, b"{\"e\":1}\n");
                assert_eq!(reused[a..], fresh[b..], "{form:?} at {t:?}");
            }
        }
    }

    #[test]
    fn empty_tag_is_a_dash_in_5424() {
        assert_eq!(Header::new(1, "", "", 1).app_name, "-");
    }
}
