//! Reading replay inputs: format detection, auditd log lines (streamed, one
//! reused line buffer), and netlink captures (frames over one buffer).

use std::io::{self, BufRead, Write};

use raudit_core::encode::Enrich;
use raudit_core::record::Record;
use raudit_core::wire::netlink::Frames;
use raudit_core::wire::MessageType;

use super::{Malformed, Replayer};

/// Input format of a replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Decide from the first bytes.
    Auto,
    /// auditd log lines (`type=… msg=audit(…): …`), RAW or ENRICHED.
    Log,
    /// Concatenated netlink messages (`nlmsghdr` + payload).
    Netlink,
}

/// Guesses the format from the start of an input: log lines start with
/// `type=` or `node=`; anything else whose first header looks like an audit
/// netlink message (sane length, type in the audit range) is netlink.
pub fn detect_format(head: &[u8]) -> Format {
    if head.starts_with(b"type=") || head.starts_with(b"node=") {
        return Format::Log;
    }
    let word = |at: usize| head.get(at..at + 4).and_then(|b| b.try_into().ok());
    let len = word(0).map(u32::from_ne_bytes);
    let msg_type = head
        .get(4..6)
        .and_then(|b| b.try_into().ok())
        .map(u16::from_ne_bytes);
    match (len, msg_type) {
        (Some(len), Some(t)) if (16..=65_536).contains(&len) && (1000..=2999).contains(&t) => {
            Format::Netlink
        }
        _ => Format::Log,
    }
}

pub(super) fn replay_log<N: Enrich>(
    replayer: &mut Replayer<N>,
    input: &mut dyn BufRead,
    out: &mut impl Write,
    report: &mut dyn FnMut(Malformed),
) -> io::Result<()> {
    let mut line = Vec::with_capacity(16 << 10);
    let mut number = 0u64;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match Record::from_log_line(&line) {
            Ok(record) => replayer.push(&record, out)?,
            Err(e) => {
                replayer.note_malformed();
                report(Malformed {
                    place: format!("line {number}, byte {}", e.offset),
                    what: e.kind.to_string(),
                });
            }
        }
    }
}

pub(super) fn replay_netlink<N: Enrich>(
    replayer: &mut Replayer<N>,
    bytes: &[u8],
    out: &mut impl Write,
    report: &mut dyn FnMut(Malformed),
) -> io::Result<()> {
    let mut frames = Frames::new(bytes);
    loop {
        let offset = frames.offset();
        let Some(frame) = frames.next() else {
            return Ok(());
        };
        let message = match frame {
            Ok(message) => message,
            Err(e) => {
                replayer.note_malformed();
                report(Malformed {
                    place: format!("byte {}", e.offset),
                    what: format!("{}; the rest of the capture is unreadable", e.kind),
                });
                return Ok(());
            }
        };
        if !MessageType(message.msg_type).is_record() {
            replayer.note_skipped_frame();
            continue;
        }
        match Record::from_kernel(MessageType(message.msg_type), message.payload) {
            Ok(record) => replayer.push(&record, out)?,
            Err(e) => {
                replayer.note_malformed();
                report(Malformed {
                    place: format!("frame at byte {offset}, payload byte {}", e.offset),
                    what: e.kind.to_string(),
                });
            }
        }
    }
}
