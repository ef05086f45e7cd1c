//! One audit record as a borrowed view: [`Record`] holds the message type,
//! the `audit(SECONDS.MILLIS:SERIAL)` stamp and the body, borrowing the
//! buffer it came from. Parsed from the kernel's netlink payload form and
//! from auditd's log-line form; nothing is decoded until asked.

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
