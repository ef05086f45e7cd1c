//! One audit record as a borrowed view: [`Record`] holds the message type,
//! the `audit(SECONDS.MILLIS:SERIAL)` stamp and the body, borrowing the
//! buffer it came from. Parsed from the kernel's netlink payload form and
//! from auditd's log-line form; nothing is decoded until asked.
//!
//! Submodules: [`fields`] (the zero-copy `key=value` iterator), [`hex`]
//! (decoding the kernel's hex-encoded values), [`execve`] (EXECVE argument
//! keys), [`search`] (go-audit's substring search for `KEY=`). Parsing
//! never panics and never allocates; every failure is a
//! [`RecordError`] with the byte offset where the input stopped making sense.

pub mod execve;
pub mod fields;
pub mod hex;
pub mod number;
pub mod prefix;
pub mod rewrite;
pub mod search;
pub mod sockaddr;
mod stamp;

pub use execve::ExecveArg;
pub use fields::{field, first_values, Field, Fields, Value};
pub use hex::{decode_hex, decode_looked_hex, looks_hex, HexError, HexErrorKind};

use crate::tables::msgtype;
use crate::wire::MessageType;

/// The timestamp of a record: `audit(SECONDS.MILLIS:…)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    pub seconds: u64,
    /// 0..=999
    pub millis: u16,
}

/// One audit record, borrowing its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'buf> {
    pub msg_type: MessageType,
    pub timestamp: Timestamp,
    pub serial: u32,
    /// The text after `audit(…): ` (go-audit's `data`), without a trailing
    /// NUL or newline and without auditd's ENRICHED suffix.
    pub body: &'buf [u8],
    /// `node=HOST` prefix of a log line, when present (the HOST bytes).
    pub node: Option<&'buf [u8]>,
    /// auditd's ENRICHED suffix (the bytes after `\x1d`), when present.
    pub enriched: Option<&'buf [u8]>,
}

/// Why a record did not parse, and where (byte offset into the input given
/// to [`Record::from_kernel`] or [`Record::from_log_line`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordError {
    pub kind: RecordErrorKind,
    pub offset: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordErrorKind {
    /// No `audit(` where the stamp should start (`msg=audit(` in a log line).
    MissingHeader,
    /// Seconds missing or beyond `u64`, no `.`, or millis not 1–3 digits.
    BadTimestamp,
    /// No `:` after the millis, or the serial is missing or beyond `u32`.
    BadSerial,
    /// The stamp does not end in `):`.
    Unterminated,
    /// A log line without `type=` (after the optional `node=HOST `).
    MissingType,
    /// `type=NAME` with a name no table knows and not `UNKNOWN[N]`.
    UnknownTypeName,
}

impl core::fmt::Display for RecordErrorKind {
    /// What was wrong and what was expected, in words.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            RecordErrorKind::MissingHeader => {
                "no `audit(` where the time stamp should start; expected `audit(SECONDS.MILLIS:SERIAL):`"
            }
            RecordErrorKind::BadTimestamp => {
                "a time stamp that is not SECONDS.MILLIS (seconds, a dot, 1 to 3 digits)"
            }
            RecordErrorKind::BadSerial => {
                "no serial after the time stamp; expected `:` and a number up to 4294967295"
            }
            RecordErrorKind::Unterminated => "a time stamp that does not end in `):`",
            RecordErrorKind::MissingType => {
                "not an audit log line; expected `type=NAME msg=audit(SECONDS.MILLIS:SERIAL): ...`"
            }
            RecordErrorKind::UnknownTypeName => {
                "a record type name no table knows; expected a name such as SYSCALL, or UNKNOWN[N]"
            }
        })
    }
}

impl core::fmt::Display for RecordError {
    /// `at byte N: WHAT`.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.kind)
    }
}

/// The separator auditd writes before the ENRICHED interpretations.
pub const ENRICHED_SEPARATOR: u8 = 0x1d;

impl<'buf> Record<'buf> {
    /// Parses a netlink payload of type `msg_type`:
    /// `audit(1700000000.123:4567): body`, where trailing NUL bytes and
    /// newlines are not part of the body. One space after `):` is dropped
    /// (go-audit's `data` starts after `): `); a payload that ends right
    /// after `):` has an empty body.
    pub fn from_kernel(
        msg_type: MessageType,
        payload: &'buf [u8],
    ) -> Result<Record<'buf>, RecordError> {
        let payload = trim_end(payload, b"\0\n");
        let (stamp, body_at) = stamp::parse(payload, 0)?;
        Ok(Record {
            msg_type,
            timestamp: stamp.timestamp,
            serial: stamp.serial,
            body: payload.get(body_at..).unwrap_or_default(),
            node: None,
            enriched: None,
        })
    }

    /// Parses one auditd log line:
    /// `[node=HOST ]type=NAME msg=audit(S.MS:SERIAL): body[\x1dENRICHED]`.
    ///
    /// `NAME` is a canonical type name or `UNKNOWN[N]`. Trailing `\r`/`\n`
    /// are trimmed. The body ends at the first `\x1d`; what follows is
    /// [`Record::enriched`].
    pub fn from_log_line(line: &'buf [u8]) -> Result<Record<'buf>, RecordError> {
        let line = trim_end(line, b"\r\n");
        let mut at = 0;
        let mut node = None;
        if line.starts_with(b"node=") {
            let end = token_end(line, 5);
            node = line.get(5..end);
            at = skip_spaces(line, end);
        }
        let rest = line.get(at..).unwrap_or_default();
        if !rest.starts_with(b"type=") {
            return Err(RecordError {
                kind: RecordErrorKind::MissingType,
                offset: at,
            });
        }
        let name_at = at + 5;
        let name_end = token_end(line, name_at);
        let name = line.get(name_at..name_end).unwrap_or_default();
        let msg_type = msgtype::number(name).map(MessageType).ok_or(RecordError {
            kind: RecordErrorKind::UnknownTypeName,
            offset: name_at,
        })?;
        at = skip_spaces(line, name_end);
        let rest = line.get(at..).unwrap_or_default();
        if !rest.starts_with(b"msg=") {
            return Err(RecordError {
                kind: RecordErrorKind::MissingHeader,
                offset: at,
            });
        }
        let (stamp, body_at) = stamp::parse(line, at + 4)?;
        let tail = line.get(body_at..).unwrap_or_default();
        let (body, enriched) = match memchr::memchr(ENRICHED_SEPARATOR, tail) {
            Some(i) => (tail.get(..i).unwrap_or_default(), tail.get(i + 1..)),
            None => (tail, None),
        };
        Ok(Record {
            msg_type,
            timestamp: stamp.timestamp,
            serial: stamp.serial,
            body,
            node,
            enriched,
        })
    }

    /// The body's fields.
    pub fn fields(&self) -> Fields<'buf> {
        Fields::new(self.body)
    }

    /// The first field of the body named `key`.
    pub fn field(&self, key: &[u8]) -> Option<Value<'buf>> {
        field(self.body, key)
    }
}

/// `src` without any trailing bytes from `set`.
fn trim_end<'a>(src: &'a [u8], set: &[u8]) -> &'a [u8] {
    let keep = src
        .iter()
        .rposition(|b| !set.contains(b))
        .map_or(0, |i| i + 1);
    src.get(..keep).unwrap_or_default()
}

/// Index of the first space at or after `from`, or `src.len()`.
fn token_end(src: &[u8], from: usize) -> usize {
    let tail = src.get(from..).unwrap_or_default();
    memchr::memchr(b' ', tail).map_or(src.len(), |i| from + i)
}

/// Index of the first non-space at or after `from`, or `src.len()`.
fn skip_spaces(src: &[u8], from: usize) -> usize {
    let tail = src.get(from..).unwrap_or_default();
    tail.iter()
        .position(|&b| b != b' ')
        .map_or(src.len(), |i| from + i)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn err(kind: RecordErrorKind, offset: usize) -> RecordError {
        RecordError { kind, offset }
    }

    #[test]
    fn kernel_payload() {
        let r = Record::from_kernel(
            MessageType::SYSCALL,
            b"audit(1700000000.123:4567): arch=c000003e a0=1\0\n",
        )
        .unwrap();
        assert_eq!(
            r.timestamp,
            Timestamp {
                seconds: 1700000000,
                millis: 123
            }
        );
        assert_eq!(r.serial, 4567);
        assert_eq!(r.body, b"arch=c000003e a0=1");
        assert_eq!(r.msg_type, MessageType::SYSCALL);
        assert_eq!((r.node, r.enriched), (None, None));
    }

    #[test]
    fn kernel_payload_trailing_mix_and_empty_bodies() {
        let r = Record::from_kernel(MessageType::EOE, b"audit(1.001:2): \n\0\0").unwrap();
        assert_eq!(r.body, b"");
        let r = Record::from_kernel(MessageType::EOE, b"audit(1.001:2):").unwrap();
        assert_eq!((r.body, r.serial, r.timestamp.millis), (&b""[..], 2, 1));
        let r = Record::from_kernel(MessageType::EOE, b"audit(1.001:2):x=1").unwrap();
        assert_eq!(r.body, b"x=1");
        // Old auditd daemon records: `) ` without the colon; or nothing.
        let r = Record::from_kernel(MessageType(1203), b"audit(1.001:2) config changed").unwrap();
        assert_eq!(r.body, b"config changed");
        let r = Record::from_kernel(MessageType(1203), b"audit(1.001:2)").unwrap();
        assert_eq!(r.body, b"");
        // Only one space is dropped: a second one is part of the body.
        let r = Record::from_kernel(MessageType::CWD, b"audit(1.001:2):  cwd=\"/\"").unwrap();
        assert_eq!(r.body, b" cwd=\"/\"");
    }

    #[test]
    fn kernel_payload_errors() {
        use RecordErrorKind::*;
        let t = MessageType::SYSCALL;
        assert_eq!(Record::from_kernel(t, b""), Err(err(MissingHeader, 0)));
        assert_eq!(Record::from_kernel(t, b"audi"), Err(err(MissingHeader, 0)));
        assert_eq!(Record::from_kernel(t, b"audit("), Err(err(BadTimestamp, 6)));
        assert_eq!(
            Record::from_kernel(t, b"audit(12"),
            Err(err(BadTimestamp, 8))
        );
        assert_eq!(
            Record::from_kernel(t, b"audit(12."),
            Err(err(BadTimestamp, 9))
        );
        assert_eq!(
            Record::from_kernel(t, b"audit(12.1234:1): "),
            Err(err(BadTimestamp, 9))
        );
        assert_eq!(
            Record::from_kernel(t, b"audit(12.123"),
            Err(err(BadSerial, 12))
        );
        assert_eq!(
            Record::from_kernel(t, b"audit(12.123:"),
            Err(err(BadSerial, 13))
        );
        assert_eq!(
            Record::from_kernel(t, b"audit(12.123:7"),
            Err(err(Unterminated, 14))
        );
        assert_eq!(
            Record::from_kernel(t, b"audit(12.123:7]: "),
            Err(err(Unterminated, 14))
        );
        assert_eq!(
            Record::from_kernel(t, b"audit(12.123:7)x"),
            Err(err(Unterminated, 15))
        );
        assert_eq!(
            Record::from_kernel(t, b"audit(12.123:4294967296): "),
            Err(err(BadSerial, 13))
        );
        assert_eq!(
            Record::from_kernel(t, b"audit(99999999999999999999.123:1): "),
            Err(err(BadTimestamp, 6))
        );
        assert_eq!(
            Record::from_kernel(t, b" audit(1.1:1): "),
            Err(err(MissingHeader, 0))
        );
    }

    #[test]
    fn kernel_payload_limits() {
        let r = Record::from_kernel(
            MessageType(9999),
            b"audit(18446744073709551615.999:4294967295): \xff\xfe",
        )
        .unwrap();
        assert_eq!(
            r.timestamp,
            Timestamp {
                seconds: u64::MAX,
                millis: 999
            }
        );
        assert_eq!(r.serial, u32::MAX);
        assert_eq!(r.body, b"\xff\xfe");
        // Fewer than 3 millis digits: the digits' value.
        let r = Record::from_kernel(MessageType::EOE, b"audit(5.7:1): ").unwrap();
        assert_eq!(r.timestamp.millis, 7);
    }

    #[test]
    fn log_line_plain_node_enriched() {
        let r =
            Record::from_log_line(b"type=SYSCALL msg=audit(1700000000.123:4567): arch=c000003e\n")
                .unwrap();
        assert_eq!(r.msg_type, MessageType::SYSCALL);
        assert_eq!(r.serial, 4567);
        assert_eq!(r.body, b"arch=c000003e");

        let line = b"node=web-1 type=USER_ACCT msg=audit(1.002:3): pid=1 msg='op=x res=success'\x1dAUID=\"root\"\r\n";
        let r = Record::from_log_line(line).unwrap();
        assert_eq!(r.node, Some(&b"web-1"[..]));
        assert_eq!(r.msg_type, MessageType(1101));
        assert_eq!(r.body, b"pid=1 msg='op=x res=success'");
        assert_eq!(r.enriched, Some(&b"AUID=\"root\""[..]));

        let r = Record::from_log_line(b"type=UNKNOWN[1420] msg=audit(1.002:3): x=1").unwrap();
        assert_eq!(r.msg_type, MessageType(1420));
        let r = Record::from_log_line(b"type=EOE msg=audit(1.002:3): ").unwrap();
        assert_eq!((r.msg_type, r.body), (MessageType::EOE, &b""[..]));
    }

    #[test]
    fn log_line_errors() {
        use RecordErrorKind::*;
        assert_eq!(Record::from_log_line(b""), Err(err(MissingType, 0)));
        assert_eq!(Record::from_log_line(b"node=h"), Err(err(MissingType, 6)));
        assert_eq!(
            Record::from_log_line(b"node=h typo"),
            Err(err(MissingType, 7))
        );
        assert_eq!(
            Record::from_log_line(b"type=NOPE msg=audit(1.1:1): "),
            Err(err(UnknownTypeName, 5))
        );
        assert_eq!(
            Record::from_log_line(b"type=UNKNOWN[70000] msg="),
            Err(err(UnknownTypeName, 5))
        );
        assert_eq!(
            Record::from_log_line(b"type=EOE"),
            Err(err(MissingHeader, 8))
        );
        assert_eq!(
            Record::from_log_line(b"type=EOE x=audit(1.1:1): "),
            Err(err(MissingHeader, 9))
        );
        assert_eq!(
            Record::from_log_line(b"type=EOE msg=audit(1.1:1"),
            Err(err(Unterminated, 24))
        );
        assert_eq!(
            Record::from_log_line(b"type=EOE msg=(1.1:1): "),
            Err(err(MissingHeader, 13))
        );
    }

    #[test]
    fn record_field_helpers() {
        let r = Record::from_kernel(MessageType::SYSCALL, b"audit(1.000:1): a=1 exe=\"/bin/x\"")
            .unwrap();
        assert_eq!(r.field(b"exe"), Some(Value::DoubleQuoted(b"/bin/x")));
        assert_eq!(r.fields().count(), 2);
    }
}
